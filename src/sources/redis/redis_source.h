// The Redis source: the keys under a prefix (or matching a glob) become one collection.
// A standalone server is one task; a Redis Cluster is one task a master, scanned on that
// node. A task walks SCAN pages (COUNT source.redis.scanCount, TYPE of the keyType) and reads
// each page's keys in one pipeline (HGETALL, GET or JSON.GET); a batch is one page.
//
// Positions: a SCAN cursor is where the next page starts, and stays valid across rehashing;
// SCAN returns every key present for the whole scan at least once. A task checkpointed in the
// middle of a page records that page's cursor and the keys of it already dumped (hex, in
// source order); the resumed task scans the page again and leaves those keys out. Keys added
// during the scan may or may not be read; keys deleted after SCAN named them are skipped and
// counted.
// Thread-safe after Open: tasks open their own connections.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/redis/redis_config.h"
#include "sources/source.h"

namespace mm {

class RedisSource : public Source {
 public:
  // Connects (checking the credentials), reads FT.INFO when `index` is set, and finds the
  // cluster's masters when the server is a cluster node.
  static Result<std::unique_ptr<RedisSource>> Open(const RedisConfig& config);
  ~RedisSource() override;

  // One collection; tasks "server" (standalone) or "slots-<first slot>" (cluster masters).
  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;
  // `position`: {"cursor": "<SCAN cursor>", "done": ["<hex key>", ...]}, from PositionAfter.
  Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                  const std::string& position) override;

  struct State;  // shared with the task readers; defined in redis_source.cc

 private:
  explicit RedisSource(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace mm
