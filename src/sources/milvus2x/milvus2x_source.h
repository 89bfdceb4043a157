// A Milvus 2.x collection (2.3+) as a source. Plan reads each collection's schema, layout
// (shards, consistency level, partition-key partitions), partitions and indexes, takes one
// timestamp from the server, counts the live rows at it (the expected count), and cuts each
// partition into primary-key ranges by reading its primary keys once. A task is one range
// of one partition, read in pk order by queries "pk > last && pk <= upper" with a limit, at
// that timestamp; it resumes after the last pk of a checkpointed part.
// Why the limit query reads in pk order, and what the timestamp pins on 2.3:
// /work/shared/notes/milvus2x-read.md (summarised in README "Milvus 2.x source").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/migration_config.h"
#include "core/status.h"
#include "milvus/milvus_client.h"
#include "sources/milvus2x/milvus2x_config.h"
#include "sources/source.h"

namespace mm {

// One task's range: pk in (lower, upper]; an absent bound is open.
struct PkRange {
  std::optional<std::string> lower;  // Int64 pks as decimal text
  std::optional<std::string> upper;
};

// `field > lower && field <= upper` for a pk of `type` (Int64 or VarChar); VarChar values are
// quoted and escaped. "" when both bounds are open.
std::string PkRangeExpr(const std::string& field, DataType type, const PkRange& range);

class Milvus2xSource final : public Source {
 public:
  // Connects to the source (each database), checking the credentials. Unauthenticated naming
  // the user when they are wrong.
  static Result<std::unique_ptr<Milvus2xSource>> Open(const Milvus2xConfig& config,
                                                      const MigrationConfig& shared);

  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;
  Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                  const std::string& position) override;

  // "milvus2x:host:port/db.collection,...": stable across runs, for the manifest.
  std::string Describe() const;

  struct Database {
    std::string name;
    std::shared_ptr<MilvusClient> client;
    std::vector<std::string> collections;  // source collection names
  };
  struct TaskSource {
    std::shared_ptr<MilvusClient> client;
    std::string collection;          // source collection
    std::string partition;           // source partition to read; "" = every partition
    SchemaPtr schema;                // the target's, field order as read
    std::string pk_field;
    DataType pk_type = DataType::kInt64;
    PkRange range;
    int64_t rows = 0;  // live rows at the timestamp
  };

 private:
  Milvus2xSource(Milvus2xConfig config, std::vector<Database> databases, int tasks_hint)
      : config_(std::move(config)), databases_(std::move(databases)), tasks_hint_(tasks_hint) {}

  Result<CollectionPlan> PlanCollection(const Database& db, const std::string& name);

  Milvus2xConfig config_;
  std::vector<Database> databases_;
  int tasks_hint_;
  uint64_t ts_ = 0;  // the read timestamp, from the server, taken by Plan()
  std::mutex mu_;
  std::map<std::string, TaskSource> tasks_;  // by collection + "/" + task id
};

}  // namespace mm
