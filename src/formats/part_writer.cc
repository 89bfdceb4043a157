#include "formats/part_writer.h"

#include "formats/json_rows_part_writer.h"
#include "formats/npy_header.h"
#include "formats/numpy_part_writer.h"

namespace mm {

std::string_view PartFormatName(PartFormat format) {
  switch (format) {
    case PartFormat::kNumpy: return "numpy";
    case PartFormat::kJsonRows: return "json-rows";
  }
  return "unknown";
}

PartFormat ChoosePartFormat(const Schema& schema) {
  for (const auto& field : schema.fields) {
    if (field.primary_key && field.auto_id) continue;  // no file either way
    if (!NpyArrayForField(field, 0).ok()) return PartFormat::kJsonRows;
  }
  return PartFormat::kNumpy;
}

Result<std::unique_ptr<PartWriter>> OpenPartWriter(Storage* storage, std::string dir,
                                                   SchemaPtr schema, std::string partition) {
  if (ChoosePartFormat(*schema) == PartFormat::kNumpy) {
    ASSIGN_OR_RETURN(auto w, NumpyPartWriter::Open(storage, std::move(dir), std::move(schema),
                                                   std::move(partition)));
    return std::unique_ptr<PartWriter>(std::move(w));
  }
  ASSIGN_OR_RETURN(auto w, JsonRowsPartWriter::Open(storage, std::move(dir), std::move(schema),
                                                    std::move(partition)));
  return std::unique_ptr<PartWriter>(std::move(w));
}

}  // namespace mm
