#include "milvus/milvus_client.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <ctime>
#include <functional>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "core/version.h"
#include "milvus.grpc.pb.h"
#include "milvus/endpoint.h"
#include "milvus/proto_convert.h"
#include "milvus/status_mapping.h"

namespace mm {
namespace {

namespace mpb = milvus::proto::milvus;
namespace cpb = milvus::proto::common;
using Stub = mpb::MilvusService::Stub;
using Clock = std::chrono::steady_clock;

// Inserts can be large; gRPC's 4 MiB default receive limit is far too small.
constexpr int kMaxMessageBytes = 256 << 20;
constexpr auto kFirstBackoff = std::chrono::milliseconds(200);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

// Which failures a call may retry. A request that may have reached the server (a deadline
// passed while it ran) is only retried when running it twice is harmless.
enum class Retry {
  kIdempotent,     // reads, creates Milvus treats as idempotent, state polls
  kIfNotExecuted,  // Insert/Upsert: only when the server surely did not run it
  // Import: only refusals the server answered. A broken connection (UNAVAILABLE) may come
  // after the server accepted the import; the caller looks the task up before resubmitting.
  kAnsweredOnly,
};

// error_code is deprecated in the protos but is all a 2.2 server sets.
int32_t LegacyErrorCode(const cpb::Status& s) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return static_cast<int32_t>(s.error_code());
#pragma GCC diagnostic pop
}

const cpb::Status& MilvusStatusOf(const cpb::Status& s) { return s; }
template <typename Response>
const cpb::Status& MilvusStatusOf(const Response& r) {
  return r.status();
}

std::string Quoted(std::string_view kind, std::string_view name) {
  return StrCat(kind, " '", name, "'");
}

std::string CollectionSubject(const std::string& collection) {
  return Quoted("collection", collection);
}

std::string PartitionSubject(const std::string& collection, const std::string& partition) {
  return StrCat("partition '", partition, "' of collection '", collection, "'");
}

Result<cpb::ConsistencyLevel> ParseConsistencyLevel(const std::string& level) {
  std::string l = level;
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l.empty() || l == "bounded") return cpb::ConsistencyLevel::Bounded;
  if (l == "strong") return cpb::ConsistencyLevel::Strong;
  if (l == "session") return cpb::ConsistencyLevel::Session;
  if (l == "eventually") return cpb::ConsistencyLevel::Eventually;
  if (l == "customized") return cpb::ConsistencyLevel::Customized;
  return absl::InvalidArgumentError(
      StrCat("consistency level '", level,
             "' is not one of Strong, Session, Bounded, Eventually"));
}

ImportState FromWireImportState(cpb::ImportState s) {
  switch (s) {
    case cpb::ImportPending: return ImportState::kPending;
    case cpb::ImportFailed: return ImportState::kFailed;
    case cpb::ImportStarted: return ImportState::kStarted;
    case cpb::ImportPersisted: return ImportState::kPersisted;
    case cpb::ImportCompleted: return ImportState::kCompleted;
    case cpb::ImportFailedAndCleaned: return ImportState::kFailedAndCleaned;
    case cpb::ImportFlushed: return ImportState::kFlushed;
    default: return ImportState::kUnknown;
  }
}

Result<int64_t> ParseRowCount(const google::protobuf::RepeatedPtrField<cpb::KeyValuePair>& stats,
                              const std::string& subject) {
  for (const auto& kv : stats) {
    if (kv.key() != "row_count") continue;
    int64_t n = 0;
    const std::string& v = kv.value();
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size()) {
      return absl::InternalError(StrCat("milvus: row_count '", v, "' of ", subject,
                                        " is not an integer"));
    }
    return n;
  }
  return absl::InternalError(StrCat("milvus: statistics of ", subject, " have no row_count"));
}

// Index params as a JSON object, numbers as numbers (what pymilvus sends).
std::string IndexParamsJson(const std::map<std::string, std::string>& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : params) {
    nlohmann::json parsed = nlohmann::json::parse(v, nullptr, false);
    j[k] = (!parsed.is_discarded() && parsed.is_number()) ? parsed : nlohmann::json(v);
  }
  return j.dump();
}

}  // namespace

