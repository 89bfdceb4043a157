// Test-only: a Source of generated rows, for pipeline tests that need no real source
// system (the real sources have their own tests against real files and servers).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "sources/source.h"

namespace mm {

// A source of `tasks` tasks of `rows` rows each, ids task*1000 + row, 2-dim vectors;
// task `fail_task` fails after its first batch.
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
    opened_.fetch_add(1);
    int t = std::stoi(task.id.substr(1));
    return std::unique_ptr<BatchReader>(new Reader(schema_, t, rows_, t == fail_task_));
  }
  int opened() const { return opened_.load(); }

 private:
  class Reader : public BatchReader {
   public:
    Reader(SchemaPtr s, int task, int64_t rows, bool fail)
        : schema_(std::move(s)), task_(task), rows_(rows), fail_(fail) {}
    const SchemaPtr& schema() const override { return schema_; }
    Result<std::optional<Batch>> Next() override {
      if (done_ >= rows_) return std::optional<Batch>();
      if (fail_ && done_ > 0) return absl::DataLossError("boom at row 7");
      Batch b(schema_);
      int64_t n = std::min<int64_t>(7, rows_ - done_);
      for (int64_t i = 0; i < n; ++i) {
        int64_t id = task_ * 1000 + done_ + i;
        float v[2] = {static_cast<float>(id), -static_cast<float>(id)};
        b.column(0).AppendFixed(&id, 1);
        b.column(1).AppendFixed(v, 1);
      }
      done_ += n;
      return std::optional<Batch>(std::move(b));
    }

   private:
    SchemaPtr schema_;
    int task_;
    int64_t rows_, done_ = 0;
    bool fail_;
  };
  int tasks_;
  int64_t rows_;
  int fail_task_;
  SchemaPtr schema_;
  std::atomic<int> opened_{0};
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
