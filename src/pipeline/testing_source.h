// Test-only: a Source of generated rows, for pipeline tests that need no real source
// system (the real sources have their own tests against real files and servers).
#pragma once

#include <atomic>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sources/source.h"

namespace mm {

// A source of `tasks` tasks of `rows` rows each, ids task*1000 + row, 2-dim vectors, in
// batches of 7; task `fail_task` fails once it has yielded `fail_after` rows (default: after
// its first batch). With positions on, readers resume part-way (the position is the row).
// Rows of `nan_ids` get a NaN in component 1; rows of `source_skipped_ids` are left out by
// the reader itself, as an ES reader leaves out a document that does not fit.
class CountingSource : public Source {
 public:
  CountingSource(int tasks, int64_t rows, int fail_task = -1, std::string collection = "c")
      : tasks_(tasks), rows_(rows), fail_task_(fail_task) {
    auto s = std::make_shared<Schema>();
    s->collection = collection;
    s->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
    s->fields.push_back({.name = "data", .type = DataType::kFloatVector, .dim = 2});
    schema_ = s;
  }
  Result<std::vector<CollectionPlan>> Plan() override {
    CollectionPlan p;
    p.schema = schema_;
    p.metric_type = "L2";
    for (int t = 0; t < tasks_; ++t) {
      p.tasks.push_back({.id = StrCat("t", t), .collection = schema_->collection, .rows = rows_});
    }
    return std::vector<CollectionPlan>{p};
  }
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override {
    return OpenTaskAt(task, "-1");
  }
  Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                  const std::string& position) override {
    opened_.fetch_add(1);
    if (position != "-1") resumed_at_.push_back(StrCat(task.id, "@", position));
    int t = std::stoi(task.id.substr(1));
    auto r = new Reader(schema_, t, rows_, t == fail_task_ ? fail_after_ : -1, positions_);
    r->nan_ids_ = nan_ids_;
    r->source_skipped_ids_ = source_skipped_ids_;
    r->done_ = std::stoll(position) + 1;
    return std::unique_ptr<BatchReader>(r);
  }
  int opened() const { return opened_.load(); }
  void set_positions(bool on) { positions_ = on; }
  void set_fail_after(int64_t rows) { fail_after_ = rows; }
  void set_nan_ids(std::set<int64_t> ids) { nan_ids_ = std::move(ids); }
  void set_source_skipped_ids(std::set<int64_t> ids) { source_skipped_ids_ = std::move(ids); }
  // "t1@41" for each task opened part-way at a position.
  const std::vector<std::string>& resumed_at() const { return resumed_at_; }

 private:
  class Reader : public BatchReader {
   public:
    Reader(SchemaPtr s, int task, int64_t rows, int64_t fail_after, bool positions)
        : schema_(std::move(s)), task_(task), rows_(rows), fail_after_(fail_after),
          positions_(positions) {}
    const SchemaPtr& schema() const override { return schema_; }
    std::string PositionAfter(int64_t row) const override {
      return positions_ ? StrCat(batch_rows_[static_cast<size_t>(row)]) : "";
    }
    Result<std::optional<Batch>> Next() override {
      if (done_ >= rows_) return std::optional<Batch>();
      if (fail_after_ >= 0 && done_ >= fail_after_) {
        return absl::DataLossError(StrCat("boom at row ", done_));
      }
      Batch b(schema_);
      batch_rows_.clear();
      int64_t n = std::min<int64_t>(7, rows_ - done_);
      for (int64_t i = 0; i < n; ++i) {
        int64_t id = task_ * 1000 + done_ + i;
        if (source_skipped_ids_.count(id)) {
          b.AddSkip({StrCat("source id ", id), "left out by the source"});
          continue;
        }
        float v[2] = {static_cast<float>(id),
                      nan_ids_.count(id) ? std::nanf("") : -static_cast<float>(id)};
        b.column(0).AppendFixed(&id, 1);
        b.column(1).AppendFixed(v, 1);
        batch_rows_.push_back(done_ + i);
      }
      done_ += n;
      return std::optional<Batch>(std::move(b));
    }

    int64_t done_ = 0;
    std::set<int64_t> nan_ids_, source_skipped_ids_;

   private:
    SchemaPtr schema_;
    int task_;
    int64_t rows_;
    std::vector<int64_t> batch_rows_;  // the task's row of each batch row
    int64_t fail_after_;
    bool positions_;
  };
  int tasks_;
  int64_t rows_;
  int fail_task_;
  int64_t fail_after_ = 1;
  bool positions_ = false;
  std::set<int64_t> nan_ids_, source_skipped_ids_;
  SchemaPtr schema_;
  std::atomic<int> opened_{0};
  std::vector<std::string> resumed_at_;
};

// One task "t0" of `rows` rows, ids 0.., with a VarChar field (so the schema has no NumPy
// form) and 2-dim vectors, in batches of 500.
class TextSource : public Source {
 public:
  explicit TextSource(int64_t rows, std::string collection = "docs") : rows_(rows) {
    auto s = std::make_shared<Schema>();
    s->collection = std::move(collection);
    s->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
    s->fields.push_back({.name = "title", .type = DataType::kVarChar, .max_length = 256});
    s->fields.push_back({.name = "vec", .type = DataType::kFloatVector, .dim = 2});
    schema_ = s;
  }
  Result<std::vector<CollectionPlan>> Plan() override {
    CollectionPlan p;
    p.schema = schema_;
    p.metric_type = "L2";
    p.tasks.push_back({.id = "t0", .collection = schema_->collection, .rows = rows_});
    return std::vector<CollectionPlan>{p};
  }
  static std::string Title(int64_t id) {
    return StrCat("title \"", id, "\" ", std::string(static_cast<size_t>(id % 50), 'x'));
  }
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask&) override {
    return std::unique_ptr<BatchReader>(new Reader(schema_, rows_));
  }

 private:
  class Reader : public BatchReader {
   public:
    Reader(SchemaPtr s, int64_t rows) : schema_(std::move(s)), rows_(rows) {}
    const SchemaPtr& schema() const override { return schema_; }
    Result<std::optional<Batch>> Next() override {
      if (done_ >= rows_) return std::optional<Batch>();
      Batch b(schema_);
      int64_t n = std::min<int64_t>(500, rows_ - done_);
      for (int64_t id = done_; id < done_ + n; ++id) {
        float v[2] = {static_cast<float>(id), 0.5f};
        b.column(0).AppendFixed(&id, 1);
        b.column(1).AppendValue(Title(id));
        b.column(2).AppendFixed(v, 1);
      }
      done_ += n;
      return std::optional<Batch>(std::move(b));
    }

   private:
    SchemaPtr schema_;
    int64_t rows_, done_ = 0;
  };
  int64_t rows_;
  SchemaPtr schema_;
};

}  // namespace mm
