// Reads several batch readers one after another as one stream, opening each only when the
// one before it is exhausted: a task made of many small pieces (1.x segments) then holds
// one open reader at a time. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/status.h"
#include "sources/source.h"

namespace mm {

class ConcatBatchReader : public BatchReader {
 public:
  using Opener = std::function<Result<std::unique_ptr<BatchReader>>()>;

  // Every reader must yield batches of `schema`.
  ConcatBatchReader(SchemaPtr schema, std::vector<Opener> openers)
      : schema_(std::move(schema)), openers_(std::move(openers)) {}

  const SchemaPtr& schema() const override { return schema_; }

  Result<std::optional<Batch>> Next() override {
    while (true) {
      if (!current_) {
        if (next_ == openers_.size()) return std::optional<Batch>();
        ASSIGN_OR_RETURN(current_, openers_[next_++]());
      }
      ASSIGN_OR_RETURN(std::optional<Batch> batch, current_->Next());
      if (batch) return batch;
      current_.reset();
    }
  }

 private:
  SchemaPtr schema_;
  std::vector<Opener> openers_;
  size_t next_ = 0;
  std::unique_ptr<BatchReader> current_;
};

}  // namespace mm
