#include "storage/s3_storage.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <optional>
#include <utility>

#include "core/redact.h"
#include "storage/committing_file.h"
#include "storage/relative_path.h"
#include "storage/cloud_credentials.h"
#include "storage/cloud_endpoint.h"
#include "storage/s3_client.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

constexpr size_t kMinPartSize = 5u << 20;
constexpr size_t kMaxPartSize = size_t{5} << 30;
constexpr int kMaxParts = 10000;
constexpr size_t kDeleteBatch = 1000;  // DeleteObjects' limit
// Parts uploading in the background while the next one fills: enough to overlap building
// and sending without holding many part-sized buffers per open file.
constexpr size_t kMaxPartsInFlight = 1;

std::string Base64Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char out[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

// A 404 for the object itself, not for its bucket: the object is not there. (A missing
// bucket is a configuration error, which Check reports.)
bool IsMissingObject(const S3Client::Response& response) {
  return response.status == 404 && s3xml::ParseError(response.body).code != "NoSuchBucket";
}

// HEAD of an object: its answer, or nullopt when the object does not exist.
Result<std::optional<S3Client::Response>> HeadObject(const S3Client& client,
                                                     const std::string& key) {
  S3Client::Request request;
  request.method = "HEAD";
  request.key = key;
  std::string what = StrCat("HEAD ", client.ObjectName(key));
  ASSIGN_OR_RETURN(S3Client::Response response, client.Send(request, what));
  if (response.status == 404) return std::nullopt;
  RETURN_IF_ERROR(client.Check(response, what));
  return response;
}

class S3RandomAccessFile : public RandomAccessFile {
 public:
  S3RandomAccessFile(std::shared_ptr<S3Client> client, std::string key, uint64_t size)
      : client_(std::move(client)),
        key_(std::move(key)),
        size_(size),
        name_(client_->ObjectName(key_)) {}

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    if (offset >= size_ || n == 0) return size_t{0};
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    S3Client::Request request;
    request.method = "GET";
    request.key = key_;
    request.headers = {{"range", StrCat("bytes=", offset, "-", offset + want - 1)}};
    request.sink = out;
    request.sink_capacity = want;
    request.skip_if_whole = offset;
    std::string what = StrCat("GET ", name_, " bytes ", offset, "+", want);
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    if (response.status == 404) {
      return absl::NotFoundError(StrCat(name_, " disappeared while being read"));
    }
    RETURN_IF_ERROR(client_->Check(response, what));
    if (response.sink_bytes != want) {
      return absl::DataLossError(StrCat(what, ": got ", response.sink_bytes,
                                        " bytes; the object may have changed (size was ",
                                        size_, ")"));
    }
    return want;
  }
  uint64_t Size() const override { return size_; }
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<S3Client> client_;
  std::string key_;
  uint64_t size_;
  std::string name_;
};

class S3WritableFile : public CommittingFile {
 public:
  S3WritableFile(std::shared_ptr<S3Client> client, std::string key, size_t part_size)
      : CommittingFile(client->ObjectName(key)),
        client_(std::move(client)),
        key_(std::move(key)),
        part_size_(part_size) {}

  ~S3WritableFile() override { AbortIfOpen(); }

  uint64_t Size() const override { return size_; }

 private:
  Status DoAppend(std::string_view data) override {
    while (!data.empty()) {
      // A full buffer is cut only when more bytes come, so a file of exactly one part
      // still goes up in a single PUT.
      if (buffer_.size() >= TargetPartSize()) RETURN_IF_ERROR(CutPart());
      size_t target = TargetPartSize();
      size_t take = std::min(data.size(), target - buffer_.size());
      if (buffer_.size() + take > buffer_.capacity()) {
        // Geometric growth, but never past a part: parts are held in memory.
        buffer_.reserve(std::min(target, std::max(2 * buffer_.capacity(), buffer_.size() + take)));
      }
      buffer_.append(data.data(), take);
      data.remove_prefix(take);
      size_ += take;
    }
    return absl::OkStatus();
  }

  Status DoRewritePrefix(std::string_view data) override {
    // The prefix lies in part 1, which is either still the buffer or kept aside.
    std::string& first = first_part_cut_ ? first_part_ : buffer_;
    std::memcpy(first.data(), data.data(), data.size());
    return absl::OkStatus();
  }

  Status Commit() override {
    RETURN_IF_ERROR(Upload());
    Release();
    return absl::OkStatus();
  }

