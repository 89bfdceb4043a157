// Runs against a real Milvus 2.x when MM_TEST_MILVUS_ENDPOINT is set (e.g. 127.0.0.1:19530);
// skipped otherwise. The import tests write .npy files to a local temp dir and pass absolute
// paths, so they need a standalone server on this machine with local storage (the embedded
// `milvus` PyPI server); set MM_TEST_MILVUS_LOCAL_IMPORT=0 to skip them on other servers.
// Collections are named wtmilvus_<test>_<pid> and dropped afterwards (kept, for reading them
// back with pymilvus, when MM_TEST_MILVUS_KEEP is set).
#include "milvus/milvus_client.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace mm {
namespace {

namespace fs = std::filesystem;

const char* Endpoint() { return std::getenv("MM_TEST_MILVUS_ENDPOINT"); }

bool LocalImportEnabled() {
  const char* v = std::getenv("MM_TEST_MILVUS_LOCAL_IMPORT");
  return v == nullptr || std::string(v) != "0";
}

std::string UniqueName(const std::string& what) {
  return StrCat("wtmilvus_", what, "_", getpid());
}

// Writes a little-endian NumPy v1.0 file: `descr` like "<i8", "<f4"; C order.
void WriteNpy(const fs::path& path, const std::string& descr, const std::vector<int64_t>& shape,
              const void* data, size_t bytes) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += StrCat(i > 0 ? ", " : "", shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string dict =
      StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': (", dims, "), }");
  size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(dict.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out << dict;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  ASSERT_TRUE(out.good()) << path;
}

class MilvusClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Endpoint() == nullptr) GTEST_SKIP() << "MM_TEST_MILVUS_ENDPOINT not set";
    MilvusOptions o;
    o.endpoint = Endpoint();
    o.retry_budget_s = 5;
    o.rpc_timeout_s = 30;
    o.wait_timeout_s = 180;
    auto c = MilvusClient::Connect(o);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
  }
  void TearDown() override {
    if (client_ == nullptr) return;
    for (const auto& name : to_drop_) {
      if (std::getenv("MM_TEST_MILVUS_KEEP") != nullptr) {
        std::cout << "[ info ] kept collection " << name << "\n";
      } else {
        EXPECT_TRUE(client_->DropCollection(name).ok()) << name;
      }
    }
  }

  // A collection dropped at the end of the test.
  std::string Collection(const std::string& what) {
    std::string name = UniqueName(what);
    to_drop_.push_back(name);
    if (*client_->HasCollection(name)) {
      EXPECT_TRUE(client_->DropCollection(name).ok());
    }
    return name;
  }

  static Schema Books(const std::string& name, int64_t dim) {
    Schema s;
    s.collection = name;
    s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
    s.fields.push_back({.name = "year", .type = DataType::kInt32});
    s.fields.push_back({.name = "title", .type = DataType::kVarChar, .max_length = 64});
    s.fields.push_back({.name = "meta", .type = DataType::kJson});
    s.fields.push_back({.name = "vec", .type = DataType::kFloatVector, .dim = dim});
    return s;
  }

  static Batch BookRows(const SchemaPtr& schema, int64_t first_id, int64_t n) {
    Batch b(schema);
    for (int64_t i = 0; i < n; ++i) {
      int64_t id = first_id + i;
      b.column(0).AppendFixed(&id, 1);
      int32_t year = 1900 + static_cast<int32_t>(id);
      b.column(1).AppendFixed(&year, 1);
      b.column(2).AppendValue(StrCat("book ", id));
      b.column(3).AppendValue(StrCat(R"({"n":)", id, "}"));
      std::vector<float> v(static_cast<size_t>(schema->fields[4].dim));
      for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(id) + 0.1f * static_cast<float>(k);
      b.column(4).AppendFixed(v.data(), 1);
    }
    return b;
  }

  // Polls until the task finishes; returns the last progress and the states seen, in order.
  ImportProgress WaitImport(int64_t task, std::vector<ImportState>* seen) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    ImportProgress p;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = client_->GetImportState(task);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) return p;
      p = *r;
      if (seen->empty() || seen->back() != p.state) seen->push_back(p.state);
      if (IsImportFinished(p.state)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "import task " << task << " did not finish in 180 s";
    return p;
  }

  static std::string Names(const std::vector<ImportState>& states) {
    std::string out;
    for (auto s : states) out += StrCat(out.empty() ? "" : " -> ", ImportStateName(s));
    return out;
  }

  std::unique_ptr<MilvusClient> client_;
  std::vector<std::string> to_drop_;
};

TEST_F(MilvusClientTest, ServerVersion) {
  auto v = client_->ServerVersion();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->empty());
  EXPECT_FALSE(client_->endpoint().empty());
}

