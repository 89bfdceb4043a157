// The Elasticsearch source: one index (or alias) becomes one collection. The index is read in
// `slices` parallel tasks: on 8.x through one shared point in time with search_after (sorted
// by _shard_doc), on 7.x through sliced scrolls. Only the configured fields are requested;
// fields excluded from _source come from doc values. Scrolls and the point in time are
// cleared when a task ends or fails, and when the source goes away.
// Thread-safe after Open: tasks run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/elasticsearch_config.h"
#include "core/status.h"
#include "sources/elasticsearch/es_client.h"
#include "sources/source.h"

namespace mm {

class EsSource : public Source {
 public:
  // Reads the mapping (checks every configured field, NotFound for a missing index) and the
  // document count.
  static Result<std::unique_ptr<EsSource>> Open(std::shared_ptr<EsClient> client,
                                                ElasticsearchConfig config);
  ~EsSource() override;

  // One collection (meta.milvus.collection, else the index name made a valid 2.x name);
  // tasks "slice-<i>-of-<n>". Slices are not stable between two points in time, so a
  // dump that stopped part-way reads every slice again (tasks_resumable = false).
  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;

  int64_t document_count() const;

  struct State;  // shared with the slice readers; defined in es_source.cc

 private:
  explicit EsSource(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace mm
