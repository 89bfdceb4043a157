#include "sources/postgres/postgres_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "milvus/name_rules.h"
#include "sources/postgres/pg_copy_reader.h"

namespace mm {
namespace {

constexpr int64_t kMaxVarCharBytes = 65535;
constexpr int64_t kMaxArrayCapacity = 4096;
constexpr int64_t kRowsPerTask = 250000;
constexpr int64_t kBlocksPerTask = 8192;  // 64 MiB of heap at the default block size
constexpr const char* kAutoIdField = "auto_id";

bool IsIntType(const std::string& t) { return t == "int2" || t == "int4" || t == "int8"; }
bool IsTextKeyType(const std::string& t) {
  return t == "text" || t == "varchar" || t == "bpchar" || t == "uuid";
}
bool IsVector(const FieldSchema& f) { return IsVectorType(f.type); }

int64_t ToInt(const PgResult& r, int row, int col) {
  int64_t v = 0;
  if (!r.IsNull(row, col)) (void)absl::SimpleAtoi(r.Get(row, col), &v);
  return v;
}

// Reads what the source needs to know of one table (or of the query, `tc.key` ==
// "source.postgres") inside the snapshot transaction of `db`.
Result<std::shared_ptr<PgTable>> DescribeTable(PgConnection& db, const PgTableConfig& tc,
                                               const std::string& query,
                                               const std::string& config_metric) {
  auto t = std::make_shared<PgTable>();
  t->key = tc.key;
  const std::string what = StrCat("postgres: reading the catalog for [", tc.key, "]");
  std::vector<PgColumnType> columns;
  std::vector<std::string> table_pk;
  std::string oid;
  std::string relname;
  char relkind = 'r';
  if (query.empty()) {
    ASSIGN_OR_RETURN(PgResult rel,
                     db.Query(what,
                              "SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE c.oid = to_regclass($1)",
                              {tc.name}));
    if (rel.rows() == 0) {
      return absl::NotFoundError(StrCat("[", tc.key, ".name] table '", tc.name,
                                        "' does not exist in ", db.description(),
                                        " (or is not visible to this user)"));
    }
    oid = rel.Get(0, 0);
    relname = rel.Get(0, 2);
    relkind = rel.Get(0, 3).empty() ? 'r' : rel.Get(0, 3)[0];
    t->display = StrCat(rel.Get(0, 1), ".", relname);
    t->relation = StrCat(PgQuoteIdent(rel.Get(0, 1)), ".", PgQuoteIdent(relname));
    if (relkind != 'r' && relkind != 'p' && relkind != 'm') {
      return absl::InvalidArgumentError(
          StrCat("[", tc.key, ".name] '", tc.name, "' is a ",
                 relkind == 'v' ? "view" : relkind == 'f' ? "foreign table" : "relation",
                 ", which has no rows of its own to split into tasks: read it with "
                 "source.postgres.query instead"));
    }
    ASSIGN_OR_RETURN(
        PgResult cols,
        db.Query(what,
                 "SELECT a.attname, t.typname, COALESCE(et.typname, ''), a.atttypmod, "
                 "format_type(a.atttypid, a.atttypmod), a.attnotnull "
                 "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                 "LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' "
                 "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
                 "ORDER BY a.attnum",
                 {oid}));
    for (int i = 0; i < cols.rows(); ++i) {
      PgColumnType c;
      c.name = cols.Get(i, 0);
      c.type_name = cols.Get(i, 1);
      c.element_type = cols.Get(i, 2);
      c.typmod = static_cast<int32_t>(ToInt(cols, i, 3));
      c.display = cols.Get(i, 4);
      c.not_null = cols.Get(i, 5) == "t";
      columns.push_back(std::move(c));
    }
    ASSIGN_OR_RETURN(PgResult pk,
                     db.Query(what,
                              "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                              "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                              "WHERE i.indrelid = $1::oid AND i.indisprimary "
                              "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                              {oid}));
    for (int i = 0; i < pk.rows(); ++i) table_pk.push_back(pk.Get(i, 0));
  } else {
    t->display = "source.postgres.query";
    t->query = query;
    t->relation = StrCat("(", query, ") AS q");
    // The query's columns, described without running it.
    ASSIGN_OR_RETURN(std::vector<PgConnection::ColumnShape> shape,
                     db.Describe(StrCat("postgres: [source.postgres.query]"), query));
    for (const auto& col : shape) {
      ASSIGN_OR_RETURN(
          PgResult ty,
          db.Query(what,
                   "SELECT t.typname, COALESCE(et.typname, ''), format_type(t.oid, $2::int) "
                   "FROM pg_type t LEFT JOIN pg_type et ON et.oid = t.typelem "
                   "AND t.typcategory = 'A' WHERE t.oid = $1::oid",
                   {StrCat(col.type_oid), StrCat(col.typmod)}));
      if (ty.rows() == 0) return absl::InternalError(StrCat(what, ": no type ", col.type_oid));
      columns.push_back(PgColumnType{col.name, ty.Get(0, 0), ty.Get(0, 1), col.typmod,
                                     ty.Get(0, 2), false});
    }
  }

  std::map<std::string, const PgColumnType*> by_name;
  for (const auto& c : columns) by_name[c.name] = &c;

  // The primary key: pk:, else the table's own if it is one integer or text column.
  std::string pk = tc.pk;
  if (!pk.empty()) {
    auto it = by_name.find(pk);
    if (it == by_name.end()) {
      return absl::NotFoundError(StrCat("[", tc.key, ".pk] column '", pk, "' is not in ",
                                        t->display));
    }
    if (!IsIntType(it->second->type_name) && !IsTextKeyType(it->second->type_name)) {
      return absl::InvalidArgumentError(StrCat(
          "[", tc.key, ".pk] column '", pk, "' is ", it->second->display,
          "; a Milvus primary key is Int64 or VarChar: choose an integer or text column, or "
          "leave pk out for an auto id"));
    }
  } else if (table_pk.size() == 1 && by_name.count(table_pk[0]) &&
             (IsIntType(by_name[table_pk[0]]->type_name) ||
              IsTextKeyType(by_name[table_pk[0]]->type_name))) {
    pk = table_pk[0];
  } else if (query.empty()) {
    spdlog::info("postgres: {} has {}; the collection gets an auto id ({}, Int64, autoID) "
                 "and keeps every column as a field (set {}.pk to choose a unique column)",
                 t->display,
                 table_pk.empty() ? "no primary key"
                                  : StrCat("a primary key of ", table_pk.size(), " columns (",
                                           table_pk[0], ", ...)"),
                 kAutoIdField, tc.key);
  }

  // The fields: those listed (each must map), else every column of a supported type.
  const PgMapOptions options{tc.numeric_as_varchar, tc.halfvec_as_float16};
  std::vector<std::string> wanted = tc.fields;
  const bool listed = !wanted.empty();
  if (!listed) {
    for (const auto& c : columns) wanted.push_back(c.name);
  } else if (!pk.empty() && std::find(wanted.begin(), wanted.end(), pk) == wanted.end()) {
    wanted.insert(wanted.begin(), pk);
  }
  for (const std::string& name : wanted) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::NotFoundError(StrCat("[", tc.key, ".fields] column '", name, "' is not in ",
                                        t->display));
    }
    Result<PgField> f = MapPgColumn(*it->second, options);
    if (!f.ok()) {
      if (listed || name == pk) {
        return absl::InvalidArgumentError(
            StrCat("[", tc.key, ".fields] ", t->display, ": ", f.status().message()));
      }
      spdlog::warn("postgres: {}: {}; it is left out", t->display,
                   std::string(f.status().message()));
      continue;
    }
    if (name == pk) {
      f->field.primary_key = true;
      if (f->decode == PgDecode::kInt2) f->decode = PgDecode::kInt2AsInt64;
      if (f->decode == PgDecode::kInt4) f->decode = PgDecode::kInt4AsInt64;
      if (IsIntType(it->second->type_name)) {
        f->field.type = DataType::kInt64;
        t->range_column = PgQuoteIdent(name);
      }
      t->pk_index = static_cast<int>(t->fields.size());
    }
    if (f->lossy_note) {
      spdlog::warn("postgres: {}: numeric column '{}' becomes a Double (values past 15-17 "
                   "significant digits are rounded; set {}.numericAs: varchar to keep them "
                   "exact as text)", t->display, name, tc.key);
    }
    if (f->decode == PgDecode::kHalfvecAsFloat) {
      spdlog::warn("postgres: {}: halfvec column '{}' becomes a FloatVector (each half "
                   "widened exactly); for a Milvus 2.4+ target set {}.halfvecAs: float16",
                   t->display, name, tc.key);
    }
    t->fields.push_back(std::move(*f));
  }
  if (!std::any_of(t->fields.begin(), t->fields.end(),
                   [](const PgField& f) { return IsVector(f.field); })) {
    return absl::InvalidArgumentError(StrCat(
        "[", tc.key, ".fields] ", t->display, " has no vector column (vector(n), halfvec(n), "
        "bit(n)) among the fields read; a Milvus collection needs one"));
  }

  // Sizes from the rows, in one scan: row count, pk bounds, longest values, vector dims.
  std::string stats = "SELECT count(*)";
  if (!t->range_column.empty()) {
    stats += StrCat(", min(", t->range_column, ")::int8, max(", t->range_column, ")::int8");
  }
  std::vector<std::pair<size_t, int>> size_cols;  // field, result column
  int next = t->range_column.empty() ? 1 : 3;
  for (size_t i = 0; i < t->fields.size(); ++i) {
    const PgField& f = t->fields[i];
    if (f.size_from_data) {
      stats += f.field.type == DataType::kArray ? StrCat(", max(cardinality(", f.select, "))")
                                                : StrCat(", max(octet_length(", f.select, "))");
      size_cols.emplace_back(i, next++);
    } else if (f.dim_from_data) {
      stats += StrCat(", min(vector_dims(", f.select, ")), max(vector_dims(", f.select, "))");
      size_cols.emplace_back(i, next);
      next += 2;
    }
  }
  stats += StrCat(" FROM ", t->relation);
  ASSIGN_OR_RETURN(PgResult s, db.Query(StrCat("postgres: sizing ", t->display), stats));
  t->rows = ToInt(s, 0, 0);
  if (!t->range_column.empty() && !s.IsNull(0, 1)) {
    t->pk_min = ToInt(s, 0, 1);
    t->pk_max = ToInt(s, 0, 2);
  }
  for (auto [i, col] : size_cols) {
    PgField& f = t->fields[i];
    const PgColumnType& c = *by_name[f.column];
    const int64_t longest = ToInt(s, 0, col);
    if (f.dim_from_data) {
      const int64_t most = ToInt(s, 0, col + 1);
      if (longest <= 0 || longest != most) {
        return absl::InvalidArgumentError(StrCat(
            "[", tc.key, ".fields] ", t->display, ": column '", f.column, "' (", c.display,
            ") declares no dimension and its rows ",
            longest <= 0 ? "are none to read it from" : StrCat("hold ", longest, " to ", most),
            ": declare it ", c.type_name, "(n), or select ", f.column, "::", c.type_name,
            "(n) in a query"));
      }
      f.field.dim = longest;
    } else if (f.field.type == DataType::kArray) {
      if (longest > kMaxArrayCapacity) {
        return absl::InvalidArgumentError(StrCat(
            "[", tc.key, ".fields] ", t->display, ": column '", f.column, "' holds an array of ",
            longest, " elements; a Milvus Array holds at most ", kMaxArrayCapacity,
            ": leave it out, or select a slice of it in a query"));
      }
      f.field.max_capacity = std::max<int64_t>(longest, 1);
    } else {
      if (longest > kMaxVarCharBytes) {
        return absl::InvalidArgumentError(StrCat(
            "[", tc.key, ".fields] ", t->display, ": column '", f.column, "' holds a value of ",
            longest, " bytes; a Milvus VarChar holds at most ", kMaxVarCharBytes,
            ": leave it out, or select a shorter form (left(", f.column, ", n)) in a query"));
      }
      // varchar(n)/char(n): room for n characters of up to 4 bytes, as far as Milvus allows.
      const int64_t declared = c.typmod > 4 && c.type_name != "numeric" ? c.typmod - 4 : 0;
      f.field.max_length = std::max<int64_t>(
          {longest, 1, std::min<int64_t>(declared * 4, kMaxVarCharBytes)});
    }
  }

  // The metric: the pgvector index's operator class, else the config's.
  const PgField* vec = nullptr;
  for (const auto& f : t->fields) {
    if (IsVector(f.field)) {
      vec = &f;
      break;
    }
  }
  if (!oid.empty()) {
    ASSIGN_OR_RETURN(
        PgResult idx,
        db.Query(what,
                 "SELECT a.attname, opc.opcname, ic.relname FROM pg_index i "
                 "JOIN pg_class ic ON ic.oid = i.indexrelid "
                 "CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[]) AS k(attnum, cls) "
                 "JOIN pg_opclass opc ON opc.oid = k.cls "
                 "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                 "WHERE i.indrelid = $1::oid ORDER BY ic.relname",
                 {oid}));
    for (int i = 0; i < idx.rows(); ++i) {
      if (idx.Get(i, 0) != vec->column) continue;
      const std::string metric = MetricOfPgOpclass(idx.Get(i, 1));
      if (metric.empty()) {
        spdlog::warn("postgres: {}: index {} uses {}, which has no Milvus metric; the metric "
                     "comes from the config", t->display, idx.Get(i, 2), idx.Get(i, 1));
        continue;
      }
      t->metric = metric;
      t->metric_origin = StrCat("index ", idx.Get(i, 2), " (", idx.Get(i, 1), ")");
      break;
    }
  }
  if (t->metric.empty()) {
    t->metric = !config_metric.empty()                          ? config_metric
                : vec->field.type == DataType::kBinaryVector ? std::string("HAMMING")
                                                             : std::string("L2");
    t->metric_origin = config_metric.empty() ? "the default" : "target.create.collection.metricType";
  } else if (!config_metric.empty() && config_metric != t->metric) {
    spdlog::warn("postgres: {}: the metric is {} from {}, not {} from the config", t->display,
                 t->metric, t->metric_origin, config_metric);
  }

  // Where the rows are, for block ranges.
  if (t->range_column.empty() && query.empty()) {
    if (relkind == 'p') {
      ASSIGN_OR_RETURN(PgResult leaves,
                       db.Query(what,
                                "SELECT relid::regclass::text FROM pg_partition_tree($1::oid) "
                                "WHERE isleaf ORDER BY relid",
                                {oid}));
      for (int i = 0; i < leaves.rows(); ++i) t->leaves.push_back(leaves.Get(i, 0));
    } else {
      t->leaves.push_back(t->relation);
    }
    for (const auto& leaf : t->leaves) {
      ASSIGN_OR_RETURN(PgResult b, db.Query(what,
                                            "SELECT pg_relation_size($1::regclass) / "
                                            "current_setting('block_size')::int8",
                                            {leaf}));
      t->leaf_blocks.push_back(ToInt(b, 0, 0));
    }
  }

  // The collection's schema.
  auto schema = std::make_shared<Schema>();
  std::string collection = tc.collection;
  if (collection.empty()) {
    collection = ToMilvus2xName(relname);
    if (collection != relname) {
      spdlog::warn("postgres: table '{}' is not a valid Milvus 2.x collection name; the "
                   "collection is '{}' (set {}.collection to choose another)",
                   t->display, collection, tc.key);
    }
  }
  schema->collection = collection;
  if (t->pk_index < 0) {
    for (const auto& f : t->fields) {
      if (f.column == kAutoIdField) {
        return absl::InvalidArgumentError(StrCat(
            "[", tc.key, ".pk] ", t->display, " needs an auto id (no single-column integer or "
            "text primary key), but has a column named '", kAutoIdField, "': set pk"));
      }
    }
    FieldSchema id;
    id.name = kAutoIdField;
    id.type = DataType::kInt64;
    id.primary_key = true;
    id.auto_id = true;
    schema->fields.push_back(id);
    t->id_offset = 1;
  }
  for (const auto& f : t->fields) schema->fields.push_back(f.field);
  RETURN_IF_ERROR(Annotate(schema->Validate(), StrCat("[", tc.key, "] ", t->display)));
  t->schema = std::move(schema);
  return t;
}

}  // namespace

PostgresSource::PostgresSource(PostgresConfig config, bool skip_invalid_rows,
                               std::unique_ptr<PgConnection> snapshot_conn, std::string snapshot)
    : config_(std::move(config)),
      skip_invalid_rows_(skip_invalid_rows),
      snapshot_conn_(std::move(snapshot_conn)),
      snapshot_(std::move(snapshot)) {}

PostgresSource::~PostgresSource() = default;

Result<std::unique_ptr<PostgresSource>> PostgresSource::Open(const PostgresConfig& config,
                                                             bool skip_invalid_rows) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> db, PgConnection::Connect(config.connection));
  const std::string what = StrCat("postgres: exporting a snapshot on ", db->description());
  RETURN_IF_ERROR(db->Exec(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  ASSIGN_OR_RETURN(PgResult snap, db->Query(what, "SELECT pg_export_snapshot()"));
  std::string snapshot = snap.Get(0, 0);
  std::vector<std::shared_ptr<const PgTable>> tables;
  std::set<std::string> collections;
  auto add = [&](Result<std::shared_ptr<PgTable>> t) -> Status {
    RETURN_IF_ERROR(t.status());
    if (!collections.insert((*t)->schema->collection).second) {
      return absl::InvalidArgumentError(
          StrCat("[", (*t)->key, ".collection] collection '", (*t)->schema->collection,
                 "' is filled by another table too; give each table its own collection"));
    }
    spdlog::info("postgres: {}: {} rows -> collection '{}' ({} fields, metric {} from {}), "
                 "read by {}", (*t)->display, (*t)->rows, (*t)->schema->collection,
                 (*t)->schema->fields.size(), (*t)->metric, (*t)->metric_origin,
                 !(*t)->query.empty()           ? "one query"
                 : !(*t)->range_column.empty() ? StrCat("ranges of ", (*t)->range_column)
                                               : std::string("block ranges (ctid)"));
    tables.push_back(std::move(*t));
    return absl::OkStatus();
  };
  if (!config.query.empty()) {
    RETURN_IF_ERROR(add(DescribeTable(*db, config.query_table, config.query, config.metric_type)));
  }
  for (const auto& tc : config.tables) {
    RETURN_IF_ERROR(add(DescribeTable(*db, tc, "", config.metric_type)));
  }
  auto source = std::unique_ptr<PostgresSource>(
      new PostgresSource(config, skip_invalid_rows, std::move(db), std::move(snapshot)));
  source->tables_ = std::move(tables);
  return source;
}

std::string PostgresSource::Describe() const {
  return StrCat(snapshot_conn_->description(), " (", tables_.size(),
                tables_.size() == 1 ? " table)" : " tables)");
}

Result<std::vector<CollectionPlan>> PostgresSource::Plan() {
  std::vector<CollectionPlan> plans;
  std::map<std::string, PgTaskSpec> specs;
  for (const auto& t : tables_) {
    CollectionPlan plan;
    plan.schema = t->schema;
    plan.metric_type = t->metric;
    plan.total_rows = t->rows;
    plan.name_origin = t->key == "source.postgres"
                           ? std::string("[source.postgres.collection]")
                           : StrCat("table ", t->display);
    auto add = [&](std::string id, PgTaskSpec spec) {
      plan.tasks.push_back(SourceTask{.id = id, .collection = t->schema->collection});
      specs[StrCat(t->schema->collection, "/", id)] = std::move(spec);
    };
    if (!t->query.empty()) {
      add("query", PgTaskSpec{t, PgTaskSpec::Kind::kQuery, "", 0, 0});
    } else if (!t->range_column.empty()) {
      if (t->rows > 0 && t->pk_max >= t->pk_min) {
        // Unsigned arithmetic: the span of int8 bounds can exceed INT64_MAX.
        const uint64_t span_minus_1 = static_cast<uint64_t>(t->pk_max) - static_cast<uint64_t>(t->pk_min);
        uint64_t n = static_cast<uint64_t>(std::max<int64_t>(
            config_.tasks_min, (t->rows + kRowsPerTask - 1) / kRowsPerTask));
        if (span_minus_1 < n) n = span_minus_1 + 1;
        const uint64_t width = span_minus_1 / n + 1;
        int64_t lo = t->pk_min;
        while (true) {
          const uint64_t left = static_cast<uint64_t>(t->pk_max) - static_cast<uint64_t>(lo);
          const int64_t hi = left < width ? t->pk_max
                                          : static_cast<int64_t>(static_cast<uint64_t>(lo) + width - 1);
          add(StrCat("pk_", lo, "_", hi), PgTaskSpec{t, PgTaskSpec::Kind::kPkRange, "", lo, hi});
          if (hi == t->pk_max) break;
          lo = hi + 1;
        }
      }
    } else {
      int64_t total = 0;
      for (int64_t b : t->leaf_blocks) total += b;
      const int64_t n = std::max<int64_t>(config_.tasks_min, (total + kBlocksPerTask - 1) / kBlocksPerTask);
      const int64_t per = std::max<int64_t>(1, (total + n - 1) / n);
      for (size_t l = 0; l < t->leaves.size(); ++l) {
        const std::string prefix =
            t->leaves.size() > 1 ? StrCat(ToMilvus2xName(t->leaves[l]), "_") : std::string();
        for (int64_t lo = 0; lo < t->leaf_blocks[l]; lo += per) {
          // The last range runs to the leaf's end: the relation may have grown since it was
          // measured, and rows of the snapshot may sit in the newer blocks' neighbours.
          const int64_t hi = lo + per >= t->leaf_blocks[l] ? -1 : lo + per;
          add(StrCat(prefix, "blocks_", lo, "_", hi < 0 ? std::string("end") : StrCat(hi)),
              PgTaskSpec{t, PgTaskSpec::Kind::kBlocks, t->leaves[l], lo, hi});
        }
      }
    }
    if (plan.tasks.empty()) {
      spdlog::info("postgres: {} has no rows: the collection is created empty", t->display);
    }
    plans.push_back(std::move(plan));
  }
  std::lock_guard<std::mutex> lock(mu_);
  tasks_ = std::move(specs);
  return plans;
}

Result<std::unique_ptr<BatchReader>> PostgresSource::Open(const SourceTask& task,
                                                          const std::string& position) {
  PgTaskSpec spec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tasks_.find(StrCat(task.collection, "/", task.id));
    if (it == tasks_.end()) {
      return absl::FailedPreconditionError(
          StrCat("postgres: task ", task.id, " of collection '", task.collection,
                 "' is not in this plan (the table changed?); dump into a new output directory"));
    }
    spec = it->second;
  }
  PgResumePoint after;
  if (!position.empty()) {
    ASSIGN_OR_RETURN(after, PgCopyReader::ParsePosition(position));
    if (spec.kind == PgTaskSpec::Kind::kQuery ||
        (spec.kind == PgTaskSpec::Kind::kPkRange) != (position.rfind("pk:", 0) == 0)) {
      return absl::FailedPreconditionError(StrCat(
          "postgres: task ", task.id, " was checkpointed at ", position,
          ", which does not fit how ", spec.table->display,
          " is read now (its pk changed?); dump into a new output directory"));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<PgCopyReader> reader,
                   PgCopyReader::Open(config_.connection, snapshot_, spec, after,
                                      config_.batch_bytes, skip_invalid_rows_, task.id));
  return std::unique_ptr<BatchReader>(std::move(reader));
}

Result<std::unique_ptr<BatchReader>> PostgresSource::OpenTask(const SourceTask& task) {
  return Open(task, "");
}

Result<std::unique_ptr<BatchReader>> PostgresSource::OpenTaskAt(const SourceTask& task,
                                                                const std::string& position) {
  return Open(task, position);
}

}  // namespace mm