TEST_F(MilvusClientTest, CollectionAndPartitionLifecycle) {
  const std::string name = Collection("lifecycle");
  ASSERT_FALSE(*client_->HasCollection(name));
  ASSERT_TRUE(client_->CreateCollection(Books(name, 4), 1, "").ok());
  EXPECT_TRUE(*client_->HasCollection(name));

  // A different schema under the same name is refused.
  auto again = client_->CreateCollection(Books(name, 8), 1, "Strong");
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_NE(std::string(again.message()).find(name), std::string::npos) << again;

  EXPECT_EQ(client_->CreateCollection(Books(name, 4), 1, "Sometimes").code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_FALSE(*client_->HasPartition(name, "p1"));
  ASSERT_TRUE(client_->CreatePartition(name, "p1").ok());
  EXPECT_TRUE(*client_->HasPartition(name, "p1"));
  EXPECT_TRUE(*client_->HasPartition(name, "_default"));

  ASSERT_TRUE(client_->DropCollection(name).ok());
  EXPECT_FALSE(*client_->HasCollection(name));
  to_drop_.clear();
}

TEST_F(MilvusClientTest, MissingCollectionIsNotFound) {
  const std::string name = UniqueName("missing");
  auto count = client_->CountRows(name);
  EXPECT_EQ(count.status().code(), absl::StatusCode::kNotFound) << count.status();
  EXPECT_NE(std::string(count.status().message()).find(name), std::string::npos);

  auto schema = std::make_shared<const Schema>(Books(name, 4));
  auto st = client_->Insert(name, "", BookRows(schema, 0, 2));
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;

  auto part = client_->CreatePartition(name, "p1");
  EXPECT_EQ(part.code(), absl::StatusCode::kNotFound) << part;
}

TEST_F(MilvusClientTest, InsertFlushCountIndexLoad) {
  const std::string name = Collection("insert");
  Schema s = Books(name, 4);
  auto schema = std::make_shared<const Schema>(s);
  ASSERT_TRUE(client_->CreateCollection(s, 1, "Strong").ok());
  ASSERT_TRUE(client_->CreatePartition(name, "p1").ok());

  ASSERT_TRUE(client_->Insert(name, "", BookRows(schema, 0, 10)).ok());
  ASSERT_TRUE(client_->Insert(name, "p1", BookRows(schema, 100, 5)).ok());
  ASSERT_TRUE(client_->Flush(name).ok());
  EXPECT_EQ(*client_->CountRows(name), 15);
  EXPECT_EQ(*client_->CountPartitionRows(name, "p1"), 5);
  EXPECT_EQ(*client_->CountPartitionRows(name, "_default"), 10);

  ASSERT_TRUE(client_->CreateIndex(name, "vec", "IVF_FLAT", "L2", {{"nlist", "16"}}).ok());
  auto load = client_->LoadCollection(name);
  ASSERT_TRUE(load.ok()) << load;

  EXPECT_EQ(*client_->QueryCount(name), 15);
  EXPECT_EQ(*client_->QueryCount(name, "p1"), 5);

  // Upsert replaces rows by primary key; unflushed rows count in a query, not in statistics.
  auto up = client_->Upsert(name, "", BookRows(schema, 0, 2));
  EXPECT_TRUE(up.ok()) << up;
  ASSERT_TRUE(client_->Insert(name, "", BookRows(schema, 1000, 3)).ok());
  EXPECT_EQ(*client_->QueryCount(name), 18);
  EXPECT_EQ(*client_->CountRows(name), 15);

  // An unknown index type is refused by the server.
  auto bad = client_->CreateIndex(name, "vec", "NO_SUCH_INDEX", "L2");
  EXPECT_FALSE(bad.ok());
}

TEST_F(MilvusClientTest, AutoIdAndBinaryVectors) {
  const std::string name = Collection("binary");
  Schema s;
  s.collection = name;
  s.fields.push_back({.name = "pk", .type = DataType::kInt64, .primary_key = true, .auto_id = true});
  s.fields.push_back({.name = "bits", .type = DataType::kBinaryVector, .dim = 16});
  auto schema = std::make_shared<const Schema>(s);
  ASSERT_TRUE(client_->CreateCollection(s, 0, "Bounded").ok());
  Batch b(schema);
  for (int i = 0; i < 6; ++i) {
    int64_t ignored = -1;  // auto-ID: never sent
    b.column(0).AppendFixed(&ignored, 1);
    uint8_t bits[2] = {static_cast<uint8_t>(i), 0xFF};
    b.column(1).AppendFixed(bits, 1);
  }
  auto st = client_->Insert(name, "", b);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_TRUE(client_->Flush(name).ok());
  EXPECT_EQ(*client_->CountRows(name), 6);
}

TEST_F(MilvusClientTest, ImportNumpy) {
  if (!LocalImportEnabled()) GTEST_SKIP() << "MM_TEST_MILVUS_LOCAL_IMPORT=0";
  const std::string name = Collection("import");
  Schema s;
  s.collection = name;
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s.fields.push_back({.name = "data", .type = DataType::kFloatVector, .dim = 8});
  ASSERT_TRUE(client_->CreateCollection(s, 1, "").ok());

  const int64_t n = 1000;
  fs::path dir = fs::temp_directory_path() / UniqueName("npy");
  fs::create_directories(dir);
  std::vector<int64_t> ids(n);
  std::vector<float> data(static_cast<size_t>(n * 8));
  for (int64_t i = 0; i < n; ++i) {
    ids[static_cast<size_t>(i)] = 10000 + i;
    for (int k = 0; k < 8; ++k) data[static_cast<size_t>(i * 8 + k)] = static_cast<float>(i) + 0.5f * static_cast<float>(k);
  }
  WriteNpy(dir / "id.npy", "<i8", {n}, ids.data(), ids.size() * 8);
  WriteNpy(dir / "data.npy", "<f4", {n, 8}, data.data(), data.size() * 4);

  auto tasks = client_->Import(name, "", {(dir / "id.npy").string(), (dir / "data.npy").string()});
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->size(), 1u);
  std::vector<ImportState> seen;
  ImportProgress p = WaitImport(tasks->front(), &seen);
  EXPECT_EQ(p.state, ImportState::kCompleted) << Names(seen) << " reason: " << p.failed_reason;
  EXPECT_EQ(p.row_count, n);
  std::cout << "[ info ] import states: " << Names(seen) << ", row_count " << p.row_count
            << ", segments " << p.segment_ids.size() << "\n";
  EXPECT_EQ(*client_->CountRows(name), n);
  fs::remove_all(dir);
}

