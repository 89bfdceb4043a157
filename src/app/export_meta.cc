#include "app/export_meta.h"

#include <spdlog/spdlog.h>

#include "sources/milvus1x/meta_json.h"
#include "sources/milvus1x/milvus1x_config.h"
#include "storage/local_storage.h"

namespace mm {

Result<std::string> ExportMilvus1xMeta(const ExportMetaRequest& request) {
  if (request.sqlite_file.empty() == request.mysql_url.empty()) {
    return absl::InvalidArgumentError(
        "export: give exactly one of -s/--sqlite FILE and -m/--mysql "
        "\"user:password@tcp(host:3306)/milvus\"");
  }
  if (request.output_dir.empty()) {
    return absl::InvalidArgumentError("export: -o/--output DIR is required");
  }
  // The 1.x source already knows how to read either store.
  MigrationConfig shared;
  shared.config_path = "export";
  Milvus1xConfig config;
  config.meta_mode = request.sqlite_file.empty() ? "mysql" : "sqlite";
  config.meta_sqlite_file = request.sqlite_file;
  config.meta_mysql_url = request.mysql_url;
  ASSIGN_OR_RETURN(Milvus1xMetaRead read, ReadMilvus1xMeta(config, shared));

  ASSIGN_OR_RETURN(auto dir, LocalStorage::Open(request.output_dir));
  ASSIGN_OR_RETURN(auto file, dir->OpenWrite("meta.json"));
  RETURN_IF_ERROR(file->Append(FormatMetaJson(read.meta)));
  RETURN_IF_ERROR(file->Close());
  const int64_t segments = read.meta.segment_count();
  spdlog::info("export: {} table(s), {} segment(s), {} rows from {}", read.meta.tables.size(),
               segments, read.meta.rows, read.origin);
  return dir->ImportPath("meta.json");  // the absolute path
}

}  // namespace mm