std::string_view ImportStateName(ImportState state) {
  switch (state) {
    case ImportState::kPending: return "Pending";
    case ImportState::kStarted: return "Started";
    case ImportState::kPersisted: return "Persisted";
    case ImportState::kCompleted: return "Completed";
    case ImportState::kFailed: return "Failed";
    case ImportState::kFailedAndCleaned: return "FailedAndCleaned";
    case ImportState::kFlushed: return "Flushed";
    case ImportState::kUnknown: break;
  }
  return "Unknown";
}

bool IsImportFailed(ImportState state) {
  return state == ImportState::kFailed || state == ImportState::kFailedAndCleaned;
}

bool IsImportFinished(ImportState state) {
  return state == ImportState::kCompleted || IsImportFailed(state);
}

struct MilvusClient::Impl {
  MilvusOptions options;
  MilvusEndpoint endpoint;
  std::string user;           // for messages only
  std::string authorization;  // base64 credentials, empty without auth
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<Stub> stub;
  int64_t identifier = 0;  // from Connect; set before the client is shared

  void Prepare(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(std::max(1, options.rpc_timeout_s)));
    if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
    if (!options.database.empty()) ctx->AddMetadata("dbname", options.database);
    if (identifier != 0) ctx->AddMetadata("identifier", std::to_string(identifier));
  }

  RpcContext Context(std::string_view rpc, std::string_view subject) const {
    return RpcContext{endpoint.target, rpc, subject, user};
  }

  // Runs one RPC and returns the combined gRPC + Milvus status. Transient failures are
  // retried with growing pauses until retry_budget_s has passed since the first attempt, so
  // a server that restarts (2.3.5 standalone answers again after 10-20 s) is waited out.
  template <typename Request, typename Response>
  Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
              std::string_view rpc, std::string_view subject, const Request& request,
              Response* response, Retry retry = Retry::kIdempotent) const {
    const auto budget = std::chrono::seconds(std::max<int64_t>(1, options.retry_budget_s));
    const auto start = Clock::now();
    auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstBackoff);
    const RpcContext ctx_info = Context(rpc, subject);
    for (int attempt = 1;; ++attempt) {
      grpc::ClientContext ctx;
      Prepare(&ctx);
      response->Clear();
      grpc::Status gs = (stub.get()->*method)(&ctx, request, response);
      Status st;
      bool retriable;
      if (!gs.ok()) {
        st = GrpcStatusToStatus(gs.error_code(), gs.error_message(), ctx_info);
        retriable = retry != Retry::kAnsweredOnly &&
                    (gs.error_code() == grpc::StatusCode::UNAVAILABLE ||
                     (retry == Retry::kIdempotent &&
                      gs.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED));
      } else {
        const cpb::Status& ms = MilvusStatusOf(*response);
        st = MilvusStatusToStatus(LegacyErrorCode(ms), ms.code(), ms.reason(),
                                  ms.retriable(), ctx_info);
        // The server answered with a refusal, so it did not run the request: safe to retry.
        retriable = IsTransient(st);
      }
      if (st.ok()) return st;
      const auto elapsed = Clock::now() - start;
      if (!retriable || elapsed >= budget) {
        if (attempt > 1) {
          return Annotate(st, StrCat("after ", attempt, " attempts in ",
                                     std::chrono::duration_cast<std::chrono::seconds>(elapsed)
                                         .count(),
                                     " s (retry.budgetSeconds ", options.retry_budget_s, ")"));
        }
        return st;
      }
      // The last pause ends when the budget does, so the budget is spent, not overrun.
      const auto pause = std::min(
          backoff, std::chrono::duration_cast<std::chrono::milliseconds>(budget - elapsed) +
                       std::chrono::milliseconds(1));
      spdlog::warn("milvus {}: {} failed (attempt {}), retrying in {} ms: {}", endpoint.target,
                   std::string(rpc), attempt, pause.count(), std::string(st.message()));
      std::this_thread::sleep_for(pause);
      backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          kMaxBackoff));
    }
  }

  // Polls `done` until it says true, with growing pauses, for at most wait_timeout_s.
  Status WaitUntil(std::string_view what, const std::function<Result<bool>()>& done) const {
    const auto deadline = Clock::now() + std::chrono::seconds(std::max(1, options.wait_timeout_s));
    auto pause = std::chrono::milliseconds(100);
    while (true) {
      ASSIGN_OR_RETURN(bool finished, done());
      if (finished) return absl::OkStatus();
      if (Clock::now() + pause > deadline) {
        return absl::DeadlineExceededError(StrCat("milvus ", endpoint.target, ": gave up after ",
                                                  options.wait_timeout_s, " s waiting for ",
                                                  what));
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 3 / 2, std::chrono::milliseconds(2000));
    }
  }

  Status VerifyConnection() {
    mpb::ConnectRequest req;
    auto* info = req.mutable_client_info();
    info->set_sdk_type("milvus-migration");
    info->set_sdk_version(kVersion);
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) info->set_host(host);
    info->set_user(user);
    std::time_t now = std::time(nullptr);
    char when[64] = {};
    std::tm tm{};
    if (localtime_r(&now, &tm) != nullptr &&
        std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) > 0) {
      info->set_local_time(when);
    }
    mpb::ConnectResponse resp;
    Status st = Call(&Stub::Connect, "Connect", "", req, &resp);
    if (st.ok()) {
      identifier = resp.identifier();
      return st;
    }
    if (!absl::IsUnimplemented(st)) return st;
    // Servers before Connect existed (early 2.2).
    mpb::GetVersionResponse version;
    st = Call(&Stub::GetVersion, "GetVersion", "", mpb::GetVersionRequest(), &version);
    if (!absl::IsUnimplemented(st)) return st;
    mpb::HasCollectionRequest has;
    has.set_db_name(options.database);
    has.set_collection_name("mm_connection_probe");
    mpb::BoolResponse has_resp;
    return Call(&Stub::HasCollection, "HasCollection", "", has, &has_resp);
  }

  template <typename Request>
  Status Mutate(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                             mpb::MutationResult*),
                std::string_view rpc, const std::string& collection, const std::string& partition,
                const Batch& batch, bool skip_auto_id) const {
    if (batch.num_rows() == 0) return absl::OkStatus();
    const std::string subject = CollectionSubject(collection);
    if (batch.num_rows() > static_cast<int64_t>(UINT32_MAX)) {
      return absl::InvalidArgumentError(StrCat("milvus: ", rpc, " into ", subject, ": ",
                                               batch.num_rows(), " rows in one batch"));
    }
    Request req;
    req.set_db_name(options.database);
    req.set_collection_name(collection);
    req.set_partition_name(partition.empty() ? batch.partition() : partition);
    req.set_num_rows(static_cast<uint32_t>(batch.num_rows()));
    Status conv = AppendFieldsData(batch, skip_auto_id, req.mutable_fields_data());
    if (!conv.ok()) return Annotate(conv, StrCat("milvus: ", rpc, " into ", subject));
    mpb::MutationResult resp;
    RETURN_IF_ERROR(Call(method, rpc, subject, req, &resp, Retry::kIfNotExecuted));
    if (resp.err_index_size() > 0) {
      return absl::InternalError(StrCat("milvus ", endpoint.target, ": ", rpc, " into ", subject,
                                        ": ", resp.err_index_size(), " of ", batch.num_rows(),
                                        " rows failed (first at row ", resp.err_index(0), ")"));
    }
    return absl::OkStatus();
  }
};

