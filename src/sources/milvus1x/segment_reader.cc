#include "sources/milvus1x/segment_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace mm {
namespace {

// Every 1.x segment file (.rv, .uid, deleted_docs) opens with the payload's byte count.
constexpr uint64_t kHeaderBytes = 8;
constexpr const char* kDeletedDocsName = "deleted_docs";
constexpr const char* kBloomFilterName = "bloom_filter";

Status ReadExactly(const RandomAccessFile& file, uint64_t offset, size_t n, void* out) {
  ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset, n, static_cast<char*>(out)));
  if (got != n) {
    return absl::DataLossError(StrCat(file.name(), ": read of ", n, " bytes at offset ", offset,
                                      " returned ", got,
                                      " (the file shrank since it was opened?)"));
  }
  return absl::OkStatus();
}

// Reads the u64 header and checks it against the bytes that follow it. Returns the payload
// byte count.
Result<uint64_t> ReadPayloadSize(const RandomAccessFile& file) {
  const uint64_t size = file.Size();
  if (size < kHeaderBytes) {
    return absl::DataLossError(StrCat(file.name(), ": the file is ", size,
                                      " bytes, shorter than its 8-byte size header"));
  }
  uint64_t header = 0;
  RETURN_IF_ERROR(ReadExactly(file, 0, sizeof(header), &header));
  const uint64_t follow = size - kHeaderBytes;
  if (header > follow) {
    return absl::DataLossError(StrCat(file.name(), ": header says ", header,
                                      " bytes but only ", follow, " follow"));
  }
  if (header < follow) {
    return absl::DataLossError(StrCat(file.name(), ": header says ", header, " bytes but ",
                                      follow, " follow (", follow - header,
                                      " unexpected trailing bytes)"));
  }
  return header;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status CheckSchema(const SegmentSpec& spec, const SchemaPtr& schema) {
  const std::string where = StrCat("segment ", spec.table_id, "/", spec.segment_id);
  if (spec.dim <= 0 || (spec.binary && spec.dim % 8 != 0)) {
    return absl::InvalidArgumentError(
        StrCat(where, ": dimension ", spec.dim, " is not valid for a ",
               spec.binary ? "binary collection (bits, a multiple of 8)" : "float collection"));
  }
  if (schema == nullptr || schema->fields.size() < 2 ||
      schema->fields[0].type != DataType::kInt64) {
    return absl::InvalidArgumentError(
        StrCat(where, ": the target schema must start with an Int64 id field and a vector field"));
  }
  const FieldSchema& vec = schema->fields[1];
  const DataType want = spec.binary ? DataType::kBinaryVector : DataType::kFloatVector;
  if (vec.type != want || vec.dim != spec.dim) {
    return absl::InvalidArgumentError(
        StrCat(where, ": the target schema's field '", vec.name, "' is ", DataTypeName(vec.type),
               "(", vec.dim, "), expected ", DataTypeName(want), "(", spec.dim, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

struct SegmentReader::State {
  SchemaPtr schema;
  std::string partition;
  std::unique_ptr<RandomAccessFile> rv;
  std::unique_ptr<RandomAccessFile> uid;
  int64_t row_width = 0;          // bytes of one vector
  int64_t physical_rows = 0;
  std::vector<int32_t> deleted;   // sorted, distinct, each < physical_rows
  int64_t rows_per_batch = 1;     // live rows a batch aims for
  int64_t rows_per_read = 1;      // physical rows one ReadAt covers
  // Position of the stream.
  int64_t next_row = 0;           // next physical row to look at
  size_t next_deleted = 0;        // first entry of `deleted` >= next_row
  // Scratch for ranges that hold deleted rows.
  std::vector<int64_t> ids;
  std::vector<uint8_t> vectors;
};

SegmentReader::SegmentReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
SegmentReader::~SegmentReader() = default;

const SchemaPtr& SegmentReader::schema() const { return state_->schema; }
int64_t SegmentReader::physical_rows() const { return state_->physical_rows; }
int64_t SegmentReader::deleted_rows() const {
  return static_cast<int64_t>(state_->deleted.size());
}

std::shared_ptr<Schema> MakeSegmentSchema(const std::string& collection, int64_t dim, bool binary,
                                          const std::string& id_field,
                                          const std::string& vector_field) {
  auto schema = std::make_shared<Schema>();
  schema->collection = collection;
  schema->fields.push_back(
      FieldSchema{.name = id_field, .type = DataType::kInt64, .primary_key = true});
  schema->fields.push_back(
      FieldSchema{.name = vector_field,
                  .type = binary ? DataType::kBinaryVector : DataType::kFloatVector,
                  .dim = dim});
  return schema;
}

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(std::shared_ptr<Storage> tables,
                                                           const SegmentSpec& spec,
                                                           SchemaPtr schema, std::string partition,
                                                           const SegmentReaderOptions& options) {
  RETURN_IF_ERROR(CheckSchema(spec, schema));
  const std::string seg_name = StrCat(spec.table_id, "/", spec.segment_id);
  const std::string dir = seg_name;
  const std::string rv_path = StrCat(dir, "/", spec.segment_id, ".rv");
  const std::string uid_path = StrCat(dir, "/", spec.segment_id, ".uid");
  const std::string del_path = StrCat(dir, "/", kDeletedDocsName);

  // One listing tells a missing directory from one that lost its raw data to an index build.
  ASSIGN_OR_RETURN(std::vector<FileInfo> listing, tables->List(dir));
  bool has_rv = false, has_uid = false, has_deleted = false;
  std::string index_file;
  size_t files = 0;
  const std::string dir_prefix = dir + "/";
  for (const FileInfo& f : listing) {
    // Some storages match prefixes by string, so "t/12" could list "t/123/...".
    if (f.path.compare(0, dir_prefix.size(), dir_prefix) != 0) continue;
    ++files;
    if (f.path == rv_path) {
      has_rv = true;
    } else if (f.path == uid_path) {
      has_uid = true;
    } else if (f.path == del_path) {
      has_deleted = true;
    } else if (BaseName(f.path) != kBloomFilterName && index_file.empty()) {
      index_file = BaseName(f.path);
    }
  }
  if (files == 0) {
    return absl::NotFoundError(StrCat("segment directory ", dir, " not found under ",
                                      tables->Describe()));
  }
  if (!has_rv) {
    if (!index_file.empty()) {
      return absl::FailedPreconditionError(
          StrCat("segment ", seg_name, " has only an index file (", index_file,
                 ") and no raw vectors (.rv): its vectors cannot be read back"));
    }
    return absl::NotFoundError(StrCat(rv_path, " not found under ", tables->Describe(),
                                      " (the segment directory exists)"));
  }
  if (!has_uid) {
    return absl::NotFoundError(StrCat(uid_path, " not found under ", tables->Describe(),
                                      " (the ids of ", rv_path, ")"));
  }

  auto st = std::make_unique<State>();
  st->schema = std::move(schema);
  st->partition = std::move(partition);
  st->row_width = spec.binary ? spec.dim / 8 : spec.dim * static_cast<int64_t>(sizeof(float));
  ASSIGN_OR_RETURN(st->rv, tables->OpenRead(rv_path));
  ASSIGN_OR_RETURN(st->uid, tables->OpenRead(uid_path));

  ASSIGN_OR_RETURN(uint64_t uid_bytes, ReadPayloadSize(*st->uid));
  if (uid_bytes % sizeof(int64_t) != 0) {
    return absl::DataLossError(StrCat(st->uid->name(), ": header says ", uid_bytes,
                                      " bytes, not a whole number of 8-byte ids"));
  }
  ASSIGN_OR_RETURN(uint64_t rv_bytes, ReadPayloadSize(*st->rv));
  const uint64_t width = static_cast<uint64_t>(st->row_width);
  const std::string per_meta =
      StrCat(width, " bytes per the meta's dimension ", spec.dim, spec.binary ? " (binary)" : "");
  if (rv_bytes % width != 0) {
    return absl::DataLossError(StrCat(st->rv->name(), ": header says ", rv_bytes,
                                      " bytes, not a whole number of vectors of ", per_meta,
                                      " (a dimension mismatch?)"));
  }
  const uint64_t rv_rows = rv_bytes / width;
  const uint64_t uid_rows = uid_bytes / sizeof(int64_t);
  if (rv_rows != uid_rows) {
    return absl::DataLossError(StrCat(st->rv->name(), " holds ", rv_rows, " rows of ", per_meta,
                                      " but .uid holds ", uid_rows, " ids"));
  }
  st->physical_rows = static_cast<int64_t>(rv_rows);

  // Reads go in buffer-sized ranges: the ids and vectors of one range fit in read_buffer_bytes.
  const int64_t buffer = std::max<int64_t>(options.read_buffer_bytes, 1);
  st->rows_per_read = std::max<int64_t>(1, buffer / std::max<int64_t>(st->row_width, 8));
  st->rows_per_batch = std::max<int64_t>(
      1, options.batch_bytes / (st->row_width + static_cast<int64_t>(sizeof(int64_t))));

  if (has_deleted) {
    ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> del, tables->OpenRead(del_path));
    ASSIGN_OR_RETURN(uint64_t del_bytes, ReadPayloadSize(*del));
    if (del_bytes % sizeof(int32_t) != 0) {
      return absl::DataLossError(StrCat(del->name(), ": header says ", del_bytes,
                                        " bytes, not a whole number of 4-byte row offsets"));
    }
    const uint64_t count = del_bytes / sizeof(int32_t);
    st->deleted.reserve(static_cast<size_t>(std::min<uint64_t>(count, rv_rows)));
    const uint64_t per_read =
        std::max<uint64_t>(1, static_cast<uint64_t>(buffer) / sizeof(int32_t));
    std::vector<int32_t> chunk;
    for (uint64_t done = 0; done < count;) {
      const uint64_t n = std::min(per_read, count - done);
      chunk.resize(static_cast<size_t>(n));
      RETURN_IF_ERROR(ReadExactly(*del, kHeaderBytes + done * sizeof(int32_t),
                                  static_cast<size_t>(n * sizeof(int32_t)), chunk.data()));
      for (uint64_t i = 0; i < n; ++i) {
        const int32_t offset = chunk[static_cast<size_t>(i)];
        if (offset < 0 || static_cast<uint64_t>(offset) >= rv_rows) {
          return absl::DataLossError(StrCat(del->name(), ": entry ", done + i, " deletes row ",
                                            offset, ", but ", st->rv->name(), " holds only ",
                                            rv_rows, " rows"));
        }
        st->deleted.push_back(offset);
      }
      // Duplicates are legal (a row deleted twice); keep memory at the distinct offsets.
      if (st->deleted.size() > rv_rows) {
        std::sort(st->deleted.begin(), st->deleted.end());
        st->deleted.erase(std::unique(st->deleted.begin(), st->deleted.end()), st->deleted.end());
      }
      done += n;
    }
    std::sort(st->deleted.begin(), st->deleted.end());
    st->deleted.erase(std::unique(st->deleted.begin(), st->deleted.end()), st->deleted.end());
    st->deleted.shrink_to_fit();
  }

  const int64_t deleted = static_cast<int64_t>(st->deleted.size());
  const int64_t live = st->physical_rows - deleted;
  if (live != spec.live_rows) {
    return absl::DataLossError(StrCat("segment ", seg_name, ": ", st->physical_rows,
                                      " rows minus ", deleted, " deleted = ", live,
                                      ", but the meta says ", spec.live_rows, " rows"));
  }
  return std::unique_ptr<SegmentReader>(new SegmentReader(std::move(st)));
}

Result<std::optional<Batch>> SegmentReader::Next() {
  State& s = *state_;
  if (s.next_row >= s.physical_rows) return std::optional<Batch>();
  Batch batch(s.schema, s.partition);
  Column& ids = batch.column(0);
  Column& vectors = batch.column(1);
  const size_t width = static_cast<size_t>(s.row_width);
  int64_t rows = 0;
  while (rows < s.rows_per_batch && s.next_row < s.physical_rows) {
    // Never more physical rows than the batch still wants, so a batch stays at its size.
    const int64_t begin = s.next_row;
    const int64_t n =
        std::min({s.rows_per_read, s.physical_rows - begin, s.rows_per_batch - rows});
    const int64_t end = begin + n;
    const size_t first_deleted = s.next_deleted;
    size_t last_deleted = first_deleted;
    while (last_deleted < s.deleted.size() && s.deleted[last_deleted] < end) ++last_deleted;
    const int64_t deleted_here = static_cast<int64_t>(last_deleted - first_deleted);
    s.next_row = end;
    s.next_deleted = last_deleted;
    if (deleted_here == n) continue;  // nothing live: skip the read

    const uint64_t ids_at = kHeaderBytes + static_cast<uint64_t>(begin) * sizeof(int64_t);
    const uint64_t vectors_at = kHeaderBytes + static_cast<uint64_t>(begin) * width;
    if (deleted_here == 0) {
      // The common case: decode straight into the batch.
      RETURN_IF_ERROR(ReadExactly(*s.uid, ids_at, static_cast<size_t>(n) * sizeof(int64_t),
                                  ids.ExtendFixed(n)));
      RETURN_IF_ERROR(ReadExactly(*s.rv, vectors_at, static_cast<size_t>(n) * width,
                                  vectors.ExtendFixed(n)));
      rows += n;
      continue;
    }
    s.ids.resize(static_cast<size_t>(n));
    s.vectors.resize(static_cast<size_t>(n) * width);
    RETURN_IF_ERROR(
        ReadExactly(*s.uid, ids_at, static_cast<size_t>(n) * sizeof(int64_t), s.ids.data()));
    RETURN_IF_ERROR(ReadExactly(*s.rv, vectors_at, s.vectors.size(), s.vectors.data()));
    // Copy the runs of live rows between deleted offsets.
    int64_t run_start = begin;
    for (size_t d = first_deleted; d <= last_deleted; ++d) {
      const int64_t run_end = d < last_deleted ? s.deleted[d] : end;
      const int64_t len = run_end - run_start;
      if (len > 0) {
        const size_t at = static_cast<size_t>(run_start - begin);
        ids.AppendFixed(s.ids.data() + at, len);
        vectors.AppendFixed(s.vectors.data() + at * width, len);
        rows += len;
      }
      run_start = run_end + 1;
    }
  }
  if (rows == 0) return std::optional<Batch>();
  return std::optional<Batch>(std::move(batch));
}

}  // namespace mm
