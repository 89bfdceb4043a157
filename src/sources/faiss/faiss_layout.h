// Where the rows of a FAISS index file live: parsed from the headers only (docs/faiss-format.md
// describes every layout read here). The layout says, for each run of stored rows, where its
// codes and ids sit in the file, so tasks can stream any row range with ReadAt without loading
// the index. Immutable once built; shared between threads by the FAISS source.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/storage.h"

namespace mm::faiss_format {

// How a stored code turns into the vector a row carries.
enum class VectorEncoding {
  kFloat32,  // the code is the vector: dim little-endian floats
  kBinary,   // the code is the vector: dim / 8 bytes
  kLossy,    // a quantized code, decoded through libfaiss (IVF-SQ, IVF-PQ)
};

// A run of consecutive stored rows: one inverted list, or all rows of a flat storage.
struct RowRun {
  int64_t rows = 0;
  uint64_t codes_offset = 0;  // rows * code_size bytes
  int64_t ids_offset = -1;    // rows int64 ids; -1: ids are first_id, first_id + 1, ...
  int64_t first_id = 0;
  int64_t list_no = -1;  // inverted list number (lossy decoding needs it), -1 for flat storage
};

// An IndexIDMap's id array: the user id of internal id i is the int64 at offset + 8 * i.
struct IdMapRef {
  uint64_t offset = 0;
  int64_t count = 0;
};

// A piece of the byte stream libfaiss reads to rebuild a lossy index without its inverted
// lists: a range of the file, or literal bytes standing in for what was cut out.
struct StreamPiece {
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string literal;  // used when non-empty
};

struct FaissLayout {
  std::string index_type;  // e.g. "IndexIDMap2(IndexIVFFlat)", for messages
  bool binary = false;
  int64_t dim = 0;          // float components, or bits for binary indexes
  int32_t metric_type = 1;  // faiss::MetricType of the outermost index (0 IP, 1 L2, ...)
  int64_t ntotal = 0;
  VectorEncoding encoding = VectorEncoding::kFloat32;
  int64_t code_size = 0;  // bytes a stored code takes
  std::vector<RowRun> runs;  // in the order rows are yielded; empty lists are left out
  // Id maps from IndexIDMap wrappers, innermost first: a row's id goes through each in turn.
  std::vector<IdMapRef> id_maps;
  // Lossy only: the quantizer's type, e.g. "IndexIVFPQ", and the stream libfaiss reads.
  std::string lossy_type;
  std::vector<StreamPiece> lossy_stream;
  int64_t nlist = 0;  // lossy only: inverted lists of the IVF index
  // True for indexes that only serve as a coarse quantizer and hold no rows.
  bool quantizer_only = false;
};

// Parses the headers of a FAISS index file (float or binary, any supported type) and
// returns where its rows are. Errors: DataLoss for truncated or inconsistent bytes (naming
// the file and offset), and for bytes after the end of the index unless
// `allow_trailing_bytes` (then they are warned about and ignored); Unimplemented for index
// types it does not read (naming the type or the unknown fourcc).
Result<FaissLayout> ReadFaissLayout(const RandomAccessFile& file,
                                    bool allow_trailing_bytes = false);

// Index types ReadFaissLayout reads, for messages.
const char* SupportedFaissIndexTypes();

}  // namespace mm::faiss_format
