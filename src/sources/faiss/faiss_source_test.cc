// Builds every supported index type in-process with libfaiss, writes it, reads it back with
// FaissSource and compares every id and vector with what went in (lossy types: with
// libfaiss' own reconstruction). Also legacy layouts, corrupt and unsupported files.
#include "sources/faiss/faiss_source.h"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHNSW.h>
#include <faiss/IndexBinaryIVF.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexIVFPQR.h>
#include <faiss/IndexLSH.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexRefine.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <unordered_set>

#include "sources/faiss/faiss_id_map.h"
#include "sources/faiss/faiss_test_util.h"
#include "storage/local_storage.h"

namespace mm {
namespace {

using testing::ExpectSameRows;
using testing::OpenFaiss;
using testing::ReadAllRows;
using testing::Rows;
using testing::ScratchDir;
using idx_t = faiss::Index::idx_t;

std::vector<float> RandomFloats(int64_t n, int64_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * d));
  for (float& v : x) v = dist(rng);
  return x;
}

std::vector<uint8_t> RandomBytes(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> x(static_cast<size_t>(n));
  for (uint8_t& v : x) v = static_cast<uint8_t>(rng());
  return x;
}

// Unique non-negative ids, many above 2^53 (where doubles lose integers).
std::vector<idx_t> RandomIds(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::unordered_set<idx_t> seen;
  std::vector<idx_t> ids;
  while (static_cast<int64_t>(ids.size()) < n) {
    idx_t id = static_cast<idx_t>(rng() >> 1);
    if (ids.size() % 3 == 0) id %= 1000000;
    if (seen.insert(id).second) ids.push_back(id);
  }
  return ids;
}

// Rows as added: ids[i] (or i) with row i of x.
Rows AddedRows(const void* x, int64_t n, int64_t width, const std::vector<idx_t>* ids = nullptr) {
  Rows rows;
  rows.width = width;
  for (int64_t i = 0; i < n; ++i) {
    rows.Add(ids ? (*ids)[i] : i, static_cast<const uint8_t*>(x) + i * width);
  }
  return rows;
}

// What an IVF index stores, decoded by libfaiss: ids (mapped through `id_map` if given) with
// reconstruct_from_offset.
Rows IvfReconstructed(const faiss::IndexIVF& ivf, const std::vector<idx_t>* id_map = nullptr) {
  Rows rows;
  rows.width = ivf.d * 4;
  std::vector<float> v(ivf.d);
  for (size_t l = 0; l < ivf.nlist; ++l) {
    const size_t n = ivf.invlists->list_size(l);
    const idx_t* ids = ivf.invlists->get_ids(l);
    for (size_t j = 0; j < n; ++j) {
      ivf.reconstruct_from_offset(static_cast<int64_t>(l), static_cast<int64_t>(j), v.data());
      rows.Add(id_map ? (*id_map)[ids[j]] : ids[j], v.data());
    }
    ivf.invlists->release_ids(l, ids);
  }
  return rows;
}

class FaissSourceTest : public ::testing::Test {
 protected:
  std::string Write(const faiss::Index& index, const std::string& name) {
    std::string path = dir_.File(name);
    faiss::write_index(&index, path.c_str());
    return path;
  }
  std::string WriteBinary(const faiss::IndexBinary& index, const std::string& name) {
    std::string path = dir_.File(name);
    faiss::write_index_binary(&index, path.c_str());
    return path;
  }

  // Reads `path` with small tasks and batches (so batches cross lists and tasks split
  // lists), and again with the defaults; both must yield `want`.
  void ExpectReads(const std::string& path, const Rows& want) {
    for (bool small : {true, false}) {
      FaissSourceOptions options;
      if (small) {
        options.rows_per_task = 777;
        options.batch_bytes = 20000;
      }
      auto source = OpenFaiss(path, options);
      ASSERT_TRUE(source.ok()) << source.status();
      auto rows = ReadAllRows(**source);
      ASSERT_TRUE(rows.ok()) << rows.status();
      ExpectSameRows(*rows, want);
    }
  }

  void ExpectReadsWith(const std::string& path, const Rows& want, FaissSourceOptions options) {
    auto source = OpenFaiss(path, std::move(options));
    ASSERT_TRUE(source.ok()) << source.status();
    auto rows = ReadAllRows(**source);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ExpectSameRows(*rows, want);
  }

  Status OpenStatus(const std::string& path, FaissSourceOptions options = {}) {
    return OpenFaiss(path, std::move(options)).status();
  }

  ScratchDir dir_;
};

TEST_F(FaissSourceTest, FlatL2) {
  const int d = 128, n = 3000;
  auto x = RandomFloats(n, d, 1);
  faiss::IndexFlatL2 index(d);
  index.add(n, x.data());
  std::string path = Write(index, "flat_l2.index");
  ExpectReads(path, AddedRows(x.data(), n, d * 4));

  auto source = OpenFaiss(path);
  ASSERT_TRUE(source.ok());
  auto plans = (*source)->Plan();
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ((*plans)[0].metric_type, "L2");
  EXPECT_EQ((*plans)[0].total_rows, n);
  const Schema& schema = *(*plans)[0].schema;
  EXPECT_EQ(schema.fields[0].name, "id");
  EXPECT_TRUE(schema.fields[0].primary_key);
  EXPECT_FALSE(schema.fields[0].auto_id);
  EXPECT_EQ(schema.fields[1].name, "data");
  EXPECT_EQ(schema.fields[1].type, DataType::kFloatVector);
  EXPECT_EQ(schema.fields[1].dim, d);
  EXPECT_EQ((*source)->index_type(), "IndexFlatL2");
}