TEST_F(MilvusClientTest, ImportIntoMissingCollectionIsNotFoundQuickly) {
  const std::string name = UniqueName("import_nowhere");
  auto start = std::chrono::steady_clock::now();
  auto tasks = client_->Import(name, "", {"/tmp/id.npy"});
  EXPECT_EQ(tasks.status().code(), absl::StatusCode::kNotFound) << tasks.status();
  EXPECT_NE(std::string(tasks.status().message()).find(name), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(MilvusClientTest, ImportOfMissingFileFails) {
  if (!LocalImportEnabled()) GTEST_SKIP() << "MM_TEST_MILVUS_LOCAL_IMPORT=0";
  const std::string name = Collection("import_missing");
  Schema s;
  s.collection = name;
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s.fields.push_back({.name = "data", .type = DataType::kFloatVector, .dim = 8});
  ASSERT_TRUE(client_->CreateCollection(s, 1, "").ok());

  fs::path dir = fs::temp_directory_path() / UniqueName("absent");
  auto tasks = client_->Import(name, "", {(dir / "id.npy").string(), (dir / "data.npy").string()});
  if (!tasks.ok()) {
    // Some versions check the files before queuing the task.
    EXPECT_NE(std::string(tasks.status().message()).find(name), std::string::npos);
    return;
  }
  std::vector<ImportState> seen;
  ImportProgress p = WaitImport(tasks->front(), &seen);
  EXPECT_TRUE(IsImportFailed(p.state)) << Names(seen);
  EXPECT_FALSE(p.failed_reason.empty());
  std::cout << "[ info ] missing-file import states: " << Names(seen) << ", reason: "
            << p.failed_reason << "\n";
}

// Needs no server: nothing listens on port 1, so the connection is refused at once.
TEST(MilvusClientConnectTest, WrongEndpointIsUnavailableQuickly) {
  MilvusOptions o;
  o.endpoint = "127.0.0.1:1";
  o.retry_budget_s = 1;
  o.rpc_timeout_s = 5;
  auto start = std::chrono::steady_clock::now();
  auto c = MilvusClient::Connect(o);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_NE(std::string(c.status().message()).find("127.0.0.1:1"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(5));
}

// The retry budget is spent, not exceeded: attempts go on for about retry_budget_s.
TEST(MilvusClientConnectTest, UnreachableRetriesForTheBudget) {
  MilvusOptions o;
  o.endpoint = "127.0.0.1:1";
  o.retry_budget_s = 3;
  o.rpc_timeout_s = 5;
  auto start = std::chrono::steady_clock::now();
  auto c = MilvusClient::Connect(o);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_NE(std::string(c.status().message()).find("retry.budgetSeconds 3"), std::string::npos)
      << c.status();
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LE(took, std::chrono::seconds(4));
}

TEST(MilvusClientConnectTest, BadEndpointIsInvalidArgument) {
  MilvusOptions o;
  o.endpoint = "ftp://x:1";
  EXPECT_EQ(MilvusClient::Connect(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mm
