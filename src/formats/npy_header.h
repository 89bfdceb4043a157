// The .npy header (NumPy format version 1.0), as Milvus' bulk import reads it:
//   "\x93NUMPY" 0x01 0x00 <u16 little-endian header length> <Python dict literal>
//   padded with spaces and a final '\n' so the data starts at a multiple of 64.
// We always write a fixed 128-byte header: the row count is known only when a part is
// finished, and a fixed size lets the writer rewrite it in place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"

namespace mm {

struct NpyArray {
  std::string descr;           // "<i8", "<f4", "|u1", "|b1", ...
  std::vector<int64_t> shape;  // (rows) or (rows, columns)
};

inline constexpr size_t kNpyHeaderSize = 128;

// The NumPy dtype and row shape Milvus expects for a field; Unimplemented for types that
// have no NumPy import form (VarChar and JSON need fixed-width strings, Array and sparse
// vectors none at all).
Result<NpyArray> NpyArrayForField(const FieldSchema& field, int64_t rows);

// Exactly kNpyHeaderSize bytes.
std::string EncodeNpyHeader(const NpyArray& array);

// Parses a header at the start of `bytes`; sets *data_offset to where the data starts.
// DataLoss naming `name` on anything malformed.
Result<NpyArray> ParseNpyHeader(std::string_view bytes, std::string_view name,
                                size_t* data_offset);

}  // namespace mm
