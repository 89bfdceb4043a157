#include "pipeline/row_validator.h"

#include <cstring>
#include <map>

namespace mm {
namespace {

// IEEE 754 exponent masks: all exponent bits set is an infinity (mantissa 0) or a NaN.
constexpr uint32_t kFloatExp = 0x7F800000u;
constexpr uint64_t kDoubleExp = 0x7FF0000000000000ull;
constexpr uint16_t kHalfExp = 0x7C00u;   // Float16
constexpr uint16_t kBHalfExp = 0x7F80u;  // BFloat16

template <typename Word>
Word Load(const uint8_t* p) {
  Word w;
  std::memcpy(&w, p, sizeof(Word));
  return w;
}

// How `bits` (a value with all exponent bits set) reads: NaN, +Inf or -Inf.
template <typename Word>
const char* NonFiniteName(Word bits, Word exp) {
  const Word sign = Word(Word(1) << (sizeof(Word) * 8 - 1));
  if (bits & Word(~exp & ~sign)) return "NaN";
  return bits & sign ? "-Inf" : "+Inf";
}

// Whether any of the `n` words at `p` has every exponent bit set. One branch-free pass
// the compiler vectorizes: a clean batch costs a read of its floats.
template <typename Word>
bool AnyNonFinite(const uint8_t* p, size_t n, Word exp) {
  bool bad = false;
  for (size_t i = 0; i < n; ++i) bad |= (Load<Word>(p + i * sizeof(Word)) & exp) == exp;
  return bad;
}

struct NonFinite {
  int64_t component = -1;  // -1: every value is finite
  const char* name = "";   // NaN, +Inf, -Inf
};

// The first of the `n` words at `p` that is not finite.
template <typename Word>
NonFinite FirstNonFinite(const uint8_t* p, size_t n, Word exp) {
  for (size_t i = 0; i < n; ++i) {
    const Word w = Load<Word>(p + i * sizeof(Word));
    if ((w & exp) == exp) return {static_cast<int64_t>(i), NonFiniteName(w, exp)};
  }
  return {};
}

bool Checked(DataType type) {
  switch (type) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kFloatVector:
    case DataType::kFloat16Vector:
    case DataType::kBFloat16Vector:
    case DataType::kSparseFloatVector:
      return true;
    default:
      return false;
  }
}

// Whether `col` may hold a non-finite value anywhere (a quick pass over the whole column).
bool MayHoldNonFinite(const Column& col) {
  const uint8_t* p = col.data();
  const size_t bytes = col.size_bytes();
  switch (col.type()) {
    case DataType::kFloat:
    case DataType::kFloatVector:
      return AnyNonFinite<uint32_t>(p, bytes / 4, kFloatExp);
    case DataType::kDouble:
      return AnyNonFinite<uint64_t>(p, bytes / 8, kDoubleExp);
    case DataType::kFloat16Vector:
      return AnyNonFinite<uint16_t>(p, bytes / 2, kHalfExp);
    case DataType::kBFloat16Vector:
      return AnyNonFinite<uint16_t>(p, bytes / 2, kBHalfExp);
    default:
      return true;  // sparse rows are (index, value) pairs: looked at row by row
  }
}

}  // namespace

RowValidator::RowValidator(SchemaPtr schema, InvalidRows policy, std::string task)
    : schema_(std::move(schema)), policy_(policy), task_(std::move(task)) {
  for (size_t i = 0; i < schema_->fields.size(); ++i) {
    const FieldSchema& f = schema_->fields[i];
    if (Checked(f.type)) checked_.push_back(i);
    if (f.primary_key && !f.auto_id) pk_ = static_cast<int>(i);
  }
}

