// The dump's check of every row a source yields, before anything is written: a NaN or an
// infinity in a FloatVector, Float16Vector, BFloat16Vector or SparseFloatVector, or in a
// Float or Double field, is a value Milvus refuses at import ("value 'NaN' is not a number
// or infinity"), and only after the parts before it have been imported. Such a row stops
// the dump naming it (dumper.invalidRows: fail), or leaves the batch and is recorded among
// its skips (skip). Run once, centrally, on every batch of every source.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "sources/source.h"

namespace mm {

enum class InvalidRows { kFail, kSkip };

class RowValidator {
 public:
  // `task`: the task the rows come from, to name rows of an auto-generated pk.
  RowValidator(SchemaPtr schema, InvalidRows policy, std::string task);

  // Checks every row of `batch`. `first_row` is the task's row number of its row 0 (rows
  // read before, kept or dropped here). With kFail, InvalidArgument naming the collection,
  // the row's pk (or row number), the field and the component. With kSkip, the invalid
  // rows leave the batch (every column alike) for its skips; `kept` is then set to the
  // batch's rows as they were, in order (empty when every row stayed).
  Status Check(Batch* batch, int64_t first_row, std::vector<int64_t>* kept) const;

 private:
  // Why row `row` of `col` is invalid ("component 3 is NaN"), or "".
  std::string Why(size_t col, const Batch& batch, int64_t row) const;
  std::string RowName(const Batch& batch, int64_t row, int64_t first_row) const;

  SchemaPtr schema_;
  InvalidRows policy_;
  std::string task_;
  std::vector<size_t> checked_;  // the columns that can hold non-finite values
  int pk_ = -1;                  // the pk column, -1 when auto-generated
};

// A task's reader whose batches went through a RowValidator: rows it drops leave the
// batch for the batch's skips, and PositionAfter still names the source's rows.
class ValidatingBatchReader : public BatchReader {
 public:
  // `first_row`: rows of the task read before this reader started (a resumed task).
  ValidatingBatchReader(std::unique_ptr<BatchReader> inner, InvalidRows policy,
                        const std::string& task, int64_t first_row);

  const SchemaPtr& schema() const override { return inner_->schema(); }
  Result<std::optional<Batch>> Next() override;
  std::string PositionAfter(int64_t row) const override;

 private:
  std::unique_ptr<BatchReader> inner_;
  RowValidator validator_;
  int64_t next_row_;
  std::vector<int64_t> kept_;  // the last batch's rows as the source gave them; empty: all
};

}  // namespace mm
