// The Elasticsearch source: one index (or alias) becomes one collection, read in `slices`
// parallel tasks. Slices hash a long pk, else _id, so a slice holds the same documents in
// every point in time or scroll and a rerun skips slices already dumped. With a keyword or
// long pk, a slice is read in pk order: a lost search context is reopened after the last pk
// read, and a dump checkpoints the slice part-way (PositionAfter).
// `auto` reads through one shared point in time with search_after on 7.12+, except where it
// would slice by _id (which a point in time refuses): then, and on older servers, through
// sliced scrolls. A page that some shards failed to answer is never taken.
// Only the configured fields are requested; fields excluded from _source come from doc
// values. Scrolls and the point in time are cleared when a task ends or fails, and when the
// source goes away.
// Thread-safe after Open: tasks run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/elasticsearch/elasticsearch_config.h"
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
  // tasks "slice-<i>-of-<n>".
  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;
  // `position`: {"sort": <pk field>, "after": <pk value>}, from PositionAfter.
  Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                  const std::string& position) override;

  int64_t document_count() const;

  struct State;  // shared with the slice readers; defined in es_source.cc

 private:
  explicit EsSource(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace mm
