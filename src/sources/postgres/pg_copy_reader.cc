#include "sources/postgres/pg_copy_reader.h"

#include <cstring>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sources/postgres/pg_binary.h"

namespace mm {
namespace {

constexpr char kCopySignature[] = "PGCOPY\n\377\r\n";  // + '\0': 11 bytes
constexpr int64_t kMaxBatchRows = 65536;

bool IsVectorDecode(PgDecode d) {
  return d == PgDecode::kVector || d == PgDecode::kHalfvec || d == PgDecode::kHalfvecAsFloat ||
         d == PgDecode::kBit;
}

Status WrongWidth(const PgField& f, size_t want, size_t got) {
  return absl::DataLossError(StrCat("column '", f.column, "' (", f.display_type, "): expected ",
                                    want, " bytes, the server sent ", got));
}

std::string Tid(int64_t packed) {
  return StrCat("(", packed >> 16, ",", packed & 0xffff, ")");
}

}  // namespace

std::string PgCopyReader::CopySql(const PgTaskSpec& spec, const PgResumePoint& after) {
  const PgTable& t = *spec.table;
  std::string sql = "COPY (SELECT ";
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += t.fields[i].select;
  }
  switch (spec.kind) {
    case PgTaskSpec::Kind::kPkRange:
      // The position column is aliased so that ORDER BY names the pk column alone (and
      // uses its index).
      sql += StrCat(", ", t.range_column, "::int8 AS mm_position FROM ", t.relation, " WHERE ", t.range_column,
                    " >= ", spec.lo, " AND ", t.range_column, " <= ", spec.hi);
      if (after.set) sql += StrCat(" AND ", t.range_column, " > ", after.value);
      sql += StrCat(" ORDER BY ", t.range_column);
      break;
    case PgTaskSpec::Kind::kBlocks:
      // A TID range scan yields its blocks in order; no ORDER BY, which would sort.
      sql += StrCat(", ctid FROM ", spec.relation, " WHERE ctid >= '(", spec.lo, ",0)'");
      if (spec.hi >= 0) sql += StrCat(" AND ctid < '(", spec.hi, ",0)'");
      if (after.set) sql += StrCat(" AND ctid > '", Tid(after.value), "'");
      break;
    case PgTaskSpec::Kind::kQuery:
      sql += StrCat(" FROM (", t.query, ") AS q");
      break;
  }
  sql += ") TO STDOUT (FORMAT binary)";
  return sql;
}

Result<PgResumePoint> PgCopyReader::ParsePosition(const std::string& position) {
  std::vector<std::string> parts = absl::StrSplit(position, ':');
  PgResumePoint p;
  p.set = true;
  int64_t block = 0;
  int64_t offset = 0;
  if (parts.size() == 2 && parts[0] == "pk" && absl::SimpleAtoi(parts[1], &p.value)) return p;
  if (parts.size() == 3 && parts[0] == "ctid" && absl::SimpleAtoi(parts[1], &block) &&
      absl::SimpleAtoi(parts[2], &offset) && block >= 0 && offset >= 0 && offset < 65536) {
    p.value = block << 16 | offset;
    return p;
  }
  return absl::InvalidArgumentError(
      StrCat("postgres: '", position, "' is not a position (pk:<value> or ctid:<block>:<offset>)"));
}

PgCopyReader::PgCopyReader(std::unique_ptr<PgConnection> conn, PgTaskSpec spec,
                           int64_t batch_bytes, bool skip_invalid, std::string task_id)
    : conn_(std::move(conn)),
      spec_(std::move(spec)),
      batch_bytes_(batch_bytes),
      skip_invalid_(skip_invalid),
      task_id_(std::move(task_id)) {
  const size_t n = spec_.table->fields.size();
  tuple_.resize(n + (spec_.kind == PgTaskSpec::Kind::kQuery ? 0 : 1));
  scratch_.resize(n);
  scalars_.resize(n);
}

