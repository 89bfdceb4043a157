// Storage in one container of an Azure Blob storage account, under an optional blob-name
// prefix, over the Blob REST API (azure_client.h).
//
// Files map to block blobs: path "a/b.npy" is blob "<prefix>/a/b.npy". Reads are ranged GETs
// (x-ms-range). Writes are buffered: a file up to block_size goes up in one Put Blob at
// Close(); a larger one is staged as Put Block calls (block 1 stays in memory until Close()
// so RewritePrefix() can still patch it) and committed by one Put Block List, so nothing is
// visible until Close() succeeds. Abort() sends nothing: Azure has no call that drops staged
// blocks; uncommitted blocks are never visible and Azure discards them after seven days (or
// when a blob of that name is committed). RemoveAbandonedWrites() therefore finds nothing to
// do and returns 0.
// List/DeletePrefix treat the prefix as a directory: "a/b" covers "a/b/..." but not "a/bc".
//
// Endpoint: empty means https://<account>.blob.core.windows.net. An endpoint with a path
// ("http://127.0.0.1:10000/devstoreaccount1", Azurite) addresses the account path-style.
// Credentials: the account name (ak) with its key (sk, base64), or a SAS token in sk
// (recognised by its sv= and sig=), or with use_iam and no SAS a bearer token: by workload
// identity when AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are set
// (azure_workload_identity.h), else from the managed identity endpoint (azure_imds.h). Account names are shown in messages (they are part of every blob URL);
// keys, SAS tokens and bearer tokens never are.
//
// Thread-safety: as S3Storage: the storage and its RandomAccessFiles may be used from many
// threads; a WritableFile by one thread at a time. Files may outlive the AzureStorage.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace mm {

class AzureClient;

struct AzureOptions {
  std::string endpoint;   // see above; a scheme here overrides use_ssl
  std::string account;    // the storage account (target.remote.ak)
  std::string key;        // its key (base64) or a SAS token (target.remote.sk)
  std::string container;  // the bucket
  bool use_ssl = true;    // the scheme of an endpoint given without one
  bool use_iam = false;   // a managed identity token, unless `key` is a SAS token
  std::string prefix;     // root blob-name prefix, no leading '/'
  // List one blob at Open, so a wrong container, key or endpoint fails before any work.
  bool check_container = true;
  // Put Block size; 1 MiB to 4000 MiB (Azure's largest block).
  size_t block_size = 16 << 20;
  int64_t retry_budget_ms = 60000;
  int max_retries = -1;
  // Where account/key came from ("target.remote.ak/sk"), for refusals.
  std::string credentials_origin;
  int list_page_size = 5000;  // blobs per List Blobs page (Azure caps it at 5000)
};

class AzureStorage : public Storage {
 public:
  // InvalidArgument for a bad option or key; with check_container, NotFound for a missing
  // container, PermissionDenied for refused credentials, Unavailable for an unreachable
  // endpoint (after retries).
  static Result<std::unique_ptr<AzureStorage>> Open(const AzureOptions& options);
  ~AzureStorage() override;

  Result<std::unique_ptr<RandomAccessFile>> OpenRead(std::string_view path) override;
  Result<std::unique_ptr<WritableFile>> OpenWrite(std::string_view path) override;
  Result<std::vector<FileInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view path) override;
  Status DeletePrefix(std::string_view prefix) override;
  Result<bool> Exists(std::string_view path) override;
  // Put Blob / Delete Blob with If-None-Match: * or If-Match: <ETag>; the version is the
  // ETag. Azure (and Azurite) honour both.
  Result<std::optional<VersionedFile>> ReadVersioned(std::string_view path) override;
  Result<std::optional<std::string>> WriteIfVersion(
      std::string_view path, std::string_view content,
      const std::optional<std::string>& expected) override;
  Result<bool> DeleteIfVersion(std::string_view path, const std::string& expected) override;
  // Returns 0: staged blocks expire by themselves (see above).
  Result<int> RemoveAbandonedWrites(std::string_view prefix) override;
  // The blob name: "<prefix>/<path>", no container (Milvus on Azure imports from its own
  // container by blob name).
  std::string ImportPath(std::string_view path) const override;
  // "azure://container/prefix".
  std::string Describe() const override;

 private:
  AzureStorage(std::shared_ptr<AzureClient> client, std::string prefix, size_t block_size,
               int list_page_size);

  Result<std::string> BlobName(std::string_view path) const;
  Result<std::string> DirPrefix(std::string_view path) const;
  Result<std::vector<FileInfo>> ListBlobs(const std::string& name_prefix);

  std::shared_ptr<AzureClient> client_;
  std::string prefix_;  // "" or ends with '/'
  size_t block_size_;
  int list_page_size_;
};

}  // namespace mm
