// Storage in one bucket of an S3-compatible object store (AWS S3, MinIO, SeaweedFS, and the
// S3 APIs of Google Cloud Storage, Alibaba OSS and Tencent COS), under an optional key
// prefix, with Signature V4 (or an OAuth2 bearer token for GCS with useIAM). Each cloud's
// default endpoint and addressing style are in cloud_endpoint.h.
//
// Files map to objects: path "a/b.npy" is key "<prefix>/a/b.npy". Reads are ranged GETs.
// Writes are buffered: a file up to part_size goes up in one PUT at Close(); a larger one
// becomes a multipart upload whose first part stays in memory until Close() so
// RewritePrefix() can still patch it (S3 accepts parts in any order). Nothing is visible
// until Close() succeeds; Abort() or destruction without Close() aborts the upload.
// List/DeletePrefix treat the prefix as a directory: "a/b" covers "a/b/..." but not "a/bc".
//
// Credentials: the access/secret key pair of S3Options, or with use_iam the cloud's instance
// identity (cloud_credentials.h: environment variables, EC2 IMDSv2, EKS web identity, GCE
// metadata or a service-account key, the ECS RAM role), refreshed before they expire. No
// key or token ever appears in logs or errors.
//
// Thread-safety: S3Storage and its RandomAccessFiles may be used from many threads (a curl
// handle per request, from a pool); a WritableFile is used by one thread at a time. Files
// share the connection pool and may outlive the S3Storage.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/credentials.h"
#include "storage/storage.h"

namespace mm {

class S3Client;

struct S3Options {
  // "host:port" or "http(s)://host:port"; a scheme here overrides use_ssl. Empty means AWS:
  // "s3.<region>.amazonaws.com".
  std::string endpoint;
  std::string region;  // empty means the cloud's default (us-east-1, or auto for gcp)
  // aws (also minio, s3), gcp, ali or tc; see cloud_endpoint.h.
  std::string cloud = "aws";
  // "path", "virtual", or "" for the cloud's default style.
  std::string addressing;
  // The config section ("target.remote"), named in configuration errors.
  std::string section = "S3";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  bool use_ssl = false;
  bool use_iam = false;
  std::string prefix;  // root key prefix, no leading '/'
  // HEAD the bucket at Open, so a wrong bucket, key or endpoint fails before any work.
  bool check_bucket = true;
  // Multipart part size; at least 5 MiB (S3's minimum for all parts but the last).
  size_t part_size = 16 << 20;
  // How long one request may keep retrying transient failures (retry.budgetSeconds), and
  // at most how many retries besides (-1: only the budget limits them).
  int64_t retry_budget_ms = 60000;
  int max_retries = -1;
  // Where access_key/secret_key came from ("target.remote.ak/sk"), for refusals; the keys
  // themselves are never shown.
  std::string credentials_origin;
  // Overrides the credentials above (tests; a caller with its own identity source).
  std::shared_ptr<CredentialProvider> credentials;
  // Keys per ListObjectsV2 page (S3 caps it at 1000); small values exercise pagination.
  int list_page_size = 1000;
};

class S3Storage : public Storage {
 public:
  // InvalidArgument for a bad option or missing credentials; with check_bucket, NotFound
  // for a missing bucket, PermissionDenied for refused keys, Unavailable for an unreachable
  // endpoint (after retries).
  static Result<std::unique_ptr<S3Storage>> Open(const S3Options& options);
  ~S3Storage() override;

  Result<std::unique_ptr<RandomAccessFile>> OpenRead(std::string_view path) override;
  Result<std::unique_ptr<WritableFile>> OpenWrite(std::string_view path) override;
  Result<std::vector<FileInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view path) override;
  Status DeletePrefix(std::string_view prefix) override;
  Result<bool> Exists(std::string_view path) override;
  // Conditional PUT/DELETE (If-None-Match: *, If-Match: <ETag>); the version is the ETag.
  // SeaweedFS 4.48 honours all three (tested); AWS S3 documents the conditional PUTs. A
  // store that ignores the headers makes these plain writes (see the output lock).
  Result<std::optional<VersionedFile>> ReadVersioned(std::string_view path) override;
  Result<std::optional<std::string>> WriteIfVersion(
      std::string_view path, std::string_view content,
      const std::optional<std::string>& expected) override;
  Result<bool> DeleteIfVersion(std::string_view path, const std::string& expected) override;
  // Aborts the incomplete multipart uploads whose keys lie under `prefix`
  // (ListMultipartUploads with that key prefix, then AbortMultipartUpload each).
  Result<int> RemoveAbandonedWrites(std::string_view prefix) override;
  // The object key: "<prefix>/<path>", no leading '/', no bucket.
  std::string ImportPath(std::string_view path) const override;
  // "s3://bucket/prefix" (or "s3://bucket").
  std::string Describe() const override;

 private:
  S3Storage(std::shared_ptr<S3Client> client, std::string prefix, size_t part_size,
            int list_page_size);

  // The object key for a file path; InvalidArgument for "", absolute paths and "..".
  Result<std::string> Key(std::string_view path) const;
  // The key prefix ending in '/' (or "" for the whole storage) for a directory path.
  Result<std::string> DirKey(std::string_view path) const;
  Result<std::vector<FileInfo>> ListKeys(const std::string& key_prefix);

  std::shared_ptr<S3Client> client_;
  std::string prefix_;  // "" or ends with '/'
  size_t part_size_;
  int list_page_size_;
};

}  // namespace mm
