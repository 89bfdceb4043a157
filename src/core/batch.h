// A Batch is a few thousand rows of one schema, stored column by column: one contiguous
// buffer per field. Fixed-width fields (numbers, vectors) are flat and row-major, width
// FieldSchema::FixedWidth() bytes a row; variable-width fields (VarChar, JSON) keep their
// bytes back to back with num_rows + 1 offsets. Batches are moved, never copied. A batch
// also carries the rows its source left out of it (skips), so the dump can count them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/schema.h"
#include "core/skipped_rows.h"

namespace mm {

class Column {
 public:
  Column() = default;
  explicit Column(const FieldSchema& field) : type_(field.type), width_(field.FixedWidth()) {
    if (width_ == 0) offsets_.push_back(0);
  }
  Column(Column&&) = default;
  Column& operator=(Column&&) = default;
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;

  DataType type() const { return type_; }
  // Bytes a row for fixed-width columns, 0 for variable-width ones.
  int64_t width() const { return width_; }
  int64_t num_rows() const {
    return width_ > 0 ? static_cast<int64_t>(data_.size()) / width_
                      : static_cast<int64_t>(offsets_.size()) - 1;
  }

  // Fixed width: appends `n` rows of `width()` bytes each.
  void AppendFixed(const void* rows, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(rows);
    data_.insert(data_.end(), p, p + n * width_);
  }
  // Fixed width: grows by `n` rows and returns where they start, for readers that
  // decode straight into the batch.
  uint8_t* ExtendFixed(int64_t n) {
    size_t old = data_.size();
    data_.resize(old + static_cast<size_t>(n * width_));
    return data_.data() + old;
  }
  // Variable width: appends one value.
  void AppendValue(std::string_view value) {
    data_.insert(data_.end(), value.begin(), value.end());
    offsets_.push_back(static_cast<int64_t>(data_.size()));
  }
  void Reserve(int64_t rows) {
    if (width_ > 0) data_.reserve(static_cast<size_t>(rows * width_));
  }
  // Keeps only `rows` (row numbers, ascending, each < num_rows()), in that order.
  void KeepRows(const std::vector<int64_t>& rows) {
    if (width_ > 0) {
      uint8_t* out = data_.data();
      for (int64_t r : rows) {
        std::memmove(out, data_.data() + r * width_, static_cast<size_t>(width_));
        out += width_;
      }
      data_.resize(rows.size() * static_cast<size_t>(width_));
      return;
    }
    std::vector<int64_t> offsets{0};
    offsets.reserve(rows.size() + 1);
    int64_t end = 0;
    for (int64_t r : rows) {
      const int64_t len = offsets_[r + 1] - offsets_[r];
      std::memmove(data_.data() + end, data_.data() + offsets_[r], static_cast<size_t>(len));
      end += len;
      offsets.push_back(end);
    }
    data_.resize(static_cast<size_t>(end));
    offsets_ = std::move(offsets);
  }

  const uint8_t* data() const { return data_.data(); }
  size_t size_bytes() const { return data_.size(); }
  const uint8_t* row(int64_t i) const { return data_.data() + i * width_; }
  std::string_view value(int64_t i) const {
    return {reinterpret_cast<const char*>(data_.data()) + offsets_[i],
            static_cast<size_t>(offsets_[i + 1] - offsets_[i])};
  }
  template <typename T>
  T scalar(int64_t i) const {
    T v;
    std::memcpy(&v, data_.data() + i * width_, sizeof(T));
    return v;
  }

 private:
  DataType type_ = DataType::kNone;
  int64_t width_ = 0;
  std::vector<uint8_t> data_;
  std::vector<int64_t> offsets_;
};

// A row the source read but left out of a batch (an invalid document, a non-finite vector).
struct BatchSkip {
  int64_t before = 0;  // rows of the batch that came before it in the source's order
  SkippedRow row;
};

class Batch {
 public:
  // One empty column per schema field, in schema order.
  explicit Batch(SchemaPtr schema, std::string partition = "")
      : schema_(std::move(schema)), partition_(std::move(partition)) {
    columns_.reserve(schema_->fields.size());
    for (const auto& f : schema_->fields) columns_.emplace_back(f);
  }
  Batch(Batch&&) = default;
  Batch& operator=(Batch&&) = default;

  const SchemaPtr& schema() const { return schema_; }
  // The partition these rows go to; empty means the collection's default.
  const std::string& partition() const { return partition_; }
  int64_t num_rows() const { return columns_.empty() ? 0 : columns_[0].num_rows(); }
  int64_t size_bytes() const {
    int64_t n = 0;
    for (const auto& c : columns_) n += static_cast<int64_t>(c.size_bytes());
    return n;
  }
  Column& column(size_t i) { return columns_[i]; }
  const Column& column(size_t i) const { return columns_[i]; }
  size_t num_columns() const { return columns_.size(); }

  // Rows left out of this batch, ordered by `before`. A reader that skips a row adds it here
  // with before = num_rows() at that moment.
  const std::vector<BatchSkip>& skips() const { return skips_; }
  void AddSkip(SkippedRow row) { skips_.push_back({num_rows(), std::move(row)}); }

  // Keeps only `rows` (ascending row numbers) in every column, and moves each of `dropped`
  // (the other rows, ascending, with why) to the skips, where they fall among the others.
  void KeepRows(const std::vector<int64_t>& rows,
                std::vector<std::pair<int64_t, SkippedRow>> dropped) {
    auto kept_before = [&](int64_t row) {
      return static_cast<int64_t>(std::lower_bound(rows.begin(), rows.end(), row) - rows.begin());
    };
    for (auto& s : skips_) s.before = kept_before(s.before);
    for (auto& [row, why] : dropped) skips_.push_back({kept_before(row), std::move(why)});
    std::stable_sort(skips_.begin(), skips_.end(),
                     [](const BatchSkip& a, const BatchSkip& b) { return a.before < b.before; });
    for (auto& c : columns_) c.KeepRows(rows);
  }

  // Checks every column has num_rows() rows.
  Status Validate() const {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].num_rows() != num_rows()) {
        return absl::InternalError(StrCat("batch: column '", schema_->fields[i].name,
                                                "' has ", columns_[i].num_rows(),
                                                " rows, expected ", num_rows()));
      }
    }
    return absl::OkStatus();
  }

 private:
  SchemaPtr schema_;
  std::string partition_;
  std::vector<Column> columns_;
  std::vector<BatchSkip> skips_;
};

}  // namespace mm
