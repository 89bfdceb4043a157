#include "sources/registry.h"

#include <iterator>

#include "sources/elasticsearch/elasticsearch_config.h"
#include "sources/faiss/faiss_config.h"
#include "sources/milvus1x/milvus1x_config.h"
#include "sources/milvus2x/milvus2x_config.h"

namespace mm {
namespace {

// One line a kind. Recognition asks the kinds in this order when workMode is absent.
constexpr SourceKind kSourceKinds[] = {
    {"faiss", RecogniseFaissConfig, ParseFaissConfig, OpenFaissSource},
    // Before milvus1x, which also recognises meta.mode: a source.milvus2x section decides.
    {"milvus2x", RecogniseMilvus2xConfig, ParseMilvus2xConfig, OpenMilvus2xSource},
    {"milvus1x", RecogniseMilvus1xConfig, ParseMilvus1xConfig, OpenMilvus1xSource},
    {"elasticsearch", RecogniseElasticsearchConfig, ParseElasticsearchSourceConfig,
     OpenElasticsearchSource},
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
