#include "storage/azure_storage.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <optional>
#include <utility>

#include "core/redact.h"
#include "storage/azure_client.h"
#include "storage/azure_imds.h"
#include "storage/azure_shared_key.h"
#include "storage/azure_workload_identity.h"
#include "storage/committing_file.h"
#include "storage/relative_path.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

constexpr size_t kMinBlockSize = 1u << 20;
constexpr size_t kMaxBlockSize = size_t{4000} << 20;  // Put Block's limit (2019-12-12+)
constexpr int kMaxBlocks = 50000;                     // blocks in one committed blob
constexpr size_t kMaxBlocksInFlight = 1;

// Block ids must be base64 and of one length within a blob: "mmblk" + 7 digits, 12 bytes.
std::string BlockId(int number) {
  char raw[16];
  std::snprintf(raw, sizeof(raw), "mmblk%07d", number);
  return azure::Base64Encode(raw);
}

// A 404 for the blob itself, not for its container (which Check reports as an error).
bool IsMissingBlob(const AzureClient::Response& response) {
  return response.status == 404 && response.ErrorCode() != "ContainerNotFound";
}

Result<std::optional<AzureClient::Response>> GetProperties(const AzureClient& client,
                                                           const std::string& blob) {
  AzureClient::Request request;
  request.method = "HEAD";
  request.blob = blob;
  std::string what = StrCat("Get Blob Properties ", client.ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client.Send(request, what));
  if (IsMissingBlob(response)) return std::nullopt;
  RETURN_IF_ERROR(client.Check(response, what));
  return response;
}

class AzureRandomAccessFile : public RandomAccessFile {
 public:
  AzureRandomAccessFile(std::shared_ptr<AzureClient> client, std::string blob, uint64_t size)
      : client_(std::move(client)),
        blob_(std::move(blob)),
        size_(size),
        name_(client_->ObjectName(blob_)) {}

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    if (offset >= size_ || n == 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    AzureClient::Request request;
    request.method = "GET";
    request.blob = blob_;
    request.headers = {{"x-ms-range", StrCat("bytes=", offset, "-", offset + want - 1)}};
    request.sink = out;
    request.sink_capacity = want;
    std::string what = StrCat("Get Blob ", name_, " bytes ", offset, "+", want);
    ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
    if (IsMissingBlob(response)) {
      return absl::NotFoundError(StrCat(name_, " disappeared while being read"));
    }
    RETURN_IF_ERROR(client_->Check(response, what));
    if (response.sink_bytes != want) {
      return absl::DataLossError(StrCat(what, ": got ", response.sink_bytes,
                                        " bytes; the blob may have changed (size was ", size_,
                                        ")"));
    }
    return want;
  }
  uint64_t Size() const override { return size_; }
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<AzureClient> client_;
  std::string blob_;
  uint64_t size_;
  std::string name_;
};

Status PutBlob(const AzureClient& client, const std::string& blob, std::string_view body) {
  AzureClient::Request request;
  request.method = "PUT";
  request.blob = blob;
  request.headers = {{"x-ms-blob-type", "BlockBlob"}};
  request.body = body;
  std::string what = StrCat("Put Blob ", client.ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client.Send(request, what));
  return client.Check(response, what);
}

Status PutBlock(const AzureClient& client, const std::string& blob, int number,
                std::string_view body) {
  AzureClient::Request request;
  request.method = "PUT";
  request.blob = blob;
  request.query = {{"comp", "block"}, {"blockid", BlockId(number)}};
  request.body = body;
  std::string what = StrCat("Put Block ", number, " of ", client.ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client.Send(request, what));
  return client.Check(response, what);
}

class AzureWritableFile : public CommittingFile {
 public:
  AzureWritableFile(std::shared_ptr<AzureClient> client, std::string blob, size_t block_size)
      : CommittingFile(client->ObjectName(blob)),
        client_(std::move(client)),
        blob_(std::move(blob)),
        block_size_(block_size) {}

  ~AzureWritableFile() override { AbortIfOpen(); }

  uint64_t Size() const override { return size_; }