Result<std::unique_ptr<PgCopyReader>> PgCopyReader::Open(const PgConnectionConfig& connection,
                                                         const std::string& snapshot,
                                                         PgTaskSpec spec, PgResumePoint after,
                                                         int64_t batch_bytes, bool skip_invalid,
                                                         std::string task_id) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(connection));
  const std::string what = StrCat("postgres: task ", task_id, " of ", spec.table->display);
  RETURN_IF_ERROR(conn->Exec(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  RETURN_IF_ERROR(conn->Exec(
      what, StrCat("SET TRANSACTION SNAPSHOT ", conn->QuoteLiteral(snapshot))));
  const std::string sql = CopySql(spec, after);
  RETURN_IF_ERROR(conn->StartCopy(what, sql));
  return std::unique_ptr<PgCopyReader>(new PgCopyReader(
      std::move(conn), std::move(spec), batch_bytes, skip_invalid, std::move(task_id)));
}

Result<bool> PgCopyReader::NextTuple() {
  const std::string what = StrCat("postgres: reading task ", task_id_);
  // Makes `n` bytes past pending_off_ available; false if the COPY ended first.
  auto fill = [&](size_t n) -> Result<bool> {
    while (pending_.size() - pending_off_ < n) {
      std::string_view chunk;
      ASSIGN_OR_RETURN(bool more, conn_->ReadCopy(what, &chunk));
      if (!more) return false;
      if (pending_off_ > 0) {
        pending_.erase(0, pending_off_);
        pending_off_ = 0;
      }
      pending_.append(chunk);
    }
    return true;
  };
  auto at = [&](size_t rel) {
    return reinterpret_cast<const uint8_t*>(pending_.data() + pending_off_ + rel);
  };
  if (!header_done_) {
    ASSIGN_OR_RETURN(bool ok, fill(19));
    if (!ok || std::memcmp(at(0), kCopySignature, 11) != 0) {
      return absl::DataLossError(StrCat(what, ": the COPY did not start with PGCOPY's header"));
    }
    const uint32_t ext = PgLoad32(at(15));
    ASSIGN_OR_RETURN(ok, fill(19 + size_t{ext}));
    if (!ok) return absl::DataLossError(StrCat(what, ": the COPY header is cut short"));
    pending_off_ += 19 + ext;
    header_done_ = true;
  }
  ASSIGN_OR_RETURN(bool ok, fill(2));
  if (!ok) return absl::DataLossError(StrCat(what, ": the COPY ended without its trailer"));
  const int16_t count = static_cast<int16_t>(PgLoad16(at(0)));
  if (count == -1) {
    pending_off_ += 2;
    std::string_view rest;
    ASSIGN_OR_RETURN(bool more, conn_->ReadCopy(what, &rest));
    if (more) return absl::DataLossError(StrCat(what, ": bytes after the COPY trailer"));
    return false;
  }
  if (static_cast<size_t>(count) != tuple_.size()) {
    return absl::DataLossError(
        StrCat(what, ": a row of ", count, " columns, expected ", tuple_.size()));
  }
  // Find the tuple's extent first: reading more may move the buffer.
  size_t rel = 2;
  std::vector<std::pair<size_t, int32_t>>& spans = spans_;
  spans.clear();
  for (int16_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(ok, fill(rel + 4));
    if (!ok) return absl::DataLossError(StrCat(what, ": a row is cut short"));
    const int32_t len = static_cast<int32_t>(PgLoad32(at(rel)));
    rel += 4;
    spans.emplace_back(rel, len);
    if (len > 0) {
      ASSIGN_OR_RETURN(ok, fill(rel + static_cast<size_t>(len)));
      if (!ok) return absl::DataLossError(StrCat(what, ": a row is cut short"));
      rel += static_cast<size_t>(len);
    }
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    const auto [start, len] = spans[i];
    tuple_[i] = len < 0 ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(at(start)),
                                           static_cast<size_t>(len));
  }
  pending_off_ += rel;
  return true;
}

std::string PgCopyReader::RowName() const {
  const PgTable& t = *spec_.table;
  if (t.pk_index >= 0 && tuple_[t.pk_index].data() != nullptr) {
    const PgField& f = t.fields[t.pk_index];
    const std::string_view v = tuple_[t.pk_index];
    switch (f.decode) {
      case PgDecode::kInt2AsInt64:
        if (v.size() == 2) return StrCat(f.column, " ", static_cast<int16_t>(PgLoad16(reinterpret_cast<const uint8_t*>(v.data()))));
        break;
      case PgDecode::kInt4AsInt64:
        if (v.size() == 4) return StrCat(f.column, " ", static_cast<int32_t>(PgLoad32(reinterpret_cast<const uint8_t*>(v.data()))));
        break;
      case PgDecode::kInt8:
        if (v.size() == 8) return StrCat(f.column, " ", static_cast<int64_t>(PgLoad64(reinterpret_cast<const uint8_t*>(v.data()))));
        break;
      default:
        return StrCat(f.column, " '", v.substr(0, 64), "'");
    }
  }
  if (spec_.kind == PgTaskSpec::Kind::kBlocks) return StrCat("ctid ", Tid(row_position_));
  return StrCat("row ", rows_read_, " of task ", task_id_);
}