MilvusClient::MilvusClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MilvusClient::~MilvusClient() = default;

const std::string& MilvusClient::endpoint() const { return impl_->endpoint.target; }

Result<std::unique_ptr<MilvusClient>> MilvusClient::Connect(const MilvusOptions& options) {
  ASSIGN_OR_RETURN(MilvusEndpoint endpoint, ParseMilvusEndpoint(options.endpoint));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->endpoint = endpoint;
  if (!options.username.empty()) {
    impl->user = options.username;
    impl->authorization =
        absl::Base64Escape(StrCat(options.username, ":", options.password));
  } else if (!options.token.empty()) {
    size_t colon = options.token.find(':');
    impl->user = colon == std::string::npos ? "(token)" : options.token.substr(0, colon);
    impl->authorization = absl::Base64Escape(options.token);
  } else if (!endpoint.username.empty()) {
    // "http://user:password@host:19530": the endpoint's userinfo, when nothing else is set.
    impl->user = endpoint.username;
    impl->authorization =
        absl::Base64Escape(StrCat(endpoint.username, ":", endpoint.password));
  }

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Let our own backoff drive reconnects instead of gRPC's (1 s and up) schedule.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 55000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  auto creds = endpoint.tls ? grpc::SslCredentials(grpc::SslCredentialsOptions())
                            : grpc::InsecureChannelCredentials();
  impl->channel = grpc::CreateCustomChannel(endpoint.target, creds, args);
  impl->stub = mpb::MilvusService::NewStub(impl->channel);
  RETURN_IF_ERROR(impl->VerifyConnection());
  spdlog::info("milvus: connected to {}{}{}", endpoint.target,
               impl->user.empty() ? "" : " as ", impl->user);
  return std::unique_ptr<MilvusClient>(new MilvusClient(std::move(impl)));
}