std::string RowValidator::Why(size_t c, const Batch& batch, int64_t row) const {
  const Column& col = batch.column(c);
  const FieldSchema& f = schema_->fields[c];
  const size_t dim = static_cast<size_t>(f.dim);
  NonFinite bad;
  switch (col.type()) {
    case DataType::kFloat:
      bad = FirstNonFinite<uint32_t>(col.row(row), 1, kFloatExp);
      if (bad.component >= 0) return StrCat("field '", f.name, "' is ", bad.name);
      return "";
    case DataType::kDouble:
      bad = FirstNonFinite<uint64_t>(col.row(row), 1, kDoubleExp);
      if (bad.component >= 0) return StrCat("field '", f.name, "' is ", bad.name);
      return "";
    case DataType::kFloatVector:
      bad = FirstNonFinite<uint32_t>(col.row(row), dim, kFloatExp);
      break;
    case DataType::kFloat16Vector:
      bad = FirstNonFinite<uint16_t>(col.row(row), dim, kHalfExp);
      break;
    case DataType::kBFloat16Vector:
      bad = FirstNonFinite<uint16_t>(col.row(row), dim, kBHalfExp);
      break;
    case DataType::kSparseFloatVector: {
      // (uint32 index, float32 value) pairs: the component is the index.
      const std::string_view v = col.value(row);
      const auto* p = reinterpret_cast<const uint8_t*>(v.data());
      for (size_t k = 0; k + 8 <= v.size(); k += 8) {
        const uint32_t w = Load<uint32_t>(p + k + 4);
        if ((w & kFloatExp) == kFloatExp) {
          bad = {Load<uint32_t>(p + k), NonFiniteName(w, kFloatExp)};
          break;
        }
      }
      break;
    }
    default:
      return "";
  }
  if (bad.component < 0) return "";
  return StrCat("field '", f.name, "' component ", bad.component, " is ", bad.name);
}

std::string RowValidator::RowName(const Batch& batch, int64_t row, int64_t first_row) const {
  if (pk_ < 0) return StrCat("row ", first_row + row, " of task ", task_);
  const Column& col = batch.column(static_cast<size_t>(pk_));
  const std::string& name = schema_->fields[static_cast<size_t>(pk_)].name;
  if (col.type() == DataType::kInt64) return StrCat(name, " ", col.scalar<int64_t>(row));
  return StrCat(name, " '", col.value(row), "'");
}

Status RowValidator::Check(Batch* batch, int64_t first_row, std::vector<int64_t>* kept) const {
  kept->clear();
  const bool fail = policy_ == InvalidRows::kFail;
  std::map<int64_t, std::string> invalid;  // row -> why (its first invalid field)
  for (size_t c : checked_) {
    const Column& col = batch->column(c);
    if (!MayHoldNonFinite(col)) continue;
    // Failing, only the batch's first invalid row matters: look no further than it.
    const int64_t end = fail && !invalid.empty() ? invalid.begin()->first : batch->num_rows();
    for (int64_t r = 0; r < end; ++r) {
      if (invalid.count(r)) continue;
      std::string why = Why(c, *batch, r);
      if (why.empty()) continue;
      invalid.emplace(r, std::move(why));
      if (fail) break;
    }
  }
  if (invalid.empty()) return absl::OkStatus();
  if (fail) {
    const auto& [r, why] = *invalid.begin();
    return absl::InvalidArgumentError(
        StrCat("collection '", schema_->collection, "': ", RowName(*batch, r, first_row), ": ",
               why, " (Milvus refuses non-finite values; set dumper.invalidRows: skip to "
               "leave such rows out)"));
  }
  std::vector<std::pair<int64_t, SkippedRow>> dropped;
  dropped.reserve(invalid.size());
  kept->reserve(static_cast<size_t>(batch->num_rows()) - invalid.size());
  for (int64_t r = 0; r < batch->num_rows(); ++r) {
    auto it = invalid.find(r);
    if (it == invalid.end()) {
      kept->push_back(r);
    } else {
      dropped.push_back({r, SkippedRow{RowName(*batch, r, first_row), std::move(it->second)}});
    }
  }
  batch->KeepRows(*kept, std::move(dropped));
  return absl::OkStatus();
}

ValidatingBatchReader::ValidatingBatchReader(std::unique_ptr<BatchReader> inner,
                                             InvalidRows policy, const std::string& task,
                                             int64_t first_row)
    : inner_(std::move(inner)),
      validator_(inner_->schema(), policy, task),
      next_row_(first_row) {}

Result<std::optional<Batch>> ValidatingBatchReader::Next() {
  ASSIGN_OR_RETURN(std::optional<Batch> batch, inner_->Next());
  if (!batch) return batch;
  const int64_t rows = batch->num_rows();
  RETURN_IF_ERROR(validator_.Check(&*batch, next_row_, &kept_));
  next_row_ += rows;
  return batch;
}

std::string ValidatingBatchReader::PositionAfter(int64_t row) const {
  if (kept_.empty()) return inner_->PositionAfter(row);
  if (row < 0 || static_cast<size_t>(row) >= kept_.size()) return "";
  return inner_->PositionAfter(kept_[static_cast<size_t>(row)]);
}

}  // namespace mm