  Status Discard() override {
    for (auto& [number, future] : in_flight_) future.wait();
    in_flight_.clear();
    Release();
    if (upload_id_.empty()) return absl::OkStatus();
    S3Client::Request request;
    request.method = "DELETE";
    request.key = key_;
    request.query = {{"uploadId", upload_id_}};
    std::string what = StrCat("AbortMultipartUpload ", name());
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    if (response.status == 404) return absl::OkStatus();  // already gone
    return client_->Check(response, what);
  }

  // The number the buffer becomes when cut.
  int BufferPartNumber() const { return first_part_cut_ ? next_part_ : 1; }

  // Parts grow by part_size every 1000 parts, so 10000 parts reach 55000 x part_size
  // (880 GB at 16 MiB) while ordinary files keep the configured size.
  size_t TargetPartSize() const {
    return part_size_ * (1 + static_cast<size_t>(BufferPartNumber() - 1) / 1000);
  }

  void Release() {
    std::string().swap(buffer_);
    std::string().swap(first_part_);
  }

  Status CutPart() {
    if (!first_part_cut_) {
      first_part_ = std::move(buffer_);
      buffer_ = std::string();
      first_part_cut_ = true;
      return CreateUpload();
    }
    if (next_part_ > kMaxParts) {
      return absl::ResourceExhaustedError(
          StrCat(name(), " exceeds S3's ", kMaxParts, " parts; raise the part size"));
    }
    while (in_flight_.size() >= kMaxPartsInFlight) RETURN_IF_ERROR(WaitOldest());
    int number = next_part_++;
    auto body = std::make_shared<std::string>(std::move(buffer_));
    buffer_ = std::string();
    in_flight_.emplace_back(
        number, std::async(std::launch::async, [client = client_, key = key_,
                                                upload_id = upload_id_, number, body]() {
          return UploadPart(*client, key, upload_id, number, *body);
        }));
    return absl::OkStatus();
  }

  Status WaitOldest() {
    auto [number, future] = std::move(in_flight_.front());
    in_flight_.pop_front();
    ASSIGN_OR_RETURN(std::string etag, future.get());
    parts_.emplace_back(number, std::move(etag));
    return absl::OkStatus();
  }

  Status CreateUpload() {
    S3Client::Request request;
    request.method = "POST";
    request.key = key_;
    request.query = {{"uploads", ""}};
    std::string what = StrCat("CreateMultipartUpload ", name());
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    RETURN_IF_ERROR(client_->Check(response, what));
    std::optional<std::string> id = s3xml::FindFirst(response.body, "UploadId");
    if (!id || id->empty()) {
      return absl::DataLossError(StrCat(what, ": the answer has no UploadId: ",
                                        response.body.substr(0, 300)));
    }
    upload_id_ = *id;
    return absl::OkStatus();
  }

  static Result<std::string> UploadPart(const S3Client& client, const std::string& key,
                                        const std::string& upload_id, int number,
                                        std::string_view body) {
    S3Client::Request request;
    request.method = "PUT";
    request.key = key;
    request.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    request.body = body;
    std::string what = StrCat("UploadPart ", number, " of ", client.ObjectName(key));
    ASSIGN_OR_RETURN(S3Client::Response response, client.Send(request, what));
    RETURN_IF_ERROR(client.Check(response, what));
    std::string etag = response.Header("etag");
    if (etag.empty()) return absl::DataLossError(StrCat(what, ": the answer has no ETag"));
    return etag;
  }

  // The single PUT, or the multipart upload's last parts and its completion.
  Status Upload() {
    if (!first_part_cut_) {
      S3Client::Request request;
      request.method = "PUT";
      request.key = key_;
      request.body = buffer_;
      std::string what = StrCat("PUT ", name());
      ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
      return client_->Check(response, what);
    }
    if (!buffer_.empty()) RETURN_IF_ERROR(CutPart());
    // Part 1 goes last: only now is its prefix final.
    ASSIGN_OR_RETURN(std::string first_etag, UploadPart(*client_, key_, upload_id_, 1, first_part_));
    parts_.emplace_back(1, std::move(first_etag));
    while (!in_flight_.empty()) RETURN_IF_ERROR(WaitOldest());

    std::string body = s3xml::CompleteMultipartBody(parts_);
    S3Client::Request request;
    request.method = "POST";
    request.key = key_;
    request.query = {{"uploadId", upload_id_}};
    request.body = body;
    std::string what = StrCat("CompleteMultipartUpload ", name());
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    RETURN_IF_ERROR(client_->Check(response, what));
    // S3 may fail a completion after answering 200: the error is in the body.
    if (response.body.find("<Error>") != std::string::npos) {
      s3xml::ErrorBody error = s3xml::ParseError(response.body);
      return absl::UnavailableError(
          StrCat(what, " failed: ", error.code, ": ", error.message));
    }
    upload_id_.clear();
    return absl::OkStatus();
  }