Result<std::string> MilvusClient::ServerVersion() {
  mpb::GetVersionResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::GetVersion, "GetVersion", "", mpb::GetVersionRequest(),
                              &resp));
  return resp.version();
}

Result<bool> MilvusClient::HasCollection(const std::string& name) {
  mpb::HasCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(name);
  mpb::BoolResponse resp;
  RETURN_IF_ERROR(
      impl_->Call(&Stub::HasCollection, "HasCollection", CollectionSubject(name), req, &resp));
  return resp.value();
}

Status MilvusClient::CreateCollection(const Schema& schema, int32_t shards_num,
                                      const std::string& consistency_level,
                                      const std::map<std::string, std::string>& properties) {
  const std::string subject = CollectionSubject(schema.collection);
  auto proto = ToCollectionSchema(schema);
  if (!proto.ok()) return Annotate(proto.status(), StrCat("milvus: CreateCollection ", subject));
  auto level = ParseConsistencyLevel(consistency_level);
  if (!level.ok()) return Annotate(level.status(), StrCat("milvus: CreateCollection ", subject));
  mpb::CreateCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(schema.collection);
  req.set_schema(proto->SerializeAsString());
  req.set_shards_num(std::max(0, shards_num));
  req.set_consistency_level(*level);
  if (schema.num_partitions > 0) req.set_num_partitions(schema.num_partitions);
  for (const auto& [k, v] : properties) {
    auto* kv = req.add_properties();
    kv->set_key(k);
    kv->set_value(v);
  }
  cpb::Status resp;
  return impl_->Call(&Stub::CreateCollection, "CreateCollection", subject, req, &resp);
}

Result<CollectionInfo> MilvusClient::DescribeCollection(const std::string& name) {
  const std::string subject = CollectionSubject(name);
  mpb::DescribeCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(name);
  mpb::DescribeCollectionResponse resp;
  RETURN_IF_ERROR(
      impl_->Call(&Stub::DescribeCollection, "DescribeCollection", subject, req, &resp));
  CollectionInfo info;
  info.schema = FromCollectionSchema(resp.schema());
  info.schema.collection = name;
  for (const auto& kv : resp.properties()) info.properties[kv.key()] = kv.value();
  return info;
}

Status MilvusClient::SetCollectionProperties(
    const std::string& name, const std::map<std::string, std::string>& properties) {
  mpb::AlterCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(name);
  for (const auto& [k, v] : properties) {
    auto* kv = req.add_properties();
    kv->set_key(k);
    kv->set_value(v);
  }
  cpb::Status resp;
  return impl_->Call(&Stub::AlterCollection, "AlterCollection", CollectionSubject(name), req,
                     &resp);
}

Status MilvusClient::DropCollection(const std::string& name) {
  mpb::DropCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(name);
  cpb::Status resp;
  return impl_->Call(&Stub::DropCollection, "DropCollection", CollectionSubject(name), req, &resp);
}

Result<bool> MilvusClient::HasPartition(const std::string& collection,
                                        const std::string& partition) {
  mpb::HasPartitionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_partition_name(partition);
  mpb::BoolResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::HasPartition, "HasPartition",
                              PartitionSubject(collection, partition), req, &resp));
  return resp.value();
}

