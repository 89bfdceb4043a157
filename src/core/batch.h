// A Batch is a few thousand rows of one schema, stored column by column: one contiguous
// buffer per field. Fixed-width fields (numbers, vectors) are flat and row-major, width
// FieldSchema::FixedWidth() bytes a row; variable-width fields (VarChar, JSON) keep their
// bytes back to back with num_rows + 1 offsets. Batches are moved, never copied.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"

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
};

}  // namespace mm