  std::shared_ptr<S3Client> client_;
  std::string key_;
  size_t part_size_;
  std::string buffer_;      // bytes not yet cut into a part
  std::string first_part_;  // part 1, uploaded at Close
  bool first_part_cut_ = false;
  std::string upload_id_;
  int next_part_ = 2;
  std::deque<std::pair<int, std::future<Result<std::string>>>> in_flight_;
  std::vector<std::pair<int, std::string>> parts_;  // uploaded: number, ETag
  uint64_t size_ = 0;
};

}  // namespace

S3Storage::S3Storage(std::shared_ptr<S3Client> client, std::string prefix, size_t part_size,
                     int list_page_size)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      part_size_(part_size),
      list_page_size_(list_page_size) {}

S3Storage::~S3Storage() = default;

Result<std::unique_ptr<S3Storage>> S3Storage::Open(const S3Options& options) {
  S3Client::Config config;
  config.region = options.region.empty() ? "us-east-1" : options.region;
  config.bucket = options.bucket;
  config.max_retries = options.max_retries;
  config.retry_budget_ms = options.retry_budget_ms;
  if (options.bucket.empty()) return absl::InvalidArgumentError("S3 bucket name is empty");
  if (options.part_size < kMinPartSize || options.part_size > kMaxPartSize) {
    return absl::InvalidArgumentError(StrCat("S3 part size must be between ", kMinPartSize,
                                             " and ", kMaxPartSize, " bytes, not ",
                                             options.part_size));
  }
  if (options.list_page_size < 1 || options.list_page_size > 1000) {
    return absl::InvalidArgumentError(StrCat("S3 list page size must be 1..1000, not ",
                                             options.list_page_size));
  }

  ASSIGN_OR_RETURN(CloudEndpoint where,
                   ResolveCloudEndpoint(options.section, options.cloud, options.endpoint,
                                        options.region, options.use_ssl, options.addressing));
  config.scheme = where.scheme;
  config.host = where.host;
  config.region = where.region;
  config.virtual_host = where.virtual_host;
  config.cloud = options.cloud;
  config.url_scheme = where.url_scheme;

  if (options.credentials != nullptr) {
    config.credentials = options.credentials;
  } else if (options.use_iam) {
    ASSIGN_OR_RETURN(config.credentials,
                     IamCredentialProvider(options.cloud, options.section));
  } else {
    config.access_key = options.access_key;
    config.secret_key = options.secret_key;
    if (!options.credentials_origin.empty()) {
      config.credentials_origin = options.credentials_origin;
    }
    if (config.access_key.empty() || config.secret_key.empty()) {
      return absl::InvalidArgumentError(StrCat(
          "S3 access key and secret key are required for bucket '", options.bucket, "'"));
    }
  }

  std::string prefix;
  if (!options.prefix.empty()) {
    std::string_view p = options.prefix;
    while (!p.empty() && p.front() == '/') p.remove_prefix(1);
    ASSIGN_OR_RETURN(prefix, NormalizeRelativePath(p, StrCat("s3://", options.bucket)));
    if (!prefix.empty()) prefix.push_back('/');
  }

  ASSIGN_OR_RETURN(std::shared_ptr<S3Client> client, S3Client::Create(std::move(config)));
  if (options.check_bucket) {
    S3Client::Request request;
    request.method = "HEAD";
    std::string what = StrCat("HEAD bucket ", client->ObjectName(""));
    ASSIGN_OR_RETURN(S3Client::Response response, client->Send(request, what));
    if (response.status == 404) {
      return absl::NotFoundError(StrCat("bucket '", options.bucket, "' does not exist at ",
                                        client->EndpointUrl(), " [cloud ", options.cloud,
                                        "]"));
    }
    RETURN_IF_ERROR(client->Check(response, what));
  }
  return std::unique_ptr<S3Storage>(
      new S3Storage(std::move(client), std::move(prefix), options.part_size,
                    options.list_page_size));
}

Result<std::string> S3Storage::Key(std::string_view path) const {
  ASSIGN_OR_RETURN(std::string rel, NormalizeRelativePath(path, Describe()));
  if (rel.empty()) {
    return absl::InvalidArgumentError(StrCat("empty file path under ", Describe()));
  }
  return prefix_ + rel;
}

Result<std::string> S3Storage::DirKey(std::string_view path) const {
  ASSIGN_OR_RETURN(std::string rel, NormalizeRelativePath(path, Describe()));
  return rel.empty() ? prefix_ : prefix_ + rel + "/";
}