Status MilvusClient::CreatePartition(const std::string& collection, const std::string& partition) {
  mpb::CreatePartitionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_partition_name(partition);
  cpb::Status resp;
  return impl_->Call(&Stub::CreatePartition, "CreatePartition",
                     PartitionSubject(collection, partition), req, &resp);
}

Status MilvusClient::CreateIndex(const std::string& collection, const std::string& field,
                                 const std::string& index_type, const std::string& metric_type,
                                 const std::map<std::string, std::string>& params) {
  mpb::CreateIndexRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_field_name(field);
  auto add = [&](const std::string& key, const std::string& value) {
    auto* kv = req.add_extra_params();
    kv->set_key(key);
    kv->set_value(value);
  };
  if (!index_type.empty()) add("index_type", index_type);
  if (!metric_type.empty()) add("metric_type", metric_type);
  add("params", IndexParamsJson(params));
  cpb::Status resp;
  return impl_->Call(&Stub::CreateIndex, "CreateIndex",
                     StrCat("on field '", field, "' of collection '", collection, "'"), req,
                     &resp);
}

Status MilvusClient::LoadCollection(const std::string& collection) {
  const std::string subject = CollectionSubject(collection);
  mpb::LoadCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  cpb::Status resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::LoadCollection, "LoadCollection", subject, req, &resp));

  bool use_load_state = false;  // GetLoadingProgress is older; GetLoadState the fallback.
  return impl_->WaitUntil(StrCat(subject, " to load"), [&]() -> Result<bool> {
    if (!use_load_state) {
      mpb::GetLoadingProgressRequest preq;
      preq.set_db_name(impl_->options.database);
      preq.set_collection_name(collection);
      mpb::GetLoadingProgressResponse presp;
      Status st =
          impl_->Call(&Stub::GetLoadingProgress, "GetLoadingProgress", subject, preq, &presp);
      if (st.ok()) return presp.progress() >= 100;
      if (!absl::IsUnimplemented(st)) return st;
      use_load_state = true;
    }
    mpb::GetLoadStateRequest sreq;
    sreq.set_db_name(impl_->options.database);
    sreq.set_collection_name(collection);
    mpb::GetLoadStateResponse sresp;
    RETURN_IF_ERROR(impl_->Call(&Stub::GetLoadState, "GetLoadState", subject, sreq, &sresp));
    return sresp.state() == cpb::LoadState::LoadStateLoaded;
  });
}

Result<std::vector<int64_t>> MilvusClient::Import(const std::string& collection,
                                                  const std::string& partition,
                                                  const std::vector<std::string>& files,
                                                  const std::map<std::string, std::string>& options) {
  const std::string subject = CollectionSubject(collection);
  if (files.empty()) {
    return absl::InvalidArgumentError(StrCat("milvus: Import into ", subject, ": no files"));
  }
  // 2.3 retries internally for ~50 s before reporting a missing collection; ask first.
  ASSIGN_OR_RETURN(bool exists, HasCollection(collection));
  if (!exists) {
    return absl::NotFoundError(StrCat("milvus ", impl_->endpoint.target, ": Import into ",
                                      subject, ": collection does not exist"));
  }
  mpb::ImportRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_partition_name(partition);
  for (const auto& f : files) req.add_files(f);
  for (const auto& [k, v] : options) {
    auto* kv = req.add_options();
    kv->set_key(k);
    kv->set_value(v);
  }
  mpb::ImportResponse resp;
  RETURN_IF_ERROR(
      impl_->Call(&Stub::Import, "Import", subject, req, &resp, Retry::kAnsweredOnly));
  if (resp.tasks_size() == 0) {
    return absl::InternalError(StrCat("milvus ", impl_->endpoint.target, ": Import into ",
                                      subject, " returned no task id"));
  }
  return std::vector<int64_t>(resp.tasks().begin(), resp.tasks().end());
}