TEST_F(FaissSourceTest, FlatIP) {
  const int d = 8, n = 2500;
  auto x = RandomFloats(n, d, 2);
  faiss::IndexFlatIP index(d);
  index.add(n, x.data());
  std::string path = Write(index, "flat_ip.index");
  ExpectReads(path, AddedRows(x.data(), n, d * 4));
  auto source = OpenFaiss(path);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*(*source)->Plan())[0].metric_type, "IP");
}

TEST_F(FaissSourceTest, IdMapAroundFlat) {
  const int d = 8, n = 3000;
  auto x = RandomFloats(n, d, 3);
  auto ids = RandomIds(n, 4);
  faiss::IndexFlatL2 flat(d);
  faiss::IndexIDMap index(&flat);
  index.add_with_ids(n, x.data(), ids.data());
  ExpectReads(Write(index, "idmap_flat.index"), AddedRows(x.data(), n, d * 4, &ids));
}

TEST_F(FaissSourceTest, IdMap2AroundFlatIPDim768) {
  const int d = 768, n = 2000;
  auto x = RandomFloats(n, d, 5);
  auto ids = RandomIds(n, 6);
  faiss::IndexFlatIP flat(d);
  faiss::IndexIDMap2 index(&flat);
  index.add_with_ids(n, x.data(), ids.data());
  std::string path = Write(index, "idmap2_flat_ip.index");
  ExpectReads(path, AddedRows(x.data(), n, d * 4, &ids));
  auto source = OpenFaiss(path);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->index_type(), "IndexIDMap2(IndexFlatIP)");
  EXPECT_EQ((*(*source)->Plan())[0].metric_type, "IP");
}

TEST_F(FaissSourceTest, IvfFlatWithIds) {
  const int d = 128, n = 4000;
  auto x = RandomFloats(n, d, 7);
  auto ids = RandomIds(n, 8);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat index(&quantizer, d, 32);
  index.train(n, x.data());
  index.add_with_ids(n, x.data(), ids.data());
  ExpectReads(Write(index, "ivfflat.index"), AddedRows(x.data(), n, d * 4, &ids));
}

TEST_F(FaissSourceTest, IvfFlatSparseListsAndHnswQuantizer) {
  // Far more lists than vectors: faiss writes the list sizes in the sparse encoding.
  const int d = 16, n = 300, nlist = 1024;
  auto train = RandomFloats(nlist * 2, d, 9);
  auto x = RandomFloats(n, d, 10);
  faiss::IndexHNSWFlat quantizer(d, 16);
  faiss::IndexIVFFlat index(&quantizer, d, nlist, faiss::METRIC_INNER_PRODUCT);
  index.cp.niter = 2;
  index.train(nlist * 2, train.data());
  index.add(n, x.data());
  ExpectReads(Write(index, "ivfflat_sparse.index"), AddedRows(x.data(), n, d * 4));
}

TEST_F(FaissSourceTest, IvfFlatWithDirectMaps) {
  const int d = 8, n = 2000;
  auto x = RandomFloats(n, d, 11);
  auto ids = RandomIds(n, 12);
  for (auto type : {faiss::DirectMap::Array, faiss::DirectMap::Hashtable}) {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFFlat index(&quantizer, d, 16);
    index.train(n, x.data());
    if (type == faiss::DirectMap::Array) {
      index.set_direct_map_type(type);
      index.add(n, x.data());
      ExpectReads(Write(index, "ivf_dm_array.index"), AddedRows(x.data(), n, d * 4));
    } else {
      index.set_direct_map_type(type);
      index.add_with_ids(n, x.data(), ids.data());
      ExpectReads(Write(index, "ivf_dm_hash.index"), AddedRows(x.data(), n, d * 4, &ids));
    }
  }
}

TEST_F(FaissSourceTest, IdMapAroundIvfFlat) {
  const int d = 8, n = 3000;
  auto x = RandomFloats(n, d, 13);
  auto ids = RandomIds(n, 14);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat ivf(&quantizer, d, 24);
  ivf.train(n, x.data());
  faiss::IndexIDMap index(&ivf);
  index.add_with_ids(n, x.data(), ids.data());
  std::string path = Write(index, "idmap_ivfflat.index");
  ExpectReads(path, AddedRows(x.data(), n, d * 4, &ids));
  auto source = OpenFaiss(path);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->index_type(), "IndexIDMap(IndexIVFFlat)");
}

TEST_F(FaissSourceTest, HnswFlat) {
  const int n = 2000;
  for (int d : {8, 128}) {
    auto x = RandomFloats(n, d, 15 + d);
    faiss::IndexHNSWFlat index(d, 16, d == 8 ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2);
    index.add(n, x.data());
    std::string path = Write(index, StrCat("hnsw_", d, ".index"));
    ExpectReads(path, AddedRows(x.data(), n, d * 4));
    auto source = OpenFaiss(path);
    ASSERT_TRUE(source.ok());
    EXPECT_EQ((*(*source)->Plan())[0].metric_type, d == 8 ? "IP" : "L2");
  }
}