Status PgCopyReader::AddTuple(Batch* batch) {
  const PgTable& t = *spec_.table;
  const size_t n = t.fields.size();
  if (spec_.kind != PgTaskSpec::Kind::kQuery) {
    const std::string_view pos = tuple_[n];
    const auto* p = reinterpret_cast<const uint8_t*>(pos.data());
    if (spec_.kind == PgTaskSpec::Kind::kPkRange && pos.size() == 8) {
      row_position_ = static_cast<int64_t>(PgLoad64(p));
    } else if (spec_.kind == PgTaskSpec::Kind::kBlocks && pos.size() == 6) {
      row_position_ = int64_t{PgLoad32(p)} << 16 | PgLoad16(p + 4);
    } else {
      return absl::DataLossError(StrCat("postgres: task ", task_id_, ": a row position of ",
                                        pos.size(), " bytes"));
    }
    if (row_position_ <= last_position_) ordered_ = false;
    last_position_ = row_position_;
  }
  ++rows_read_;
  // First pass: is the row one Milvus can take? Nothing is appended yet.
  std::string why;
  for (size_t i = 0; i < n && why.empty(); ++i) {
    const PgField& f = t.fields[i];
    const std::string_view v = tuple_[i];
    if (v.data() == nullptr) {
      if (IsVectorDecode(f.decode) || static_cast<int>(i) == t.pk_index) {
        return absl::InvalidArgumentError(StrCat(
            "postgres: table ", t.display, ": ", RowName(), ": column '", f.column, "' (",
            f.display_type, ") is NULL; a Milvus ",
            static_cast<int>(i) == t.pk_index ? "primary key" : "vector",
            " cannot be: fill it, or leave such rows out with a `query:` (WHERE ",
            f.column, " IS NOT NULL)"));
      }
      why = StrCat("column '", f.column, "' is NULL");
      break;
    }
    switch (f.decode) {
      case PgDecode::kTimestamp:
      case PgDecode::kDate: {
        Result<int64_t> us = f.decode == PgDecode::kDate ? DecodePgDateMicros(v)
                                                        : DecodePgTimestampMicros(v);
        if (us.ok()) {
          scalars_[i] = *us;
        } else if (us.status().code() == absl::StatusCode::kOutOfRange) {
          why = StrCat("column '", f.column, "': ", us.status().message());
        } else {
          return Annotate(us.status(), StrCat("postgres: ", t.display, ": ", RowName()));
        }
        break;
      }
      case PgDecode::kArray: {
        int64_t elements = 0;
        Status st = DecodePgArrayToJson(v, &scratch_[i], &elements);
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          why = StrCat("column '", f.column, "': ", st.message());
        } else if (!st.ok()) {
          return Annotate(st, StrCat("postgres: ", t.display, ": ", RowName(), ": column '",
                                       f.column, "'"));
        } else if (elements > f.field.max_capacity) {
          why = StrCat("column '", f.column, "': ", elements, " elements, more than the ",
                       f.field.max_capacity, " the plan found");
        }
        break;
      }
      case PgDecode::kText:
        if (static_cast<int64_t>(v.size()) > f.field.max_length) {
          why = StrCat("column '", f.column, "': ", v.size(), " bytes, more than max_length ",
                       f.field.max_length);
        }
        break;
      default:
        break;
    }
  }
  if (!why.empty()) {
    if (!skip_invalid_) {
      return absl::InvalidArgumentError(StrCat(
          "postgres: table ", t.display, ": ", RowName(), ": ", why,
          " (Milvus 2.3 fields are not nullable; set dumper.invalidRows: skip to leave such "
          "rows out and count them)"));
    }
    batch->AddSkip(SkippedRow{RowName(), why});
    return absl::OkStatus();
  }
  // Second pass: append.
  if (t.id_offset > 0) {
    const int64_t zero = 0;  // Milvus assigns the id (autoID): never written to a part
    batch->column(0).AppendFixed(&zero, 1);
  }
  for (size_t i = 0; i < n; ++i) {
    const PgField& f = t.fields[i];
    Column& col = batch->column(i + static_cast<size_t>(t.id_offset));
    const std::string_view v = tuple_[i];
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    auto need = [&](size_t w) -> Status {
      return v.size() == w ? absl::OkStatus() : WrongWidth(f, w, v.size());
    };
    switch (f.decode) {
      case PgDecode::kBool: {
        RETURN_IF_ERROR(need(1));
        const uint8_t b = p[0] != 0;
        col.AppendFixed(&b, 1);
        break;
      }
      case PgDecode::kInt2: {
        RETURN_IF_ERROR(need(2));
        const auto x = static_cast<int16_t>(PgLoad16(p));
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kInt4: {
        RETURN_IF_ERROR(need(4));
        const auto x = static_cast<int32_t>(PgLoad32(p));
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kInt8: {
        RETURN_IF_ERROR(need(8));
        const auto x = static_cast<int64_t>(PgLoad64(p));
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kInt2AsInt64: {
        RETURN_IF_ERROR(need(2));
        const int64_t x = static_cast<int16_t>(PgLoad16(p));
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kInt4AsInt64: {
        RETURN_IF_ERROR(need(4));
        const int64_t x = static_cast<int32_t>(PgLoad32(p));
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kFloat4: {
        RETURN_IF_ERROR(need(4));
        const float x = PgLoadFloat4(p);
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kFloat8: {
        RETURN_IF_ERROR(need(8));
        const double x = PgLoadFloat8(p);
        col.AppendFixed(&x, 1);
        break;
      }
      case PgDecode::kText:
      case PgDecode::kJson:
        col.AppendValue(v);
        break;
      case PgDecode::kJsonb: {
        Result<std::string_view> text = DecodePgJsonb(v);
        if (!text.ok()) return WrongWidth(f, 1, v.size());
        col.AppendValue(*text);
        break;
      }
      case PgDecode::kTimestamp:
      case PgDecode::kDate:
        col.AppendFixed(&scalars_[i], 1);
        break;
      case PgDecode::kArray:
        col.AppendValue(scratch_[i]);
        break;
      case PgDecode::kVector: {
        auto* out = reinterpret_cast<float*>(col.ExtendFixed(1));
        if (Status st = DecodePgVector(v, f.field.dim, out); !st.ok()) {
          return Annotate(st, StrCat("postgres: ", t.display, ": ", RowName(), ": column '",
                                     f.column, "'"));
        }
        break;
      }
      case PgDecode::kHalfvec: {
        auto* out = reinterpret_cast<uint16_t*>(col.ExtendFixed(1));
        if (Status st = DecodePgHalfvec(v, f.field.dim, out); !st.ok()) {
          return Annotate(st, StrCat("postgres: ", t.display, ": ", RowName(), ": column '",
                                     f.column, "'"));
        }
        break;
      }
      case PgDecode::kHalfvecAsFloat: {
        auto* out = reinterpret_cast<float*>(col.ExtendFixed(1));
        if (Status st = DecodePgHalfvecAsFloat(v, f.field.dim, out); !st.ok()) {
          return Annotate(st, StrCat("postgres: ", t.display, ": ", RowName(), ": column '",
                                     f.column, "'"));
        }
        break;
      }
      case PgDecode::kBit: {
        uint8_t* out = col.ExtendFixed(1);
        if (Status st = DecodePgBit(v, f.field.dim, out); !st.ok()) {
          return Annotate(st, StrCat("postgres: ", t.display, ": ", RowName(), ": column '",
                                     f.column, "'"));
        }
        break;
      }
    }
  }
  positions_.push_back(row_position_);
  return absl::OkStatus();
}

Result<std::optional<Batch>> PgCopyReader::Next() {
  if (done_) return std::optional<Batch>();
  Batch batch(spec_.table->schema);
  positions_.clear();
  while (batch.num_rows() < kMaxBatchRows && batch.size_bytes() < batch_bytes_) {
    ASSIGN_OR_RETURN(bool more, NextTuple());
    if (!more) {
      done_ = true;
      break;
    }
    RETURN_IF_ERROR(AddTuple(&batch));
  }
  if (done_ && batch.num_rows() == 0 && batch.skips().empty()) return std::optional<Batch>();
  return std::optional<Batch>(std::move(batch));
}

std::string PgCopyReader::PositionAfter(int64_t row) const {
  if (spec_.kind == PgTaskSpec::Kind::kQuery || !ordered_ || row < 0 ||
      row >= static_cast<int64_t>(positions_.size())) {
    return "";
  }
  const int64_t v = positions_[static_cast<size_t>(row)];
  if (spec_.kind == PgTaskSpec::Kind::kPkRange) return StrCat("pk:", v);
  return StrCat("ctid:", v >> 16, ":", v & 0xffff);
}

}  // namespace mm