 private:
  Status DoAppend(std::string_view data) override {
    while (!data.empty()) {
      // A full buffer is cut only when more bytes come, so a file of exactly one block
      // still goes up in a single Put Blob.
      if (buffer_.size() >= block_size_) RETURN_IF_ERROR(CutBlock());
      size_t take = std::min(data.size(), block_size_ - buffer_.size());
      if (buffer_.size() + take > buffer_.capacity()) {
        buffer_.reserve(
            std::min(block_size_, std::max(2 * buffer_.capacity(), buffer_.size() + take)));
      }
      buffer_.append(data.data(), take);
      data.remove_prefix(take);
      size_ += take;
    }
    return absl::OkStatus();
  }

  Status DoRewritePrefix(std::string_view data) override {
    std::string& first = first_block_cut_ ? first_block_ : buffer_;
    std::memcpy(first.data(), data.data(), data.size());
    return absl::OkStatus();
  }

  Status Commit() override {
    RETURN_IF_ERROR(Upload());
    Release();
    return absl::OkStatus();
  }

  // Staged blocks cannot be deleted; they stay invisible and expire (see the header).
  Status Discard() override {
    for (auto& future : in_flight_) future.wait();
    in_flight_.clear();
    Release();
    return absl::OkStatus();
  }

  void Release() {
    std::string().swap(buffer_);
    std::string().swap(first_block_);
  }

  Status CutBlock() {
    if (!first_block_cut_) {
      first_block_ = std::move(buffer_);
      buffer_ = std::string();
      first_block_cut_ = true;
      return absl::OkStatus();
    }
    if (next_block_ > kMaxBlocks) {
      return absl::ResourceExhaustedError(StrCat(name(), " exceeds Azure's ", kMaxBlocks,
                                                 " blocks; raise the part size"));
    }
    while (in_flight_.size() >= kMaxBlocksInFlight) RETURN_IF_ERROR(WaitOldest());
    int number = next_block_++;
    auto body = std::make_shared<std::string>(std::move(buffer_));
    buffer_ = std::string();
    in_flight_.push_back(std::async(std::launch::async,
                                    [client = client_, blob = blob_, number, body]() {
                                      return PutBlock(*client, blob, number, *body);
                                    }));
    return absl::OkStatus();
  }

  Status WaitOldest() {
    std::future<Status> future = std::move(in_flight_.front());
    in_flight_.pop_front();
    return future.get();
  }

  Status Upload() {
    if (!first_block_cut_) return PutBlob(*client_, blob_, buffer_);
    if (!buffer_.empty()) RETURN_IF_ERROR(CutBlock());
    // Block 1 goes last: only now is its prefix final.
    RETURN_IF_ERROR(PutBlock(*client_, blob_, 1, first_block_));
    while (!in_flight_.empty()) RETURN_IF_ERROR(WaitOldest());

    std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (int n = 1; n < next_block_; ++n) body += StrCat("<Latest>", BlockId(n), "</Latest>");
    body += "</BlockList>";
    AzureClient::Request request;
    request.method = "PUT";
    request.blob = blob_;
    request.query = {{"comp", "blocklist"}};
    request.body = body;
    std::string what = StrCat("Put Block List ", name(), " (", next_block_ - 1, " blocks)");
    ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
    return client_->Check(response, what);
  }

  std::shared_ptr<AzureClient> client_;
  std::string blob_;
  size_t block_size_;
  std::string buffer_;       // bytes not yet cut into a block
  std::string first_block_;  // block 1, staged at Close
  bool first_block_cut_ = false;
  int next_block_ = 2;
  std::deque<std::future<Status>> in_flight_;
  uint64_t size_ = 0;
};

// The endpoint split into scheme, host and path-style base path.
struct Endpoint {
  std::string scheme;
  std::string host;
  std::string base_path;
};

