// The Milvus 1.x source: every live collection of a 1.x instance becomes a 2.x collection
// with an Int64 primary key `id` and a vector field `data` (the Go tool's names), and every
// 1.x partition a partition of it, named by its tag. A task is one segment, streamed by
// SegmentReader with its deleted rows left out.
// Thread-safe after Open: Plan and OpenTask may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/milvus1x/milvus1x_meta.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

struct Milvus1xSourceOptions {
  // Only these 1.x collections; empty means all. An unknown name is NotFound.
  std::vector<std::string> collections;
  // 1.x collection name -> 2.x name, and partition tag -> 2.x partition name. Names not
  // listed are mapped by ToMilvus2xName (milvus/name_rules.h) when 2.x would reject them.
  std::map<std::string, std::string> collection_name_map;
  std::map<std::string, std::string> partition_name_map;
  int32_t shards_num = 0;
  // Consecutive segments of one table are grouped into a task of up to this many payload
  // bytes: each part is one import request, and Milvus runs imports one after another, so
  // a thousand small segments must not become a thousand parts. 0 = one task a segment.
  int64_t task_bytes = 256 << 20;
  int64_t batch_bytes = 4 << 20;
  int64_t read_buffer_bytes = 1 << 20;
  std::string id_field = "id";
  std::string vector_field = "data";
};

class Milvus1xSource : public Source {
 public:
  // `tables` is rooted at the 1.x tables directory. Checks, before any data is read, that
  // the names map to distinct valid 2.x names, that every metric code is known, and that
  // every live segment has its .rv and .uid (one listing per table): segments with only an
  // index file are FailedPrecondition, missing segment directories NotFound, each listed
  // by name.
  static Result<std::unique_ptr<Milvus1xSource>> Open(Milvus1xMeta meta,
                                                      std::shared_ptr<Storage> tables,
                                                      Milvus1xSourceOptions options);
  ~Milvus1xSource() override;

  // One plan per selected 1.x collection, its partitions listed. A task covers one or more
  // consecutive segments of one table: "<table_id>/<first segment_id>", with "+<n>" when it
  // holds n more.
  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;

 private:
  struct Collection;
  struct TaskInfo;
  Milvus1xSource(std::shared_ptr<Storage> tables, Milvus1xSourceOptions options);

  std::shared_ptr<Storage> tables_;
  Milvus1xSourceOptions options_;
  std::vector<std::unique_ptr<Collection>> collections_;
  std::map<std::string, TaskInfo> tasks_;  // by task id
};

}  // namespace mm
