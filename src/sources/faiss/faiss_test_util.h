// Test helpers for the FAISS source: a scratch directory, reading every task of a source,
// and comparing rows by id. Test-only (header, so the library does not link it).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "sources/faiss/faiss_source.h"
#include "storage/local_storage.h"

namespace mm::testing {

// A fresh directory under the test temp dir, removed with its contents at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mm_faiss_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Rows as (id, vector bytes), in the order read.
struct Rows {
  int64_t width = 0;  // bytes a vector takes
  std::vector<int64_t> ids;
  std::vector<uint8_t> vectors;

  void Add(int64_t id, const void* vector) {
    ids.push_back(id);
    const auto* p = static_cast<const uint8_t*>(vector);
    vectors.insert(vectors.end(), p, p + width);
  }
  int64_t size() const { return static_cast<int64_t>(ids.size()); }
};

inline Result<std::unique_ptr<FaissSource>> OpenFaiss(const std::string& path,
                                                      FaissSourceOptions options = {}) {
  if (options.collection.empty()) options.collection = "c";
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenLocalFile(path));
  return FaissSource::Open(std::shared_ptr<RandomAccessFile>(std::move(file)), std::move(options));
}

// Reads every task of the source's plan; checks batches are well formed.
inline Result<Rows> ReadAllRows(FaissSource& source) {
  ASSIGN_OR_RETURN(std::vector<CollectionPlan> plans, source.Plan());
  if (plans.size() != 1) return absl::InternalError("expected one collection");
  const CollectionPlan& plan = plans[0];
  Rows rows;
  rows.width = plan.schema->fields[1].FixedWidth();
  int64_t planned = 0;
  for (const SourceTask& task : plan.tasks) {
    ASSIGN_OR_RETURN(std::unique_ptr<BatchReader> reader, source.OpenTask(task));
    int64_t task_rows = 0;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<Batch> batch, reader->Next());
      if (!batch) break;
      RETURN_IF_ERROR(batch->Validate());
      for (int64_t i = 0; i < batch->num_rows(); ++i) {
        rows.Add(batch->column(0).scalar<int64_t>(i), batch->column(1).row(i));
      }
      task_rows += batch->num_rows();
    }
    if (task_rows != task.rows) {
      return absl::InternalError(StrCat("task ", task.id, " yielded ", task_rows, " rows, planned ",
                                        task.rows));
    }
    planned += task.rows;
  }
  if (planned != plan.total_rows) return absl::InternalError("tasks do not add up to total_rows");
  return rows;
}

// Expects the same set of (id, vector) rows, each exactly once, vectors bit-for-bit.
inline void ExpectSameRows(const Rows& got, const Rows& want) {
  ASSERT_EQ(got.width, want.width);
  ASSERT_EQ(got.size(), want.size());
  auto by_id = [](const Rows& r) {
    std::vector<int64_t> order(r.ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return r.ids[a] < r.ids[b]; });
    return order;
  };
  std::vector<int64_t> g = by_id(got);
  std::vector<int64_t> w = by_id(want);
  int failures = 0;
  for (size_t i = 0; i < g.size() && failures < 5; ++i) {
    if (i > 0 && got.ids[g[i]] == got.ids[g[i - 1]]) {
      ADD_FAILURE() << "id " << got.ids[g[i]] << " read twice";
      ++failures;
      continue;
    }
    if (got.ids[g[i]] != want.ids[w[i]]) {
      ADD_FAILURE() << "ids differ at sorted position " << i << ": got " << got.ids[g[i]]
                    << ", want " << want.ids[w[i]];
      ++failures;
      continue;
    }
    if (std::memcmp(&got.vectors[g[i] * got.width], &want.vectors[w[i] * want.width],
                    got.width) != 0) {
      ADD_FAILURE() << "vector of id " << got.ids[g[i]] << " differs";
      ++failures;
    }
  }
}

// The bytes of a file with one junk byte inserted before offset `at` (at == size appends
// it), read in place: sweeping every offset of an index costs no copies.
class InsertedByteFile : public RandomAccessFile {
 public:
  InsertedByteFile(std::shared_ptr<const std::string> bytes, uint64_t at, char junk,
                   std::string name)
      : bytes_(std::move(bytes)), at_(at), junk_(junk), name_(std::move(name)) {}

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    const uint64_t size = Size();
    if (offset >= size) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, size - offset));
    for (size_t done = 0; done < n;) {
      const uint64_t pos = offset + done;
      if (pos < at_) {
        const size_t len = static_cast<size_t>(std::min<uint64_t>(n - done, at_ - pos));
        std::memcpy(out + done, bytes_->data() + pos, len);
        done += len;
      } else if (pos == at_) {
        out[done++] = junk_;
      } else {
        const size_t len = n - done;
        std::memcpy(out + done, bytes_->data() + pos - 1, len);
        done += len;
      }
    }
    return n;
  }
  uint64_t Size() const override { return bytes_->size() + 1; }
  const std::string& name() const override { return name_; }

 private:
  std::shared_ptr<const std::string> bytes_;
  uint64_t at_;
  char junk_;
  std::string name_;
};

// Opens `file` as a FAISS source and reads every row. The outcome of one damaged file:
// an error, or the rows it yields.
inline Result<Rows> OpenAndReadAll(std::shared_ptr<RandomAccessFile> file,
                                   FaissSourceOptions options = {}) {
  if (options.collection.empty()) options.collection = "c";
  ASSIGN_OR_RETURN(std::unique_ptr<FaissSource> source,
                   FaissSource::Open(std::move(file), std::move(options)));
  return ReadAllRows(*source);
}

// Inserts one junk byte at each offset of `offsets` (twice: 0x00 and a byte that varies
// with the offset) and expects every damaged file either to fail with an error or to yield
// exactly `want`, in the same order: never other rows with success. Returns how many
// insertions failed with an error (the rest yielded `want`).
inline int64_t ExpectJunkByteNeverChangesRows(const std::string& bytes,
                                              const std::vector<uint64_t>& offsets,
                                              const Rows& want, const std::string& name) {
  auto shared = std::make_shared<const std::string>(bytes);
  int64_t refused = 0;
  int failures = 0;
  for (uint64_t at : offsets) {
    for (char junk : {'\0', static_cast<char>((at * 131 + 7) & 0xff)}) {
      auto file = std::make_shared<InsertedByteFile>(shared, at, junk, name);
      Result<Rows> got = OpenAndReadAll(file);
      if (!got.ok()) {
        ++refused;
        continue;
      }
      const bool same = got->width == want.width && got->ids == want.ids &&
                        got->vectors == want.vectors;
      if (!same && failures++ < 5) {
        ADD_FAILURE() << name << ": junk byte " << int{static_cast<uint8_t>(junk)}
                      << " inserted at offset " << at << " was read without an error, as "
                      << got->size() << " rows that differ from the file's " << want.size();
      }
    }
  }
  return refused;
}

}  // namespace mm::testing