Result<Endpoint> ParseEndpoint(const AzureOptions& options) {
  Endpoint e;
  if (options.endpoint.empty()) {
    e.scheme = "https";
    e.host = StrCat(options.account, ".blob.core.windows.net");
    return e;
  }
  std::string_view rest = options.endpoint;
  e.scheme = options.use_ssl ? "https" : "http";
  if (rest.rfind("http://", 0) == 0) {
    e.scheme = "http";
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    e.scheme = "https";
    rest.remove_prefix(8);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t slash = rest.find('/');
  e.host = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) e.base_path = std::string(rest.substr(slash));
  if (e.host.empty() || e.host.find('@') != std::string::npos ||
      rest.find_first_of("?#") != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat(
        "Azure Blob endpoint '", RedactUrl(options.endpoint),
        "' must be [http(s)://]host[:port][/account] (a path names the account, as Azurite's "
        "http://127.0.0.1:10000/devstoreaccount1 does); credentials go in ak and sk"));
  }
  return e;
}

}  // namespace

AzureStorage::AzureStorage(std::shared_ptr<AzureClient> client, std::string prefix,
                           size_t block_size, int list_page_size)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      block_size_(block_size),
      list_page_size_(list_page_size) {}

AzureStorage::~AzureStorage() = default;

Result<std::unique_ptr<AzureStorage>> AzureStorage::Open(const AzureOptions& options) {
  const std::string origin =
      options.credentials_origin.empty() ? "the configured credentials"
                                         : options.credentials_origin;
  if (options.container.empty()) {
    return absl::InvalidArgumentError("Azure container name (bucket) is empty");
  }
  if (options.account.empty()) {
    return absl::InvalidArgumentError(
        StrCat("Azure storage account name is empty (", origin, ": ak is the account)"));
  }
  if (options.block_size < kMinBlockSize || options.block_size > kMaxBlockSize) {
    return absl::InvalidArgumentError(StrCat("Azure block size must be between ", kMinBlockSize,
                                             " and ", kMaxBlockSize, " bytes, not ",
                                             options.block_size));
  }
  if (options.list_page_size < 1 || options.list_page_size > 5000) {
    return absl::InvalidArgumentError(
        StrCat("Azure list page size must be 1..5000, not ", options.list_page_size));
  }
  ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(options));

  AzureClient::Config config;
  config.scheme = endpoint.scheme;
  config.host = endpoint.host;
  config.base_path = endpoint.base_path;
  config.account = options.account;
  config.container = options.container;
  config.retry_budget_ms = options.retry_budget_ms;
  config.max_retries = options.max_retries;
  config.credentials_origin = origin;
  if (azure::IsSasToken(options.key)) {
    config.auth = AzureClient::Auth::kSas;
    config.sas = options.key;
  } else if (options.use_iam) {
    // As the Azure SDKs' default chain: workload identity when AKS set it up, else the
    // VM's or pod's managed identity.
    config.auth = AzureClient::Auth::kBearer;
    if (std::optional<WorkloadIdentityOptions> wi = WorkloadIdentityFromEnvironment()) {
      config.credentials_origin = "the workload identity (useIAM)";
      config.token_source = WorkloadIdentityTokenSource(*wi);
    } else {
      config.credentials_origin = "the managed identity (useIAM)";
      config.token_source = ImdsTokenSource(ImdsOptionsFromEnvironment());
    }
  } else {
    config.auth = AzureClient::Auth::kSharedKey;
    std::string key_origin = origin;
    if (size_t slash = key_origin.rfind(".ak/sk"); slash != std::string::npos) {
      key_origin = key_origin.substr(0, slash) + ".sk";
    }
    ASSIGN_OR_RETURN(config.key, azure::DecodeAccountKey(options.key, key_origin));
  }

  std::string prefix;
  if (!options.prefix.empty()) {
    std::string_view p = options.prefix;
    while (!p.empty() && p.front() == '/') p.remove_prefix(1);
    ASSIGN_OR_RETURN(prefix, NormalizeRelativePath(p, StrCat("azure://", options.container)));
    if (!prefix.empty()) prefix.push_back('/');
  }

  ASSIGN_OR_RETURN(std::shared_ptr<AzureClient> client, AzureClient::Create(std::move(config)));
  if (options.check_container) {
    // List Blobs works with every credential that can do the migration's work (a SAS for
    // the container included), where Get Container Properties needs more.
    AzureClient::Request request;
    request.method = "GET";
    request.query = {{"restype", "container"}, {"comp", "list"}, {"maxresults", "1"}};
    std::string what = StrCat("List Blobs ", client->ObjectName(""));
    ASSIGN_OR_RETURN(AzureClient::Response response, client->Send(request, what));
    if (response.status == 404) {
      return absl::NotFoundError(StrCat("Azure container '", options.container,
                                        "' does not exist in storage account '",
                                        options.account, "' at ", client->EndpointUrl()));
    }
    RETURN_IF_ERROR(client->Check(response, what));
  }
  return std::unique_ptr<AzureStorage>(new AzureStorage(
      std::move(client), std::move(prefix), options.block_size, options.list_page_size));
}

