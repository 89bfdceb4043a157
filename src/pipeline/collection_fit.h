// Whether an existing Milvus collection may take a migration's rows, decided before anything
// is dumped or imported: the schema must fit the plan, and the same migration must not go
// into one collection twice (that would duplicate every row it already put there).
//
// Collections remember what went into them through properties the tool sets (Milvus 2.3+
// keeps arbitrary collection properties): kCreatedByProperty on a collection the tool
// created, and PlanPropertyKey(plan id) on any collection a migration's rows went into
// (created or appended to). A rerun recognises them even when the checkpoint is lost.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/migration_config.h"
#include "core/schema.h"
#include "core/status.h"
#include "milvus/milvus_client.h"

namespace mm {

inline constexpr const char* kCreatedByProperty = "milvus_migration.created_by";

// One collection of one migration: a hash of the source id and the collection name (hex, 16
// characters). The source id may hold credentials; the hash does not.
std::string PlanId(const std::string& source_id, const std::string& collection);
// "milvus_migration.plan.<plan id>"; its value says "created" or "appended" and when (UTC).
std::string PlanPropertyKey(const std::string& plan_id);
// The properties to set on a collection the migration creates (`appended` false) or appends
// to (`appended` true).
std::map<std::string, std::string> PlanProperties(const std::string& plan_id, bool appended);

// Each way the existing collection cannot take the plan's rows, as "field 'x': <what>: the
// collection has A, the source has B". Empty when it fits.
std::vector<std::string> SchemaDifferences(const Schema& existing, const Schema& plan);

// What to do with the collection `plan.collection` before the dump (start) or the first
// import (load), for a migration whose checkpoint does not already hold it prepared:
//  - absent, or ifExists recreate: OK.
//  - ifExists append: FailedPrecondition when the schema does not fit (each difference
//    named) or when this plan's rows went into it before (a rerun that lost its checkpoint);
//    OK otherwise.
//  - ifExists fail: AlreadyExists, with advice that never leads to duplicate rows.
// `checkpoint` names the output (for messages).
Status CheckExistingCollection(MilvusClient& milvus, const Schema& plan,
                               const std::string& plan_id, IfCollectionExists if_exists,
                               const std::string& checkpoint);

// True for a collection this migration created whose checkpoint never recorded it (a crash
// right after CreateCollection): it carries this plan's mark, holds no row and no import
// task, so the load may simply use it.
Result<bool> IsOwnUntouchedCollection(MilvusClient& milvus, const std::string& name,
                                      const std::string& plan_id);

// CheckExistingCollection, except for a collection IsOwnUntouchedCollection accepts.
Status CheckTargetCollection(MilvusClient& milvus, const Schema& plan,
                             const std::string& plan_id, IfCollectionExists if_exists,
                             const std::string& checkpoint);

// Milvus 2.x source (issue 12): after a load into a collection it created, checks field by
// field (DescribeCollection) that the collection is what the plan asked for: every field's
// name, order, type, primary key, autoID, partition key, dim, max_length, element type and
// capacity; the description and dynamic field; the shard count, consistency level and
// partition-key partitions where the plan sets them; every planned partition. DataLoss
// naming each difference otherwise.
Status CheckCreatedAsPlanned(MilvusClient& milvus, const Schema& plan, int32_t shards_num,
                             const std::string& consistency_level,
                             const std::vector<std::string>& partitions);

}  // namespace mm
