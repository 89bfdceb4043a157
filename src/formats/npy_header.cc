#include "formats/npy_header.h"

#include <cstring>
#include <regex>

namespace mm {

Result<NpyArray> NpyArrayForField(const FieldSchema& field, int64_t rows) {
  switch (field.type) {
    case DataType::kBool: return NpyArray{"|b1", {rows}};
    case DataType::kInt8: return NpyArray{"|i1", {rows}};
    case DataType::kInt16: return NpyArray{"<i2", {rows}};
    case DataType::kInt32: return NpyArray{"<i4", {rows}};
    case DataType::kInt64: return NpyArray{"<i8", {rows}};
    case DataType::kFloat: return NpyArray{"<f4", {rows}};
    case DataType::kDouble: return NpyArray{"<f8", {rows}};
    case DataType::kFloatVector: return NpyArray{"<f4", {rows, field.dim}};
    case DataType::kBinaryVector: return NpyArray{"|u1", {rows, field.dim / 8}};
    case DataType::kFloat16Vector:
    case DataType::kBFloat16Vector: return NpyArray{"|u1", {rows, field.dim * 2}};
    default:
      return absl::UnimplementedError(StrCat("field '", field.name, "' of type ",
                                             DataTypeName(field.type),
                                             " has no NumPy bulk-import form"));
  }
}

std::string EncodeNpyHeader(const NpyArray& array) {
  // Python tuple syntax: "(7,)" for one dimension, "(7, 128)" for two.
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i) {
    if (i > 0) shape += ", ";
    shape += std::to_string(array.shape[i]);
  }
  shape += array.shape.size() == 1 ? ",)" : ")";
  std::string dict =
      StrCat("{'descr': '", array.descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
  std::string out("\x93NUMPY\x01\x00", 8);
  const size_t header_len = kNpyHeaderSize - 10;
  out.push_back(static_cast<char>(header_len & 0xff));
  out.push_back(static_cast<char>(header_len >> 8));
  out += dict;
  out.append(kNpyHeaderSize - 1 - out.size(), ' ');
  out.push_back('\n');
  return out;
}

Result<NpyArray> ParseNpyHeader(std::string_view bytes, std::string_view name,
                                size_t* data_offset) {
  auto corrupt = [&](std::string_view what) {
    return absl::DataLossError(StrCat(name, ": not a .npy file: ", what));
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
    return corrupt("missing the \\x93NUMPY magic");
  }
  if (bytes[6] != 1) return corrupt(StrCat("format version ", int(bytes[6]), " (expected 1)"));
  size_t len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
  if (bytes.size() < 10 + len) return corrupt("header longer than the file");
  std::string dict(bytes.substr(10, len));
  std::smatch m;
  static const std::regex kDescr(R"('descr':\s*'([^']+)')");
  static const std::regex kShape(R"('shape':\s*\(([0-9,\s]*)\))");
  if (!std::regex_search(dict, m, kDescr)) return corrupt("no 'descr' in header");
  NpyArray array;
  array.descr = m[1];
  if (!std::regex_search(dict, m, kShape)) return corrupt("no 'shape' in header");
  std::string dims = m[1];
  size_t pos = 0;
  while (pos < dims.size()) {
    size_t end = dims.find(',', pos);
    if (end == std::string::npos) end = dims.size();
    std::string item = dims.substr(pos, end - pos);
    item.erase(0, item.find_first_not_of(' '));
    if (!item.empty()) array.shape.push_back(std::stoll(item));
    pos = end + 1;
  }
  if (dict.find("'fortran_order': False") == std::string::npos) {
    return corrupt("fortran_order must be False");
  }
  *data_offset = 10 + len;
  return array;
}

}  // namespace mm