Result<std::unique_ptr<RandomAccessFile>> S3Storage::OpenRead(std::string_view path) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  ASSIGN_OR_RETURN(std::optional<S3Client::Response> head, HeadObject(*client_, key));
  std::string name = client_->ObjectName(key);
  if (!head) {
    return absl::NotFoundError(
        StrCat(name, " does not exist (endpoint ", client_->EndpointUrl(), ")"));
  }
  std::string length = head->Header("content-length");
  char* end = nullptr;
  unsigned long long size = std::strtoull(length.c_str(), &end, 10);
  if (length.empty() || end == nullptr || *end != '\0') {
    return absl::DataLossError(
        StrCat("HEAD ", name, ": the answer has no usable Content-Length ('", length, "')"));
  }
  return std::unique_ptr<RandomAccessFile>(
      new S3RandomAccessFile(client_, std::move(key), static_cast<uint64_t>(size)));
}

Result<std::unique_ptr<WritableFile>> S3Storage::OpenWrite(std::string_view path) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  return std::unique_ptr<WritableFile>(new S3WritableFile(client_, std::move(key), part_size_));
}

Result<std::vector<FileInfo>> S3Storage::ListKeys(const std::string& key_prefix) {
  std::vector<FileInfo> out;
  std::string token;
  do {
    S3Client::Request request;
    request.method = "GET";
    request.query = {{"list-type", "2"}, {"max-keys", std::to_string(list_page_size_)}};
    if (!key_prefix.empty()) request.query.emplace_back("prefix", key_prefix);
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    std::string what = StrCat("ListObjectsV2 ", client_->ObjectName(key_prefix));
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    RETURN_IF_ERROR(client_->Check(response, what));
    ASSIGN_OR_RETURN(s3xml::ListPage page, s3xml::ParseListObjectsV2(response.body));
    for (auto& [key, size] : page.objects) {
      // Keys ending in '/' are folder markers some tools create, not files.
      if (key.size() < prefix_.size() || key.compare(0, prefix_.size(), prefix_) != 0 ||
          key.back() == '/') {
        continue;
      }
      out.push_back(FileInfo{key.substr(prefix_.size()), size});
    }
    token = page.truncated ? page.next_token : "";
  } while (!token.empty());
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return out;
}

Result<std::vector<FileInfo>> S3Storage::List(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string key_prefix, DirKey(prefix));
  return ListKeys(key_prefix);
}

Status S3Storage::Delete(std::string_view path) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  S3Client::Request request;
  request.method = "DELETE";
  request.key = key;
  std::string what = StrCat("DELETE ", client_->ObjectName(key));
  ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
  if (IsMissingObject(response)) {
    return absl::OkStatus();
  }
  return client_->Check(response, what);
}

Status S3Storage::DeletePrefix(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string key_prefix, DirKey(prefix));
  ASSIGN_OR_RETURN(std::vector<FileInfo> files, ListKeys(key_prefix));
  for (size_t start = 0; start < files.size(); start += kDeleteBatch) {
    size_t end = std::min(files.size(), start + kDeleteBatch);
    std::vector<std::string> keys;
    for (size_t i = start; i < end; ++i) keys.push_back(prefix_ + files[i].path);
    std::string body = s3xml::DeleteObjectsBody(keys);
    S3Client::Request request;
    request.method = "POST";
    request.query = {{"delete", ""}};
    request.headers = {{"content-md5", Base64Md5(body)}};
    request.body = body;
    std::string what = StrCat("DeleteObjects under ", client_->ObjectName(key_prefix));
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    if (response.status == 501) {
      // Servers without batch delete: one request per object.
      for (size_t i = start; i < end; ++i) RETURN_IF_ERROR(Delete(files[i].path));
      continue;
    }
    RETURN_IF_ERROR(client_->Check(response, what));
    std::vector<std::string_view> errors = s3xml::FindAll(response.body, "Error");
    if (!errors.empty()) {
      std::string key = s3xml::FindFirst(errors[0], "Key").value_or("?");
      s3xml::ErrorBody error = s3xml::ParseError(errors[0]);
      return absl::InternalError(StrCat(what, ": ", errors.size(), " objects not deleted, e.g. ",
                                        client_->ObjectName(key), " (", error.code, ": ",
                                        error.message, ")"));
    }
  }
  return absl::OkStatus();
}

Result<bool> S3Storage::Exists(std::string_view path) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  ASSIGN_OR_RETURN(std::optional<S3Client::Response> head, HeadObject(*client_, key));
  return head.has_value();
}