namespace {

ImportProgress FromImportStateResponse(const mpb::GetImportStateResponse& resp) {
  ImportProgress p;
  p.task_id = resp.id();
  p.create_ts = resp.create_ts();
  p.state = FromWireImportState(resp.state());
  p.row_count = resp.row_count();
  p.segment_ids.assign(resp.segment_ids().begin(), resp.segment_ids().end());
  for (const auto& kv : resp.infos()) {
    if (kv.key() == "failed_reason") {
      p.failed_reason = kv.value();
    } else if (kv.key() == "progress_percent") {
      int v = 0;
      auto [ptr, ec] = std::from_chars(kv.value().data(), kv.value().data() + kv.value().size(), v);
      if (ec == std::errc()) p.progress_percent = v;
    } else if (kv.key() == "collection") {
      p.collection = kv.value();
    } else if (kv.key() == "files") {
      p.files = kv.value();
    }
  }
  return p;
}

}  // namespace

Result<ImportProgress> MilvusClient::GetImportState(int64_t task_id) {
  mpb::GetImportStateRequest req;
  req.set_task(task_id);
  mpb::GetImportStateResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::GetImportState, "GetImportState",
                              StrCat("task ", task_id), req, &resp));
  ImportProgress p = FromImportStateResponse(resp);
  if (p.task_id == 0) p.task_id = task_id;
  return p;
}

Result<std::vector<ImportProgress>> MilvusClient::ListImportTasks(const std::string& collection) {
  mpb::ListImportTasksRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_limit(0);
  mpb::ListImportTasksResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::ListImportTasks, "ListImportTasks",
                              CollectionSubject(collection), req, &resp));
  std::vector<ImportProgress> tasks;
  for (const auto& t : resp.tasks()) tasks.push_back(FromImportStateResponse(t));
  std::sort(tasks.begin(), tasks.end(), [](const ImportProgress& a, const ImportProgress& b) {
    return a.create_ts != b.create_ts ? a.create_ts < b.create_ts : a.task_id < b.task_id;
  });
  return tasks;
}

Status MilvusClient::Flush(const std::string& collection) {
  const std::string subject = CollectionSubject(collection);
  mpb::FlushRequest req;
  req.set_db_name(impl_->options.database);
  req.add_collection_names(collection);
  mpb::FlushResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::Flush, "Flush", subject, req, &resp));

  // 2.2 reports flushed segments by id; 2.3+ by a flush timestamp per collection.
  mpb::GetFlushStateRequest state_req;
  state_req.set_db_name(impl_->options.database);
  state_req.set_collection_name(collection);
  if (auto it = resp.coll_segids().find(collection); it != resp.coll_segids().end()) {
    for (int64_t id : it->second.data()) state_req.add_segmentids(id);
  }
  if (auto it = resp.coll_flush_ts().find(collection); it != resp.coll_flush_ts().end()) {
    state_req.set_flush_ts(it->second);
  }
  if (state_req.segmentids_size() == 0 && state_req.flush_ts() == 0) return absl::OkStatus();
  return impl_->WaitUntil(StrCat(subject, " to flush"), [&]() -> Result<bool> {
    mpb::GetFlushStateResponse state;
    RETURN_IF_ERROR(impl_->Call(&Stub::GetFlushState, "GetFlushState", subject, state_req, &state));
    return state.flushed();
  });
}

Result<int64_t> MilvusClient::CountRows(const std::string& collection) {
  const std::string subject = CollectionSubject(collection);
  mpb::GetCollectionStatisticsRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  mpb::GetCollectionStatisticsResponse resp;
  RETURN_IF_ERROR(
      impl_->Call(&Stub::GetCollectionStatistics, "GetCollectionStatistics", subject, req, &resp));
  return ParseRowCount(resp.stats(), subject);
}

Result<int64_t> MilvusClient::CountPartitionRows(const std::string& collection,
                                                 const std::string& partition) {
  const std::string subject = PartitionSubject(collection, partition);
  mpb::GetPartitionStatisticsRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_partition_name(partition);
  mpb::GetPartitionStatisticsResponse resp;
  RETURN_IF_ERROR(
      impl_->Call(&Stub::GetPartitionStatistics, "GetPartitionStatistics", subject, req, &resp));
  return ParseRowCount(resp.stats(), subject);
}