TEST_F(FaissSourceTest, IvfScalarQuantizerIsDecodedLikeLibfaiss) {
  const int n = 3000;
  struct Case {
    int d;
    faiss::ScalarQuantizer::QuantizerType qtype;
    bool by_residual;
  };
  for (Case c : {Case{128, faiss::ScalarQuantizer::QT_8bit, true},
                 Case{8, faiss::ScalarQuantizer::QT_4bit, false},
                 Case{8, faiss::ScalarQuantizer::QT_fp16, true},
                 Case{16, faiss::ScalarQuantizer::QT_6bit, true}}) {
    SCOPED_TRACE(StrCat("d=", c.d, " qtype=", static_cast<int>(c.qtype)));
    auto x = RandomFloats(n, c.d, 20 + c.d);
    faiss::IndexFlatL2 quantizer(c.d);
    faiss::IndexIVFScalarQuantizer index(&quantizer, c.d, 16, c.qtype, faiss::METRIC_L2,
                                         c.by_residual);
    index.train(n, x.data());
    index.add(n, x.data());
    std::string path = Write(index, "ivfsq.index");
    ExpectReads(path, IvfReconstructed(index));
    auto source = OpenFaiss(path);
    ASSERT_TRUE(source.ok());
    EXPECT_EQ((*source)->index_type(), "IndexIVFScalarQuantizer");
  }
}

TEST_F(FaissSourceTest, IvfPqIsDecodedLikeLibfaiss) {
  const int n = 3000;
  for (int d : {8, 128}) {
    SCOPED_TRACE(StrCat("d=", d));
    auto x = RandomFloats(n, d, 30 + d);
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFPQ index(&quantizer, d, 16, d / 8, 8);
    index.cp.niter = 5;
    index.pq.cp.niter = 5;
    index.train(n, x.data());
    index.add(n, x.data());
    std::string path = Write(index, "ivfpq.index");
    ExpectReads(path, IvfReconstructed(index));
  }
}

TEST_F(FaissSourceTest, IdMap2AroundIvfPq) {
  const int d = 16, n = 3000;
  auto x = RandomFloats(n, d, 40);
  auto ids = RandomIds(n, 41);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFPQ ivf(&quantizer, d, 8, 4, 6);
  ivf.train(n, x.data());
  faiss::IndexIDMap2 index(&ivf);
  index.add_with_ids(n, x.data(), ids.data());
  ExpectReads(Write(index, "idmap2_ivfpq.index"), IvfReconstructed(ivf, &ids));
}

TEST_F(FaissSourceTest, BinaryFlatAndIdMap) {
  const int d = 64, n = 3000;
  auto x = RandomBytes(n * d / 8, 50);
  auto ids = RandomIds(n, 51);
  faiss::IndexBinaryFlat flat(d);
  flat.add(n, x.data());
  std::string path = WriteBinary(flat, "binary_flat.index");
  ExpectReads(path, AddedRows(x.data(), n, d / 8));
  auto source = OpenFaiss(path);
  ASSERT_TRUE(source.ok());
  auto plans = (*source)->Plan();
  EXPECT_EQ((*plans)[0].metric_type, "HAMMING");
  EXPECT_EQ((*plans)[0].schema->fields[1].type, DataType::kBinaryVector);
  EXPECT_EQ((*plans)[0].schema->fields[1].dim, d);

  faiss::IndexBinaryFlat inner(d);
  faiss::IndexBinaryIDMap idmap(&inner);
  idmap.add_with_ids(n, x.data(), ids.data());
  ExpectReads(WriteBinary(idmap, "binary_idmap.index"), AddedRows(x.data(), n, d / 8, &ids));

  faiss::IndexBinaryFlat inner2(d);
  faiss::IndexBinaryIDMap2 idmap2(&inner2);
  idmap2.add_with_ids(n, x.data(), ids.data());
  ExpectReads(WriteBinary(idmap2, "binary_idmap2.index"), AddedRows(x.data(), n, d / 8, &ids));
}

TEST_F(FaissSourceTest, BinaryIvfAndIdMapAroundIt) {
  const int d = 256, n = 3000;
  auto x = RandomBytes(n * d / 8, 52);
  auto ids = RandomIds(n, 53);
  faiss::IndexBinaryFlat quantizer(d);
  faiss::IndexBinaryIVF index(&quantizer, d, 16);
  index.train(n, x.data());
  index.add_with_ids(n, x.data(), ids.data());
  ExpectReads(WriteBinary(index, "binary_ivf.index"), AddedRows(x.data(), n, d / 8, &ids));

  faiss::IndexBinaryFlat quantizer2(d);
  faiss::IndexBinaryIVF ivf(&quantizer2, d, 16);
  ivf.train(n, x.data());
  faiss::IndexBinaryIDMap idmap(&ivf);
  idmap.add_with_ids(n, x.data(), ids.data());
  ExpectReads(WriteBinary(idmap, "binary_idmap_ivf.index"), AddedRows(x.data(), n, d / 8, &ids));
}

TEST_F(FaissSourceTest, BinaryHnsw) {
  const int d = 64, n = 2000;
  auto x = RandomBytes(n * d / 8, 54);
  faiss::IndexBinaryHNSW index(d, 16);
  index.add(n, x.data());
  ExpectReads(WriteBinary(index, "binary_hnsw.index"), AddedRows(x.data(), n, d / 8));
}

TEST_F(FaissSourceTest, TasksCoverEveryRowOnce) {
  const int d = 8, n = 3001;
  auto x = RandomFloats(n, d, 60);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat index(&quantizer, d, 7);
  index.train(n, x.data());
  index.add(n, x.data());
  std::string path = Write(index, "tasks.index");
  FaissSourceOptions options;
  options.rows_per_task = 100;
  options.batch_bytes = 1;  // one row a batch
  auto source = OpenFaiss(path, options);
  ASSERT_TRUE(source.ok());
  auto plans = (*source)->Plan();
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ((*plans)[0].tasks.size(), 31u);
  EXPECT_EQ((*plans)[0].tasks[0].id, "rows-0-100");
  EXPECT_EQ((*plans)[0].tasks.back().id, "rows-3000-3001");
  EXPECT_EQ((*plans)[0].tasks.back().rows, 1);
  // Tasks open concurrently-safe and independently, in any order.
  Rows got;
  got.width = d * 4;
  for (auto it = (*plans)[0].tasks.rbegin(); it != (*plans)[0].tasks.rend(); ++it) {
    auto reader = (*source)->OpenTask(*it);
    ASSERT_TRUE(reader.ok());
    while (true) {
      auto batch = (*reader)->Next();
      ASSERT_TRUE(batch.ok());
      if (!*batch) break;
      ASSERT_EQ((*batch)->num_rows(), 1);
      got.Add((*batch)->column(0).scalar<int64_t>(0), (*batch)->column(1).row(0));
    }
  }
  ExpectSameRows(got, AddedRows(x.data(), n, d * 4));
}

