#include "sources/registry.h"

#include <iterator>

#include "sources/elasticsearch/elasticsearch_config.h"
#include "sources/faiss/faiss_config.h"
#include "sources/milvus1x/milvus1x_config.h"
#include "sources/postgres/postgres_config.h"
#include "sources/mongodb/mongodb_config.h"
#include "sources/redis/redis_config.h"

namespace mm {
namespace {

// One line a kind (the last column: its default loader.mode). Recognition asks the kinds in
// this order when workMode is absent.
constexpr SourceKind kSourceKinds[] = {
    {"faiss", RecogniseFaissConfig, ParseFaissConfig, OpenFaissSource, LoaderMode::kImport},
    {"milvus1x", RecogniseMilvus1xConfig, ParseMilvus1xConfig, OpenMilvus1xSource,
     LoaderMode::kImport},
    {"elasticsearch", RecogniseElasticsearchConfig, ParseElasticsearchSourceConfig,
     OpenElasticsearchSource, LoaderMode::kImport},
    {"postgres", RecognisePostgresConfig, ParsePostgresConfig, OpenPostgresSource,
     LoaderMode::kImport},
    {"mongodb", RecogniseMongoConfig, ParseMongoSourceConfig, OpenMongoSource,
     LoaderMode::kImport},
    {"redis", RecogniseRedisConfig, ParseRedisSourceConfig, OpenRedisSource,
     LoaderMode::kImport},
};

}  // namespace

const SourceKind* FindSourceKind(std::string_view work_mode) {
  for (const SourceKind& kind : kSourceKinds) {
    if (work_mode == kind.work_mode) return &kind;
  }
  return nullptr;
}

const SourceKind* RecogniseSourceKind(const ConfigReader& r, const MigrationConfig& shared) {
  for (const SourceKind& kind : kSourceKinds) {
    if (kind.recognise(r, shared)) return &kind;
  }
  return nullptr;
}

std::string SourceKindNames() {
  std::string names;
  const size_t n = std::size(kSourceKinds);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) names += i + 1 == n ? " or " : ", ";
    names += kSourceKinds[i].work_mode;
  }
  return names;
}

Result<OpenedSource> OpenSource(const MigrationConfig& config) {
  const SourceKind* kind = FindSourceKind(config.work_mode);
  if (kind == nullptr || config.source == nullptr) {
    return absl::InvalidArgumentError(
        StrCat("[dumper.worker.workMode] '", config.work_mode, "' is not supported"));
  }
  return kind->open(*config.source, config);
}

}  // namespace mm