namespace {
// Strong, or as of `guarantee_ts` (see MilvusClient::QueryCount).
void SetConsistency(mpb::QueryRequest* req, uint64_t guarantee_ts) {
  req->set_use_default_consistency(false);
  if (guarantee_ts == 0) {
    req->set_consistency_level(cpb::ConsistencyLevel::Strong);
  } else {
    req->set_consistency_level(cpb::ConsistencyLevel::Session);
    req->set_guarantee_timestamp(guarantee_ts);
  }
}
}  // namespace

Result<uint64_t> MilvusClient::AllocTimestamp() {
  mpb::AllocTimestampRequest req;
  mpb::AllocTimestampResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::AllocTimestamp, "AllocTimestamp", "", req, &resp));
  return resp.timestamp();
}

Result<int64_t> MilvusClient::QueryCount(const std::string& collection,
                                         const std::string& partition, const std::string& expr,
                                         uint64_t guarantee_ts) {
  const std::string subject =
      partition.empty() ? CollectionSubject(collection) : PartitionSubject(collection, partition);
  mpb::QueryRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_expr(expr);
  req.add_output_fields("count(*)");
  if (!partition.empty()) req.add_partition_names(partition);
  SetConsistency(&req, guarantee_ts);
  mpb::QueryResults resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::Query, "Query count(*)", subject, req, &resp));
  for (const auto& fd : resp.fields_data()) {
    if (fd.field_name() == "count(*)" && fd.scalars().long_data().data_size() == 1) {
      return fd.scalars().long_data().data(0);
    }
  }
  return absl::InternalError(StrCat("milvus ", impl_->endpoint.target, ": count(*) query on ",
                                    subject, " returned no count"));
}

Status MilvusClient::Query(const std::string& collection, const std::string& partition,
                           const std::string& expr, int64_t limit, Batch* rows,
                           uint64_t guarantee_ts) {
  const std::string subject =
      partition.empty() ? CollectionSubject(collection) : PartitionSubject(collection, partition);
  mpb::QueryRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  req.set_expr(expr);
  for (const auto& f : rows->schema()->fields) req.add_output_fields(f.name);
  if (!partition.empty()) req.add_partition_names(partition);
  auto* kv = req.add_query_params();
  kv->set_key("limit");
  kv->set_value(std::to_string(std::clamp<int64_t>(limit, 1, 16384)));
  SetConsistency(&req, guarantee_ts);
  mpb::QueryResults resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::Query, "Query", subject, req, &resp));
  Status st = AppendRowsFromFieldsData(resp.fields_data(), rows);
  if (!st.ok()) {
    return absl::InternalError(StrCat("milvus ", impl_->endpoint.target, ": query on ", subject,
                                      " (", expr, "): ", st.message()));
  }
  return absl::OkStatus();
}

Result<bool> MilvusClient::HasIndex(const std::string& collection) {
  ASSIGN_OR_RETURN(std::vector<IndexDescription> indexes, DescribeIndexes(collection));
  return !indexes.empty();
}

Result<std::vector<std::string>> MilvusClient::ListPartitions(const std::string& collection) {
  mpb::ShowPartitionsRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  mpb::ShowPartitionsResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::ShowPartitions, "ShowPartitions",
                              CollectionSubject(collection), req, &resp));
  return std::vector<std::string>(resp.partition_names().begin(), resp.partition_names().end());
}

Status MilvusClient::Insert(const std::string& collection, const std::string& partition,
                            const Batch& batch) {
  return impl_->Mutate(&Stub::Insert, "Insert", collection, partition, batch,
                       /*skip_auto_id=*/true);
}

Status MilvusClient::Upsert(const std::string& collection, const std::string& partition,
                            const Batch& batch) {
  return impl_->Mutate(&Stub::Upsert, "Upsert", collection, partition, batch,
                       /*skip_auto_id=*/false);
}

// --- Milvus 2.x source (issue 12) ---

