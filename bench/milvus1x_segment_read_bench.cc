// Reads every segment a segments.json lists (tests/fixtures/make_milvus1x_fixtures.py
// --bench writes one) with SegmentReader and drops the batches: the reader's own speed and
// memory, without the dump's writing. Usage:
//   build/milvus1x_segment_read_bench DIR [BATCH_BYTES] [READ_BUFFER_BYTES]
// Prints rows, seconds, rows/s, MB/s (live payload: vectors + int64 ids) and peak RSS.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sources/milvus1x/segment_reader.h"
#include "storage/local_storage.h"

namespace {

mm::SchemaPtr MakeSchema(int64_t dim, bool binary) {
  auto s = std::make_shared<mm::Schema>();
  s->collection = "bench";
  mm::FieldSchema id;
  id.name = "id";
  id.type = mm::DataType::kInt64;
  id.primary_key = true;
  mm::FieldSchema vec;
  vec.name = "vector";
  vec.type = binary ? mm::DataType::kBinaryVector : mm::DataType::kFloatVector;
  vec.dim = dim;
  s->fields = {id, vec};
  return s;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "milvus1x_segment_read_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Fail("usage: milvus1x_segment_read_bench DIR [BATCH_BYTES] [READ_BUFFER]");
  const std::string root = argv[1];
  mm::SegmentReaderOptions options;
  if (argc > 2) options.batch_bytes = std::atoll(argv[2]);
  if (argc > 3) options.read_buffer_bytes = std::atoll(argv[3]);

  std::ifstream in(root + "/segments.json");
  if (!in) return Fail("no segments.json in " + root);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json manifest = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded()) return Fail(root + "/segments.json is not JSON");
  auto tables = mm::LocalStorage::Open(root + "/" + manifest.value("tables_dir", "db/tables"));
  if (!tables.ok()) return Fail(std::string(tables.status().message()));
  std::shared_ptr<mm::Storage> storage(std::move(*tables));

  const auto start = std::chrono::steady_clock::now();
  int64_t rows = 0, bytes = 0, batches = 0;
  for (const auto& entry : manifest["segments"]) {
    mm::SegmentSpec spec;
    spec.table_id = entry.value("table_id", "");
    spec.segment_id = entry.value("segment_id", "");
    spec.live_rows = entry.value("live_rows", int64_t{0});
    spec.dim = entry.value("dim", int64_t{0});
    spec.binary = entry.value("binary", false);
    auto reader = mm::SegmentReader::Open(storage, spec, MakeSchema(spec.dim, spec.binary),
                                          "", options);
    if (!reader.ok()) return Fail(std::string(reader.status().message()));
    while (true) {
      auto batch = (*reader)->Next();
      if (!batch.ok()) return Fail(std::string(batch.status().message()));
      if (!batch->has_value()) break;
      rows += (*batch)->num_rows();
      bytes += (*batch)->size_bytes();
      ++batches;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%-24s %8.2f s %12.0f rows/s %9.1f MB/s  peak RSS %7.1f MB  (%lld rows, %lld "
              "batches)\n",
              "SegmentReader (1 thread)", seconds, static_cast<double>(rows) / seconds,
              static_cast<double>(bytes) / 1e6 / seconds,
              static_cast<double>(usage.ru_maxrss) / 1024.0, static_cast<long long>(rows),
              static_cast<long long>(batches));
  return 0;
}
