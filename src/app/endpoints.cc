#include "app/endpoints.h"

#include <spdlog/spdlog.h>

#include "storage/local_storage.h"
#include "storage/storage_from_config.h"

namespace mm {

Result<std::unique_ptr<Storage>> OpenOutputStorage(const MigrationConfig& config) {
  if (config.target_mode == "local") {
    ASSIGN_OR_RETURN(auto storage, LocalStorage::Open(config.output_dir));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  return OpenRemoteStorage(config, config.target_remote, "target.remote", config.output_dir);
}

Result<std::unique_ptr<MilvusClient>> ConnectMilvus(const MigrationConfig& config) {
  // Only load and start need Milvus; dump runs without it.
  if (config.milvus_endpoint.empty()) {
    return absl::InvalidArgumentError(
        StrCat(config.config_path, ": [target.milvus2x.endpoint] must be set (host:port)"));
  }
  MilvusOptions options;
  options.endpoint = config.milvus_endpoint;
  options.username = config.milvus_username;
  options.password = config.milvus_password;
  options.database = config.milvus_database;
  options.retry_budget_s = config.retry_budget_s;
  return MilvusClient::Connect(options);
}

Status EnsureTargetDatabase(const MigrationConfig& config) {
  if (config.milvus_database.empty() || config.milvus_database == "default") {
    return absl::OkStatus();
  }
  // Connected to no database: a server refuses calls naming one it does not have.
  MigrationConfig without = config;
  without.milvus_database.clear();
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(without));
  Result<std::vector<std::string>> names = milvus->ListDatabases();
  if (absl::IsUnimplemented(names.status())) {
    return absl::FailedPreconditionError(StrCat(
        config.config_path, ": [target.milvus2x.database] '", config.milvus_database,
        "': the target Milvus at ", milvus->endpoint(),
        " has no databases (Milvus Lite has none); leave the key out"));
  }
  RETURN_IF_ERROR(names.status());
  for (const auto& name : *names) {
    if (name == config.milvus_database) return absl::OkStatus();
  }
  spdlog::info("load: creating database '{}' in milvus {}", config.milvus_database,
               milvus->endpoint());
  return milvus->CreateDatabase(config.milvus_database);
}

}  // namespace mm