Result<std::string> AzureStorage::BlobName(std::string_view path) const {
  ASSIGN_OR_RETURN(std::string rel, NormalizeRelativePath(path, Describe()));
  if (rel.empty()) {
    return absl::InvalidArgumentError(StrCat("empty file path under ", Describe()));
  }
  return prefix_ + rel;
}

Result<std::string> AzureStorage::DirPrefix(std::string_view path) const {
  ASSIGN_OR_RETURN(std::string rel, NormalizeRelativePath(path, Describe()));
  return rel.empty() ? prefix_ : prefix_ + rel + "/";
}

Result<std::unique_ptr<RandomAccessFile>> AzureStorage::OpenRead(std::string_view path) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  ASSIGN_OR_RETURN(std::optional<AzureClient::Response> head, GetProperties(*client_, blob));
  std::string name = client_->ObjectName(blob);
  if (!head) {
    return absl::NotFoundError(
        StrCat(name, " does not exist (Azure Blob ", client_->EndpointUrl(), ")"));
  }
  std::string length = head->Header("content-length");
  char* end = nullptr;
  unsigned long long size = std::strtoull(length.c_str(), &end, 10);
  if (length.empty() || end == nullptr || *end != '\0') {
    return absl::DataLossError(StrCat("Get Blob Properties ", name,
                                      ": the answer has no usable Content-Length ('", length,
                                      "')"));
  }
  return std::unique_ptr<RandomAccessFile>(
      new AzureRandomAccessFile(client_, std::move(blob), static_cast<uint64_t>(size)));
}

Result<std::unique_ptr<WritableFile>> AzureStorage::OpenWrite(std::string_view path) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  return std::unique_ptr<WritableFile>(new AzureWritableFile(client_, std::move(blob),
                                                             block_size_));
}

Result<std::vector<FileInfo>> AzureStorage::ListBlobs(const std::string& name_prefix) {
  std::vector<FileInfo> out;
  std::string marker;
  do {
    AzureClient::Request request;
    request.method = "GET";
    request.query = {{"restype", "container"},
                     {"comp", "list"},
                     {"maxresults", std::to_string(list_page_size_)}};
    if (!name_prefix.empty()) request.query.emplace_back("prefix", name_prefix);
    if (!marker.empty()) request.query.emplace_back("marker", marker);
    std::string what = StrCat("List Blobs ", client_->ObjectName(name_prefix));
    ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
    RETURN_IF_ERROR(client_->Check(response, what));
    for (std::string_view blob : s3xml::FindAll(response.body, "Blob")) {
      std::optional<std::string> name = s3xml::FindFirst(blob, "Name");
      std::optional<std::string> length = s3xml::FindFirst(blob, "Content-Length");
      if (!name || !length) {
        return absl::DataLossError(StrCat(what, ": a <Blob> without <Name> or <Content-Length>: ",
                                          blob.substr(0, 200)));
      }
      uint64_t size = 0;
      auto [ptr, ec] = std::from_chars(length->data(), length->data() + length->size(), size);
      if (ec != std::errc() || ptr != length->data() + length->size()) {
        return absl::DataLossError(
            StrCat(what, ": bad <Content-Length> '", *length, "' for blob '", *name, "'"));
      }
      // Names ending in '/' are folder markers some tools create, not files.
      if (name->size() < prefix_.size() || name->compare(0, prefix_.size(), prefix_) != 0 ||
          name->back() == '/') {
        continue;
      }
      out.push_back(FileInfo{name->substr(prefix_.size()), size});
    }
    std::string next = s3xml::FindFirst(response.body, "NextMarker").value_or("");
    if (!next.empty() && next == marker) {
      return absl::DataLossError(StrCat(what, ": the next page marker does not advance"));
    }
    marker = std::move(next);
  } while (!marker.empty());
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return out;
}