Result<CollectionLayout> MilvusClient::DescribeCollectionLayout(const std::string& name) {
  mpb::DescribeCollectionRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(name);
  mpb::DescribeCollectionResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::DescribeCollection, "DescribeCollection",
                              CollectionSubject(name), req, &resp));
  CollectionLayout layout;
  layout.shards_num = resp.shards_num();
  layout.num_partitions = resp.num_partitions();
  switch (resp.consistency_level()) {
    case cpb::ConsistencyLevel::Strong: layout.consistency_level = "Strong"; break;
    case cpb::ConsistencyLevel::Session: layout.consistency_level = "Session"; break;
    case cpb::ConsistencyLevel::Eventually: layout.consistency_level = "Eventually"; break;
    case cpb::ConsistencyLevel::Customized: layout.consistency_level = "Customized"; break;
    default: layout.consistency_level = "Bounded"; break;
  }
  return layout;
}

Result<std::vector<IndexDescription>> MilvusClient::DescribeIndexes(
    const std::string& collection) {
  const std::string subject = CollectionSubject(collection);
  mpb::DescribeIndexRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  mpb::DescribeIndexResponse resp;
  Status st = impl_->Call(&Stub::DescribeIndex, "DescribeIndex", subject, req, &resp);
  if (absl::IsNotFound(st)) {
    // IndexNotExist and a missing collection both map to NotFound; tell them apart.
    ASSIGN_OR_RETURN(bool exists, HasCollection(collection));
    if (!exists) return st;
    return std::vector<IndexDescription>{};
  }
  RETURN_IF_ERROR(st);
  std::vector<IndexDescription> out;
  for (const auto& d : resp.index_descriptions()) {
    IndexDescription index;
    index.field = d.field_name();
    index.index_name = d.index_name();
    for (const auto& kv : d.params()) {
      if (kv.key() == "index_type") {
        index.index_type = kv.value();
      } else if (kv.key() == "metric_type") {
        index.metric_type = kv.value();
      } else if (kv.key() == "params") {
        // The index's own params, as a JSON object ({"nlist": 128}).
        nlohmann::json j = nlohmann::json::parse(kv.value(), nullptr, false);
        if (!j.is_object()) continue;
        for (const auto& [k, v] : j.items()) {
          index.params[k] = v.is_string() ? v.get<std::string>() : v.dump();
        }
      } else {
        index.params[kv.key()] = kv.value();
      }
    }
    out.push_back(std::move(index));
  }
  return out;
}

Result<std::vector<std::string>> MilvusClient::ListCollections() {
  mpb::ShowCollectionsRequest req;
  req.set_db_name(impl_->options.database);
  mpb::ShowCollectionsResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::ShowCollections, "ShowCollections",
                              StrCat("database '", impl_->options.database, "'"), req, &resp));
  return std::vector<std::string>(resp.collection_names().begin(),
                                  resp.collection_names().end());
}

// --- Load by Insert/Upsert and Milvus Lite, and the Milvus 2.x source (issue 12) ---

Result<std::vector<std::string>> MilvusClient::ListDatabases() {
  mpb::ListDatabasesRequest req;
  mpb::ListDatabasesResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::ListDatabases, "ListDatabases", "", req, &resp));
  return std::vector<std::string>(resp.db_names().begin(), resp.db_names().end());
}

Status MilvusClient::CreateDatabase(const std::string& name) {
  mpb::CreateDatabaseRequest req;
  req.set_db_name(name);
  cpb::Status resp;
  return impl_->Call(&Stub::CreateDatabase, "CreateDatabase", StrCat("database '", name, "'"),
                     req, &resp);
}

Result<bool> MilvusClient::SupportsBulkImport() {
  mpb::ListImportTasksRequest req;
  req.set_db_name(impl_->options.database);
  req.set_limit(1);
  mpb::ListImportTasksResponse resp;
  Status st = impl_->Call(&Stub::ListImportTasks, "ListImportTasks", "", req, &resp);
  if (absl::IsUnimplemented(st)) return false;
  RETURN_IF_ERROR(st);
  return true;
}

Result<bool> MilvusClient::IsLoaded(const std::string& collection) {
  mpb::GetLoadStateRequest req;
  req.set_db_name(impl_->options.database);
  req.set_collection_name(collection);
  mpb::GetLoadStateResponse resp;
  RETURN_IF_ERROR(impl_->Call(&Stub::GetLoadState, "GetLoadState",
                              CollectionSubject(collection), req, &resp));
  return resp.state() == cpb::LoadState::LoadStateLoaded;
}

}  // namespace mm