Result<std::optional<VersionedFile>> S3Storage::ReadVersioned(std::string_view path) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  S3Client::Request request;
  request.method = "GET";
  request.key = key;
  std::string what = StrCat("GET ", client_->ObjectName(key));
  ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
  if (IsMissingObject(response)) {
    return std::optional<VersionedFile>();
  }
  RETURN_IF_ERROR(client_->Check(response, what));
  std::string etag = response.Header("etag");
  if (etag.empty()) return absl::DataLossError(StrCat(what, ": the answer has no ETag"));
  return std::optional<VersionedFile>(VersionedFile{std::move(response.body), std::move(etag)});
}

Result<std::optional<std::string>> S3Storage::WriteIfVersion(
    std::string_view path, std::string_view content, const std::optional<std::string>& expected) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  S3Client::Request request;
  request.method = "PUT";
  request.key = key;
  request.body = content;
  if (expected) {
    request.headers = {{"if-match", *expected}};
  } else {
    request.headers = {{"if-none-match", "*"}};
  }
  std::string what = StrCat("conditional PUT ", client_->ObjectName(key));
  ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
  // 412: the condition failed; 409: another conditional write to the key raced this one;
  // 404: If-Match on a key that is gone.
  if (response.status == 412 || response.status == 409 || IsMissingObject(response)) {
    return std::optional<std::string>();
  }
  RETURN_IF_ERROR(client_->Check(response, what));
  std::string etag = response.Header("etag");
  if (etag.empty()) return absl::DataLossError(StrCat(what, ": the answer has no ETag"));
  return std::optional<std::string>(std::move(etag));
}

Result<bool> S3Storage::DeleteIfVersion(std::string_view path, const std::string& expected) {
  ASSIGN_OR_RETURN(std::string key, Key(path));
  S3Client::Request request;
  request.method = "DELETE";
  request.key = key;
  request.headers = {{"if-match", expected}};
  std::string what = StrCat("conditional DELETE ", client_->ObjectName(key));
  ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
  if (response.status == 412 || response.status == 409 || IsMissingObject(response)) {
    return false;
  }
  RETURN_IF_ERROR(client_->Check(response, what));
  return true;
}

Result<int> S3Storage::RemoveAbandonedWrites(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string key_prefix, DirKey(prefix));
  int aborted = 0;
  std::string key_marker, upload_id_marker;
  while (true) {
    S3Client::Request request;
    request.method = "GET";
    request.query = {{"uploads", ""}};
    if (!key_prefix.empty()) request.query.emplace_back("prefix", key_prefix);
    if (!key_marker.empty()) request.query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty()) {
      request.query.emplace_back("upload-id-marker", upload_id_marker);
    }
    std::string what = StrCat("ListMultipartUploads ", client_->ObjectName(key_prefix));
    ASSIGN_OR_RETURN(S3Client::Response response, client_->Send(request, what));
    RETURN_IF_ERROR(client_->Check(response, what));
    ASSIGN_OR_RETURN(s3xml::UploadsPage page, s3xml::ParseListMultipartUploads(response.body));
    for (const auto& [key, upload_id] : page.uploads) {
      // Only our own prefix, even from a store that ignores the prefix parameter.
      if (key.compare(0, key_prefix.size(), key_prefix) != 0) continue;
      S3Client::Request abort;
      abort.method = "DELETE";
      abort.key = key;
      abort.query = {{"uploadId", upload_id}};
      std::string abort_what = StrCat("AbortMultipartUpload ", client_->ObjectName(key));
      ASSIGN_OR_RETURN(S3Client::Response answer, client_->Send(abort, abort_what));
      if (answer.status == 404) continue;  // completed or aborted meanwhile
      RETURN_IF_ERROR(client_->Check(answer, abort_what));
      ++aborted;
    }
    if (!page.truncated) break;
    if (page.next_key_marker == key_marker && page.next_upload_id_marker == upload_id_marker) {
      return absl::DataLossError(StrCat(what, ": the next page marker does not advance"));
    }
    key_marker = page.next_key_marker;
    upload_id_marker = page.next_upload_id_marker;
  }
  return aborted;
}

std::string S3Storage::ImportPath(std::string_view path) const {
  Result<std::string> key = Key(path);
  return key.ok() ? *key : prefix_ + std::string(path);
}

std::string S3Storage::Describe() const {
  std::string out = client_->ObjectName("");
  if (!prefix_.empty()) out += "/" + prefix_.substr(0, prefix_.size() - 1);
  return out;
}

}  // namespace mm