Result<std::vector<FileInfo>> AzureStorage::List(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string name_prefix, DirPrefix(prefix));
  return ListBlobs(name_prefix);
}

Status AzureStorage::Delete(std::string_view path) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  AzureClient::Request request;
  request.method = "DELETE";
  request.blob = blob;
  std::string what = StrCat("Delete Blob ", client_->ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
  if (IsMissingBlob(response)) return absl::OkStatus();
  return client_->Check(response, what);
}

Status AzureStorage::DeletePrefix(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string name_prefix, DirPrefix(prefix));
  ASSIGN_OR_RETURN(std::vector<FileInfo> files, ListBlobs(name_prefix));
  for (const FileInfo& file : files) RETURN_IF_ERROR(Delete(file.path));
  return absl::OkStatus();
}

Result<bool> AzureStorage::Exists(std::string_view path) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  ASSIGN_OR_RETURN(std::optional<AzureClient::Response> head, GetProperties(*client_, blob));
  return head.has_value();
}

Result<std::optional<VersionedFile>> AzureStorage::ReadVersioned(std::string_view path) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  AzureClient::Request request;
  request.method = "GET";
  request.blob = blob;
  std::string what = StrCat("Get Blob ", client_->ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
  if (IsMissingBlob(response)) return std::optional<VersionedFile>();
  RETURN_IF_ERROR(client_->Check(response, what));
  std::string etag = response.Header("etag");
  if (etag.empty()) return absl::DataLossError(StrCat(what, ": the answer has no ETag"));
  return std::optional<VersionedFile>(VersionedFile{std::move(response.body), std::move(etag)});
}

Result<std::optional<std::string>> AzureStorage::WriteIfVersion(
    std::string_view path, std::string_view content, const std::optional<std::string>& expected) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  AzureClient::Request request;
  request.method = "PUT";
  request.blob = blob;
  request.body = content;
  request.headers = {{"x-ms-blob-type", "BlockBlob"}};
  if (expected) {
    request.headers.emplace_back("If-Match", *expected);
  } else {
    request.headers.emplace_back("If-None-Match", "*");
  }
  std::string what = StrCat("conditional Put Blob ", client_->ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
  // 412 ConditionNotMet; 409 BlobAlreadyExists (If-None-Match: * on a blob that exists);
  // 404: If-Match on a blob that is gone.
  if (response.status == 412 || response.status == 409 || IsMissingBlob(response)) {
    return std::optional<std::string>();
  }
  RETURN_IF_ERROR(client_->Check(response, what));
  std::string etag = response.Header("etag");
  if (etag.empty()) return absl::DataLossError(StrCat(what, ": the answer has no ETag"));
  return std::optional<std::string>(std::move(etag));
}

Result<bool> AzureStorage::DeleteIfVersion(std::string_view path, const std::string& expected) {
  ASSIGN_OR_RETURN(std::string blob, BlobName(path));
  AzureClient::Request request;
  request.method = "DELETE";
  request.blob = blob;
  request.headers = {{"If-Match", expected}};
  std::string what = StrCat("conditional Delete Blob ", client_->ObjectName(blob));
  ASSIGN_OR_RETURN(AzureClient::Response response, client_->Send(request, what));
  if (response.status == 412 || response.status == 409 || IsMissingBlob(response)) {
    return false;
  }
  RETURN_IF_ERROR(client_->Check(response, what));
  return true;
}

Result<int> AzureStorage::RemoveAbandonedWrites(std::string_view prefix) {
  RETURN_IF_ERROR(DirPrefix(prefix).status());
  return 0;
}

std::string AzureStorage::ImportPath(std::string_view path) const {
  Result<std::string> blob = BlobName(path);
  return blob.ok() ? *blob : prefix_ + std::string(path);
}

std::string AzureStorage::Describe() const {
  std::string out = client_->ObjectName("");
  if (!prefix_.empty()) out += "/" + prefix_.substr(0, prefix_.size() - 1);
  return out;
}

}  // namespace mm
