// The MongoDB source: each configured collection becomes a target collection, read as
// `tasks` ranges of _id, each in _id order. Split points come from splitVector (the server
// cuts at chunk boundaries; it may be refused, e.g. without the clusterManager role or on
// FerretDB), else from a scan of the matching _ids (at most kMaxScanForSplits documents),
// else from $sample sorted by _id. A task's id carries a digest of its bounds, so a rerun
// whose split points differ (changed data, $sample) redoes those tasks instead of mixing two
// splits. A task resumes part-way after the last _id a dump checkpointed (PositionAfter).
// _ids of mixed BSON type brackets (numbers, strings, ObjectIds) cannot be cut into ranges,
// since MongoDB compares a bound only with values of its own bracket: such a collection is
// one task, read again from its start after an interruption.
// Thread-safe after Open: tasks run concurrently, each with its own pooled client.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/mongodb/mongo_client.h"
#include "sources/mongodb/mongodb_config.h"
#include "sources/source.h"

namespace mm {

// Above this many matching documents the split points come from $sample, not a scan.
inline constexpr int64_t kMaxScanForSplits = 5'000'000;

class MongoSource : public Source {
 public:
  // Checks that the database and each collection exist (NotFound naming it), counts the
  // matching documents, and types _id from the first one.
  static Result<std::unique_ptr<MongoSource>> Open(std::shared_ptr<MongoClient> client,
                                                   MongoConfig config);
  ~MongoSource() override;

  // Collections in config order; tasks "ids-<i>-of-<n>-<digest>".
  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;
  // `position`: {"_id": <the last _id read>} as canonical extended JSON.
  Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                  const std::string& position) override;

  struct State;  // shared with the readers; defined in mongo_source.cc

 private:
  explicit MongoSource(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace mm