// Counts ReadAt calls, to check reads are coalesced.
class CountingFile : public RandomAccessFile {
 public:
  explicit CountingFile(std::unique_ptr<RandomAccessFile> file) : file_(std::move(file)) {}
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    ++reads;
    return file_->ReadAt(offset, n, out);
  }
  uint64_t Size() const override { return file_->Size(); }
  const std::string& name() const override { return file_->name(); }
  mutable std::atomic<int> reads{0};

 private:
  std::unique_ptr<RandomAccessFile> file_;
};

TEST_F(FaissSourceTest, SmallListsAreReadWithOneCallPerBatch) {
  const int d = 8, n = 3000, nlist = 256;
  auto x = RandomFloats(n, d, 64);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat index(&quantizer, d, nlist);
  index.cp.niter = 2;
  index.train(n, x.data());
  index.add(n, x.data());
  auto file = OpenLocalFile(Write(index, "small_lists.index"));
  ASSERT_TRUE(file.ok());
  auto counting = std::make_shared<CountingFile>(std::move(*file));
  FaissSourceOptions options;
  options.collection = "c";
  options.batch_bytes = 20000;  // about 500 rows, some 40 lists a batch
  auto source = FaissSource::Open(counting, options);
  ASSERT_TRUE(source.ok()) << source.status();
  const int parse_reads = counting->reads;
  auto rows = ReadAllRows(**source);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ExpectSameRows(*rows, AddedRows(x.data(), n, d * 4));
  const int64_t rows_per_batch = 20000 / (d * 4 + 8);
  EXPECT_LE(counting->reads - parse_reads, (n + rows_per_batch - 1) / rows_per_batch);
}

