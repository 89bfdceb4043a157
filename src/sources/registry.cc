#include "sources/registry.h"

#include <iterator>

#include "sources/elasticsearch/elasticsearch_config.h"
#include "sources/faiss/faiss_config.h"
#include "sources/milvus1x/milvus1x_config.h"
#include "sources/milvus2x/milvus2x_config.h"
#include "sources/mongodb/mongodb_config.h"
#include "sources/postgres/postgres_config.h"
#include "sources/redis/redis_config.h"

namespace mm {
namespace {

// One line a kind (the last column: its default loader.mode). Recognition asks the kinds in
// this order when workMode is absent.
constexpr SourceKind kSourceKinds[] = {
    {"faiss", RecogniseFaissConfig, ParseFaissConfig, OpenFaissSource, LoaderMode::kImport},
    // Before milvus1x, which also recognises meta.mode: a source.milvus2x section decides.
    // Insert by default: the Go tool's way, and the target may not reach the source's bucket.
    {"milvus2x", RecogniseMilvus2xConfig, ParseMilvus2xConfig, OpenMilvus2xSource,
     LoaderMode::kInsert},
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
