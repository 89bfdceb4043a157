// What the PostgreSQL source knows of one table (or `query:`) after reading the catalog, and
// the shape of one task over it. Immutable once built; shared by the source and its readers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/schema.h"
#include "sources/postgres/pg_schema.h"

namespace mm {

struct PgTable {
  std::string key;        // "source.postgres.tables[0]", for messages
  std::string display;    // "public.items"
  std::string relation;   // quoted, schema-qualified: "public"."items"
  std::string query;      // set for source.postgres.query: read instead of `relation`
  // Batch columns in schema order. With an auto id, schema field 0 is the id and has no
  // entry here: fields[i] is schema field i + id_offset.
  std::vector<PgField> fields;
  int id_offset = 0;      // 1 with an auto id
  SchemaPtr schema;
  std::string metric;     // for the collection's index
  std::string metric_origin;  // "index items_embedding_idx (vector_cosine_ops)", "config"
  // Tasks are ranges of this integer pk column (quoted), read in its order; "" when the
  // table is read by block ranges (ctid) instead.
  std::string range_column;
  int pk_index = -1;      // index in `fields` of the primary key; -1 with an auto id
  // Relations holding the rows, for block ranges: the table itself, or a partitioned
  // table's leaf partitions (quoted names).
  std::vector<std::string> leaves;
  int64_t rows = -1;      // rows in the snapshot
  int64_t pk_min = 0, pk_max = -1;  // range_column's bounds (pk_max < pk_min: no rows)
  std::vector<int64_t> leaf_blocks;  // per leaf, its size in blocks
};

// One task: a pk range [lo, hi), a block range [lo, hi) of one leaf (hi < 0: to its end),
// or the whole query.
struct PgTaskSpec {
  enum class Kind { kPkRange, kBlocks, kQuery };
  std::shared_ptr<const PgTable> table;
  Kind kind = Kind::kQuery;
  std::string relation;  // the leaf for kBlocks
  int64_t lo = 0;
  int64_t hi = 0;
};

}  // namespace mm