TEST_F(FaissSourceTest, TasksReadInParallel) {
  const int d = 16, n = 4000;
  auto x = RandomFloats(n, d, 65);
  auto ids = RandomIds(n, 66);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFScalarQuantizer ivf(&quantizer, d, 16, faiss::ScalarQuantizer::QT_8bit);
  ivf.train(n, x.data());
  faiss::IndexIDMap index(&ivf);
  index.add_with_ids(n, x.data(), ids.data());
  FaissSourceOptions options;
  options.rows_per_task = 250;
  options.batch_bytes = 4000;
  auto source = OpenFaiss(Write(index, "parallel.index"), options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  ASSERT_TRUE(plans.ok());
  const auto& tasks = (*plans)[0].tasks;
  std::vector<Rows> per_thread(4);
  std::vector<Status> errors(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < per_thread.size(); ++t) {
    threads.emplace_back([&, t] {
      per_thread[t].width = d * 4;
      for (size_t i = t; i < tasks.size(); i += per_thread.size()) {
        auto reader = (*source)->OpenTask(tasks[i]);
        if (!reader.ok()) {
          errors[t] = reader.status();
          return;
        }
        while (true) {
          auto batch = (*reader)->Next();
          if (!batch.ok()) {
            errors[t] = batch.status();
            return;
          }
          if (!*batch) break;
          for (int64_t r = 0; r < (*batch)->num_rows(); ++r) {
            per_thread[t].Add((*batch)->column(0).scalar<int64_t>(r), (*batch)->column(1).row(r));
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  Rows all;
  all.width = d * 4;
  for (size_t t = 0; t < per_thread.size(); ++t) {
    ASSERT_TRUE(errors[t].ok()) << errors[t];
    for (int64_t r = 0; r < per_thread[t].size(); ++r) {
      all.Add(per_thread[t].ids[r], &per_thread[t].vectors[r * all.width]);
    }
  }
  ExpectSameRows(all, IvfReconstructed(ivf, &ids));
}

TEST_F(FaissSourceTest, EmptyIndexHasNoTasks) {
  faiss::IndexFlatL2 index(8);
  auto source = OpenFaiss(Write(index, "empty.index"));
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ((*plans)[0].total_rows, 0);
  EXPECT_TRUE((*plans)[0].tasks.empty());
}

TEST_F(FaissSourceTest, BadTaskIdIsInvalidArgument) {
  faiss::IndexFlatL2 index(8);
  auto x = RandomFloats(10, 8, 61);
  index.add(10, x.data());
  auto source = OpenFaiss(Write(index, "t.index"));
  ASSERT_TRUE(source.ok());
  for (std::string id : {"rows-0-11", "rows-5-2", "seg-1", "rows-a-3", "rows-1"}) {
    EXPECT_EQ((*source)->OpenTask(SourceTask{.id = id}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << id;
  }
  EXPECT_TRUE((*source)->OpenTask(SourceTask{.id = "rows-3-7"}).ok());
}

TEST_F(FaissSourceTest, ConfigDimAndMetric) {
  faiss::IndexFlatL2 index(8);
  auto x = RandomFloats(10, 8, 62);
  index.add(10, x.data());
  std::string path = Write(index, "dim.index");

  FaissSourceOptions options;
  options.dim = 64;
  Status st = OpenStatus(path, options);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  std::string msg(st.message());
  EXPECT_NE(msg.find("64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dim 8"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;

  options.dim = 8;
  options.metric_type = "COSINE";
  auto source = OpenFaiss(path, options);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*(*source)->Plan())[0].metric_type, "COSINE");
}

TEST_F(FaissSourceTest, UnsupportedMetricNeedsConfig) {
  faiss::IndexFlat index(8, faiss::METRIC_L1);
  auto x = RandomFloats(10, 8, 63);
  index.add(10, x.data());
  std::string path = Write(index, "l1.index");
  Status st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(std::string(st.message()).find("L1"), std::string::npos) << st;
  FaissSourceOptions options;
  options.metric_type = "L2";
  auto source = OpenFaiss(path, options);
  ASSERT_TRUE(source.ok()) << source.status();
  Rows want = AddedRows(x.data(), 10, 32);
  auto rows = ReadAllRows(**source);
  ASSERT_TRUE(rows.ok());
  ExpectSameRows(*rows, want);
}

TEST_F(FaissSourceTest, BadOptionsAreInvalidArgument) {
  faiss::IndexFlatL2 index(8);
  std::string path = Write(index, "opts.index");
  FaissSourceOptions options;
  options.rows_per_task = 0;
  EXPECT_EQ(OpenStatus(path, options).code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.id_field = "data";
  EXPECT_EQ(OpenStatus(path, options).code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------
// Corrupt and unsupported files.

TEST_F(FaissSourceTest, TruncatedFilesAreDataLoss) {
  const int d = 8, n = 500;
  auto x = RandomFloats(n, d, 70);
  auto ids = RandomIds(n, 71);
  std::vector<std::string> paths;
  {
    faiss::IndexFlatL2 flat(d);
    faiss::IndexIDMap index(&flat);
    index.add_with_ids(n, x.data(), ids.data());
    paths.push_back(Write(index, "idmap_flat.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFPQ ivf(&quantizer, d, 8, 2, 4);
    ivf.train(n, x.data());
    faiss::IndexIDMap2 index(&ivf);
    index.add_with_ids(n, x.data(), ids.data());
    paths.push_back(Write(index, "idmap2_ivfpq.index"));
  }
  {
    faiss::IndexHNSWFlat index(d, 8);
    index.add(n, x.data());
    paths.push_back(Write(index, "hnsw.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFScalarQuantizer index(&quantizer, d, 8, faiss::ScalarQuantizer::QT_8bit);
    index.train(n, x.data());
    index.add(n, x.data());
    paths.push_back(Write(index, "ivfsq.index"));
  }
  {
    auto b = RandomBytes(n * 8, 72);
    faiss::IndexBinaryFlat quantizer(64);
    faiss::IndexBinaryIVF index(&quantizer, 64, 8);
    index.train(n, b.data());
    index.add(n, b.data());
    paths.push_back(WriteBinary(index, "binary_ivf.index"));
  }
  for (const std::string& path : paths) {
    const std::string bytes = testing::ReadFileBytes(path);
    for (size_t cut : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{20}, size_t{40},
                       bytes.size() / 3, bytes.size() / 2, bytes.size() - 9, bytes.size() - 1}) {
      SCOPED_TRACE(StrCat(path, " cut at ", cut));
      std::string cut_path = path + ".cut";
      testing::WriteFileBytes(cut_path, bytes.substr(0, cut));
      Status st = OpenStatus(cut_path);
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
      EXPECT_NE(std::string(st.message()).find(cut_path), std::string::npos) << st;
    }
  }
}

// The case: one junk byte inside the vectors of an IndexFlatL2 (d=4, n=8) shifts
// every later byte, so the file ends one byte after the index does. Read anyway, rows 3 to 7
// would carry wrong vectors; so it is refused unless the user says the bytes belong there.
TEST_F(FaissSourceTest, BytesAfterTheIndexAreDataLossUnlessAllowed) {
  const int d = 4, n = 8;
  auto x = RandomFloats(n, d, 95);
  faiss::IndexFlatL2 index(d);
  index.add(n, x.data());
  const std::string bytes = testing::ReadFileBytes(Write(index, "flat.index"));
  // fourcc (4) + header (33) + float count (8), then the vectors, 16 bytes a row.
  const size_t vectors_at = 4 + 33 + 8;
  ASSERT_EQ(bytes.size(), vectors_at + n * d * 4);
  std::string junk = bytes;
  junk.insert(vectors_at + 3 * d * 4 + 2, 1, '\x5a');  // inside row 3
  const std::string path = dir_.File("junk.index");
  testing::WriteFileBytes(path, junk);

  Status st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  const std::string message(st.message());
  EXPECT_NE(message.find(path), std::string::npos) << st;
  EXPECT_NE(message.find(StrCat("offset ", bytes.size())), std::string::npos) << st;
  EXPECT_NE(message.find("1 more byte"), std::string::npos) << st;
  EXPECT_NE(message.find("source.faiss.allowTrailingBytes"), std::string::npos) << st;

  // Allowed, the file opens; the shifted rows show why it is not the default.
  FaissSourceOptions allow;
  allow.allow_trailing_bytes = true;
  auto source = OpenFaiss(path, allow);
  ASSERT_TRUE(source.ok()) << source.status();
  auto rows = ReadAllRows(**source);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), n);
  const Rows want = AddedRows(x.data(), n, d * 4);
  EXPECT_EQ(std::memcmp(rows->vectors.data(), want.vectors.data(), 3 * d * 4), 0);
  EXPECT_NE(std::memcmp(rows->vectors.data() + 3 * d * 4, want.vectors.data() + 3 * d * 4,
                        5 * d * 4),
            0);

  // Bytes appended to an intact index, allowed: every row exactly.
  testing::WriteFileBytes(path, bytes + "appended by a backup tool");
  EXPECT_EQ(OpenStatus(path).code(), absl::StatusCode::kDataLoss);
  ExpectReadsWith(path, want, allow);
}

// One junk byte inserted at every offset of small indexes of each type read: each damaged
// file fails with an error or yields exactly the original rows, never other rows.
TEST_F(FaissSourceTest, JunkByteAtAnyOffsetFailsOrYieldsTheSameRows) {
  const int d = 8, n = 60;
  auto x = RandomFloats(n, d, 96);
  auto ids = RandomIds(n, 97);
  auto b = RandomBytes(n * 8, 98);
  std::vector<std::string> paths;
  {
    faiss::IndexFlatL2 index(4);
    index.add(8, x.data());
    paths.push_back(Write(index, "flat_d4_n8.index"));
  }
  {
    faiss::IndexFlatIP flat(d);
    faiss::IndexIDMap2 index(&flat);
    index.add_with_ids(n, x.data(), ids.data());
    paths.push_back(Write(index, "idmap2_flat.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFFlat index(&quantizer, d, 4);
    index.train(n, x.data());
    index.add_with_ids(n, x.data(), ids.data());
    paths.push_back(Write(index, "ivfflat.index"));
    index.set_direct_map_type(faiss::DirectMap::Hashtable);
    paths.push_back(Write(index, "ivfflat_hashtable_map.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFFlat index(&quantizer, d, 4);
    index.train(n, x.data());
    index.add(n, x.data());
    index.make_direct_map(true);
    paths.push_back(Write(index, "ivfflat_array_map.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFFlat index(&quantizer, d, 32);  // sparse list sizes
    index.cp.min_points_per_centroid = 0;
    index.train(n, x.data());
    index.add(10, x.data());
    paths.push_back(Write(index, "ivfflat_sparse.index"));
  }
  {
    faiss::IndexHNSWFlat index(d, 4);
    index.add(n, x.data());
    paths.push_back(Write(index, "hnsw.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFScalarQuantizer index(&quantizer, d, 4, faiss::ScalarQuantizer::QT_8bit);
    index.train(n, x.data());
    index.add(n, x.data());
    paths.push_back(Write(index, "ivfsq.index"));
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFPQ index(&quantizer, d, 2, 2, 4);
    index.cp.min_points_per_centroid = 0;
    index.pq.cp.min_points_per_centroid = 0;
    index.train(n, x.data());
    index.add(n, x.data());
    paths.push_back(Write(index, "ivfpq.index"));
  }
  {
    faiss::IndexBinaryFlat index(64);
    index.add(n, b.data());
    paths.push_back(WriteBinary(index, "binary_flat.index"));
  }
  {
    faiss::IndexBinaryFlat quantizer(64);
    faiss::IndexBinaryIVF ivf(&quantizer, 64, 4);
    ivf.cp.min_points_per_centroid = 0;
    ivf.train(n, b.data());
    faiss::IndexBinaryIDMap index(&ivf);
    index.add_with_ids(n, b.data(), ids.data());
    paths.push_back(WriteBinary(index, "binary_idmap_ivf.index"));
  }
  {
    faiss::IndexBinaryHNSW index(64, 4);
    index.add(n, b.data());
    paths.push_back(WriteBinary(index, "binary_hnsw.index"));
  }
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    const std::string bytes = testing::ReadFileBytes(path);
    auto source = OpenFaiss(path);
    ASSERT_TRUE(source.ok()) << source.status();
    auto want = ReadAllRows(**source);
    ASSERT_TRUE(want.ok()) << want.status();
    std::vector<uint64_t> offsets(bytes.size() + 1);
    std::iota(offsets.begin(), offsets.end(), 0);
    const int64_t refused = testing::ExpectJunkByteNeverChangesRows(bytes, offsets, *want, path);
    // Nothing in these files may absorb a byte: every insertion is refused.
    EXPECT_EQ(refused, 2 * static_cast<int64_t>(offsets.size()));
  }
}

TEST_F(FaissSourceTest, RandomBytesNameTheFourcc) {
  auto bytes = RandomBytes(4096, 80);
  std::string data(bytes.begin(), bytes.end());
  data.replace(0, 4, "\x01\x02\xfe\x7f", 4);
  std::string path = dir_.File("random.bin");
  testing::WriteFileBytes(path, data);
  Status st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
  EXPECT_NE(std::string(st.message()).find("0x7ffe0201"), std::string::npos) << st;
  EXPECT_NE(std::string(st.message()).find(path), std::string::npos) << st;

  data.replace(0, 4, "QxZz");
  testing::WriteFileBytes(path, data);
  st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
  EXPECT_NE(std::string(st.message()).find("'QxZz'"), std::string::npos) << st;
}

TEST_F(FaissSourceTest, EmptyFileIsDataLoss) {
  std::string path = dir_.File("zero.index");
  testing::WriteFileBytes(path, "");
  Status st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(std::string(st.message()).find(path), std::string::npos) << st;
}

TEST_F(FaissSourceTest, CorruptSizesAreDataLoss) {
  const int d = 8, n = 100;
  auto x = RandomFloats(n, d, 90);
  faiss::IndexFlatL2 index(d);
  index.add(n, x.data());
  std::string bytes = testing::ReadFileBytes(Write(index, "c.index"));
  // The vector count right after the 4 + 33 byte header: claim 2^60 floats.
  std::string corrupt = bytes;
  uint64_t huge = uint64_t{1} << 60;
  std::memcpy(corrupt.data() + 37, &huge, 8);
  std::string path = dir_.File("corrupt.index");
  testing::WriteFileBytes(path, corrupt);
  Status st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(std::string(st.message()).find("offset 37"), std::string::npos) << st;

  // A negative dimension.
  corrupt = bytes;
  int32_t bad_d = -3;
  std::memcpy(corrupt.data() + 4, &bad_d, 4);
  testing::WriteFileBytes(path, corrupt);
  EXPECT_EQ(OpenStatus(path).code(), absl::StatusCode::kDataLoss);
}

TEST_F(FaissSourceTest, UnsupportedTypesAreUnimplemented) {
  const int d = 16, n = 1000;
  auto x = RandomFloats(n, d, 100);
  auto expect_unimplemented = [&](const faiss::Index& index, const std::string& type) {
    SCOPED_TRACE(type);
    std::string path = Write(index, "unsupported.index");
    Status st = OpenStatus(path);
    EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
    EXPECT_NE(std::string(st.message()).find(type), std::string::npos) << st;
    EXPECT_NE(std::string(st.message()).find(path), std::string::npos) << st;
  };
  {
    faiss::IndexLSH index(d, 32);
    index.train(n, x.data());
    index.add(n, x.data());
    expect_unimplemented(index, "IndexLSH");
  }
  {
    faiss::IndexPQ index(d, 4, 4);
    index.train(n, x.data());
    faiss::IndexRefineFlat refine(&index);
    refine.add(n, x.data());
    expect_unimplemented(index, "IndexPQ");
    expect_unimplemented(refine, "IndexRefine");
    faiss::IndexPQ inner(d, 4, 4);
    inner.train(n, x.data());
    faiss::IndexIDMap idmap(&inner);
    idmap.add_with_ids(n, x.data(), RandomIds(n, 101).data());
    expect_unimplemented(idmap, "IndexPQ");
  }
  {
    faiss::IndexScalarQuantizer index(d, faiss::ScalarQuantizer::QT_8bit);
    index.train(n, x.data());
    index.add(n, x.data());
    expect_unimplemented(index, "IndexScalarQuantizer");
  }
  {
    faiss::IndexHNSWSQ index(d, faiss::ScalarQuantizer::QT_8bit, 8);
    index.train(n, x.data());
    index.add(n, x.data());
    expect_unimplemented(index, "IndexHNSWSQ");
  }
  {
    faiss::IndexFlatL2 quantizer(d);
    faiss::IndexIVFPQR index(&quantizer, d, 4, 4, 4, 4, 4);
    index.train(n, x.data());
    index.add(n, x.data());
    expect_unimplemented(index, "IndexIVFPQR");
  }
}

TEST_F(FaissSourceTest, IvfWithoutStoredListsIsUnimplemented) {
  const int d = 8, n = 500;
  auto x = RandomFloats(n, d, 102);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat index(&quantizer, d, 8);
  index.train(n, x.data());
  index.add(n, x.data());
  faiss::InvertedLists* lists = index.invlists;
  index.invlists = nullptr;  // written as "il00"
  std::string path = Write(index, "il00.index");
  index.invlists = lists;
  Status st = OpenStatus(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
  EXPECT_NE(std::string(st.message()).find("no inverted lists"), std::string::npos) << st;
}

TEST_F(FaissSourceTest, IdMapScatteredLookupsWithoutCache) {
  // An id array of 5000 ids read through coalesced ReadAt calls (no whole-array copy).
  std::vector<int64_t> stored(5000);
  for (size_t i = 0; i < stored.size(); ++i) stored[i] = static_cast<int64_t>(i * 7919 + 3);
  std::string bytes(16, 'x');
  bytes.append(reinterpret_cast<const char*>(stored.data()), stored.size() * 8);
  std::string path = dir_.File("ids.bin");
  testing::WriteFileBytes(path, bytes);
  auto file = OpenLocalFile(path);
  ASSERT_TRUE(file.ok());
  faiss_format::FaissIdMap map(**file, {.offset = 16, .count = 5000}, /*max_cached_bytes=*/0);
  std::mt19937_64 rng(5);
  std::vector<int64_t> internal(3000);
  for (auto& v : internal) v = static_cast<int64_t>(rng() % 5000);
  std::vector<int64_t> ids = internal;
  ASSERT_TRUE(map.Map(ids).ok());
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], stored[internal[i]]);
  std::vector<int64_t> bad = {4, 5000};
  EXPECT_EQ(map.Map(bad).code(), absl::StatusCode::kDataLoss);
}

// ---------------------------------------------------------------------------------------
// Layouts older faiss releases wrote, rebuilt by hand from their documented structure.

class Bytes {
 public:
  template <typename T>
  Bytes& Put(T v) {
    data_.append(reinterpret_cast<const char*>(&v), sizeof(T));
    return *this;
  }
  Bytes& Tag(const char* tag) {
    data_.append(tag, 4);
    return *this;
  }
  Bytes& Raw(const void* p, size_t n) {
    data_.append(static_cast<const char*>(p), n);
    return *this;
  }
  template <typename T>
  Bytes& Vector(const T* p, size_t n) {
    Put<uint64_t>(n);
    return Raw(p, n * sizeof(T));
  }
  Bytes& Index(const faiss::Index& index) {
    faiss::VectorIOWriter w;
    faiss::write_index(&index, &w);
    return Raw(w.data.data(), w.data.size());
  }
  // Index header as faiss < 1.6 wrote it (no metric argument for L2/IP).
  Bytes& Header(const faiss::Index& index) {
    Put<int32_t>(index.d).Put<int64_t>(index.ntotal).Put<int64_t>(1 << 20).Put<int64_t>(1 << 20);
    return Put<uint8_t>(index.is_trained).Put<int32_t>(index.metric_type);
  }
  // IVF header up to the direct map; legacy layouts put each list's ids before it.
  Bytes& IvfHeader(const faiss::IndexIVF& ivf, bool legacy_ids) {
    Header(ivf).Put<uint64_t>(ivf.nlist).Put<uint64_t>(ivf.nprobe).Index(*ivf.quantizer);
    if (legacy_ids) {
      for (size_t l = 0; l < ivf.nlist; ++l) {
        Vector(ivf.invlists->get_ids(l), ivf.invlists->list_size(l));
      }
    }
    // Old direct map: a false bool and an empty id vector.
    return Put<uint8_t>(0).Put<uint64_t>(0);
  }
  // Per-list code vectors of legacy layouts, counting elements of `elem` bytes.
  Bytes& LegacyCodes(const faiss::IndexIVF& ivf, size_t elem) {
    for (size_t l = 0; l < ivf.nlist; ++l) {
      size_t bytes = ivf.invlists->list_size(l) * ivf.code_size;
      Put<uint64_t>(bytes / elem).Raw(ivf.invlists->get_codes(l), bytes);
    }
    return *this;
  }
  Bytes& ScalarQuantizer(const faiss::ScalarQuantizer& sq) {
    Put<int32_t>(sq.qtype).Put<int32_t>(sq.rangestat).Put<float>(sq.rangestat_arg);
    Put<uint64_t>(sq.d).Put<uint64_t>(sq.code_size);
    return Vector(sq.trained.data(), sq.trained.size());
  }
  const std::string& str() const { return data_; }

 private:
  std::string data_;
};

TEST_F(FaissSourceTest, LegacyFlatFourcc) {
  const int d = 8, n = 300;
  auto x = RandomFloats(n, d, 110);
  faiss::IndexFlatL2 index(d);
  index.add(n, x.data());
  std::string bytes = testing::ReadFileBytes(Write(index, "flat.index"));
  bytes.replace(0, 4, "IxFl");
  std::string path = dir_.File("old_flat.index");
  testing::WriteFileBytes(path, bytes);
  ExpectReads(path, AddedRows(x.data(), n, d * 4));
}

TEST_F(FaissSourceTest, LegacyIvfFlatLayouts) {
  const int d = 8, n = 1000;
  auto x = RandomFloats(n, d, 111);
  auto ids = RandomIds(n, 112);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFFlat ivf(&quantizer, d, 8);
  ivf.train(n, x.data());
  ivf.add_with_ids(n, x.data(), ids.data());
  Rows want = AddedRows(x.data(), n, d * 4, &ids);
  // "IvFl": code vectors count floats; "IvFL": bytes.
  for (auto [tag, elem] : {std::pair{"IvFl", sizeof(float)}, std::pair{"IvFL", size_t{1}}}) {
    Bytes b;
    b.Tag(tag).IvfHeader(ivf, true).LegacyCodes(ivf, elem);
    std::string path = dir_.File(StrCat(tag, ".index"));
    testing::WriteFileBytes(path, b.str());
    ExpectReads(path, want);
  }
}

TEST_F(FaissSourceTest, LegacyIvfScalarQuantizerLayouts) {
  const int d = 8, n = 1000;
  auto x = RandomFloats(n, d, 113);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFScalarQuantizer ivf(&quantizer, d, 8, faiss::ScalarQuantizer::QT_8bit);
  ivf.train(n, x.data());
  ivf.add(n, x.data());
  Rows want = IvfReconstructed(ivf);
  {
    // "IvSQ": ids in the header, codes per list after the quantizer.
    Bytes b;
    b.Tag("IvSQ").IvfHeader(ivf, true).ScalarQuantizer(ivf.sq).Put<uint64_t>(ivf.code_size);
    b.LegacyCodes(ivf, 1);
    std::string path = dir_.File("IvSQ.index");
    testing::WriteFileBytes(path, b.str());
    ExpectReads(path, want);
  }
  {
    // "IwSQ": array inverted lists, no by_residual field (always residual).
    faiss::VectorIOWriter lists;
    faiss::write_InvertedLists(ivf.invlists, &lists);
    Bytes b;
    b.Tag("IwSQ").IvfHeader(ivf, false).ScalarQuantizer(ivf.sq).Put<uint64_t>(ivf.code_size);
    b.Raw(lists.data.data(), lists.data.size());
    std::string path = dir_.File("IwSQ.index");
    testing::WriteFileBytes(path, b.str());
    ExpectReads(path, want);
  }
}

TEST_F(FaissSourceTest, LegacyIvfPqLayout) {
  const int d = 8, n = 1000;
  auto x = RandomFloats(n, d, 114);
  faiss::IndexFlatL2 quantizer(d);
  faiss::IndexIVFPQ ivf(&quantizer, d, 8, 4, 4);
  ivf.pq.cp.niter = 5;
  ivf.train(n, x.data());
  ivf.add(n, x.data());
  faiss::VectorIOWriter pq;
  faiss::write_ProductQuantizer(&ivf.pq, &pq);
  Bytes b;
  b.Tag("IvPQ").IvfHeader(ivf, true).Put<uint8_t>(ivf.by_residual).Put<uint64_t>(ivf.code_size);
  b.Raw(pq.data.data(), pq.data.size()).LegacyCodes(ivf, 1);
  std::string path = dir_.File("IvPQ.index");
  testing::WriteFileBytes(path, b.str());
  ExpectReads(path, IvfReconstructed(ivf));
}

}  // namespace
}  // namespace mm
