#include "milvus/proto_convert.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

namespace mm {
namespace {

namespace pb = milvus::proto::schema;

void AddParam(pb::FieldSchema* f, const std::string& key, int64_t value) {
  auto* kv = f->add_type_params();
  kv->set_key(key);
  kv->set_value(std::to_string(value));
}

pb::DataType WireType(DataType t) { return static_cast<pb::DataType>(static_cast<int32_t>(t)); }

template <typename T, typename Repeated>
void CopyFixed(const Column& col, Repeated* dst) {
  const int64_t n = col.num_rows();
  dst->Resize(static_cast<int>(n), T{});
  std::memcpy(dst->mutable_data(), col.data(), static_cast<size_t>(n) * sizeof(T));
}

template <typename Narrow>
void WidenToInt32(const Column& col, google::protobuf::RepeatedField<int32_t>* dst) {
  const int64_t n = col.num_rows();
  dst->Reserve(static_cast<int>(n));
  for (int64_t i = 0; i < n; ++i) dst->AddAlreadyReserved(col.scalar<Narrow>(i));
}

Status BadValue(const FieldSchema& f, int64_t row, const std::string& why) {
  return absl::InvalidArgumentError(
      StrCat("field '", f.name, "' row ", row, ": ", why));
}

// One row of an Array field, given as JSON array text, into a ScalarField of element_type.
Status ArrayRow(const FieldSchema& f, int64_t row, std::string_view text, pb::ScalarField* out) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return BadValue(f, row, "expected a JSON array for an Array field");
  }
  if (f.max_capacity > 0 && static_cast<int64_t>(j.size()) > f.max_capacity) {
    return BadValue(f, row, StrCat(j.size(), " elements exceed max_capacity ", f.max_capacity));
  }
  auto mismatch = [&](const nlohmann::json& v) {
    return BadValue(f, row, StrCat("element ", v.dump(), " is not ",
                                   DataTypeName(f.element_type)));
  };
  switch (f.element_type) {
    case DataType::kBool: {
      auto* d = out->mutable_bool_data()->mutable_data();
      for (const auto& v : j) {
        if (!v.is_boolean()) return mismatch(v);
        d->Add(v.get<bool>());
      }
      return absl::OkStatus();
    }
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32: {
      auto* d = out->mutable_int_data()->mutable_data();
      for (const auto& v : j) {
        if (!v.is_number_integer()) return mismatch(v);
        d->Add(v.get<int32_t>());
      }
      return absl::OkStatus();
    }
    case DataType::kInt64: {
      auto* d = out->mutable_long_data()->mutable_data();
      for (const auto& v : j) {
        if (!v.is_number_integer()) return mismatch(v);
        d->Add(v.get<int64_t>());
      }
      return absl::OkStatus();
    }
    case DataType::kFloat: {
      auto* d = out->mutable_float_data()->mutable_data();
      for (const auto& v : j) {
        if (!v.is_number()) return mismatch(v);
        d->Add(v.get<float>());
      }
      return absl::OkStatus();
    }
    case DataType::kDouble: {
      auto* d = out->mutable_double_data()->mutable_data();
      for (const auto& v : j) {
        if (!v.is_number()) return mismatch(v);
        d->Add(v.get<double>());
      }
      return absl::OkStatus();
    }
    case DataType::kVarChar: {
      auto* d = out->mutable_string_data()->mutable_data();
      for (const auto& v : j) {
        if (!v.is_string()) return mismatch(v);
        d->Add(v.get<std::string>());
      }
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError(StrCat("field '", f.name, "': Array of ",
                                             DataTypeName(f.element_type),
                                             " is not supported"));
  }
}

Status SparseRows(const FieldSchema& f, const Column& col, pb::VectorField* vec) {
  auto* sparse = vec->mutable_sparse_float_vector();
  int64_t dim = 0;
  for (int64_t i = 0; i < col.num_rows(); ++i) {
    std::string_view row = col.value(i);
    if (row.size() % 8 != 0) {
      return BadValue(f, i, StrCat("sparse row of ", row.size(),
                                   " bytes is not a list of (uint32, float32) pairs"));
    }
    for (size_t off = 0; off < row.size(); off += 8) {
      uint32_t index;
      std::memcpy(&index, row.data() + off, sizeof(index));
      dim = std::max<int64_t>(dim, static_cast<int64_t>(index) + 1);
    }
    sparse->add_contents(row.data(), row.size());
  }
  sparse->set_dim(dim);
  vec->set_dim(dim);
  return absl::OkStatus();
}

Status ColumnToFieldData(const FieldSchema& f, const Column& col, pb::FieldData* fd) {
  fd->set_field_name(f.name);
  fd->set_type(WireType(f.type));
  const int64_t n = col.num_rows();
  switch (f.type) {
    case DataType::kBool: {
      auto* d = fd->mutable_scalars()->mutable_bool_data()->mutable_data();
      d->Reserve(static_cast<int>(n));
      for (int64_t i = 0; i < n; ++i) d->AddAlreadyReserved(col.row(i)[0] != 0);
      return absl::OkStatus();
    }
    case DataType::kInt8:
      WidenToInt32<int8_t>(col, fd->mutable_scalars()->mutable_int_data()->mutable_data());
      return absl::OkStatus();
    case DataType::kInt16:
      WidenToInt32<int16_t>(col, fd->mutable_scalars()->mutable_int_data()->mutable_data());
      return absl::OkStatus();
    case DataType::kInt32:
      CopyFixed<int32_t>(col, fd->mutable_scalars()->mutable_int_data()->mutable_data());
      return absl::OkStatus();
    case DataType::kInt64:
      CopyFixed<int64_t>(col, fd->mutable_scalars()->mutable_long_data()->mutable_data());
      return absl::OkStatus();
    case DataType::kFloat:
      CopyFixed<float>(col, fd->mutable_scalars()->mutable_float_data()->mutable_data());
      return absl::OkStatus();
    case DataType::kDouble:
      CopyFixed<double>(col, fd->mutable_scalars()->mutable_double_data()->mutable_data());
      return absl::OkStatus();
    case DataType::kVarChar: {
      auto* d = fd->mutable_scalars()->mutable_string_data()->mutable_data();
      d->Reserve(static_cast<int>(n));
      for (int64_t i = 0; i < n; ++i) {
        d->Add(std::string(col.value(i)));
      }
      return absl::OkStatus();
    }
    case DataType::kJson: {
      if (f.name == kDynamicFieldName) fd->set_is_dynamic(true);
      auto* d = fd->mutable_scalars()->mutable_json_data()->mutable_data();
      d->Reserve(static_cast<int>(n));
      for (int64_t i = 0; i < n; ++i) d->Add(std::string(col.value(i)));
      return absl::OkStatus();
    }
    case DataType::kArray: {
      auto* arr = fd->mutable_scalars()->mutable_array_data();
      arr->set_element_type(WireType(f.element_type));
      for (int64_t i = 0; i < n; ++i) RETURN_IF_ERROR(ArrayRow(f, i, col.value(i), arr->add_data()));
      return absl::OkStatus();
    }
    case DataType::kFloatVector: {
      auto* vec = fd->mutable_vectors();
      vec->set_dim(f.dim);
      auto* d = vec->mutable_float_vector()->mutable_data();
      d->Resize(static_cast<int>(n * f.dim), 0.0f);
      std::memcpy(d->mutable_data(), col.data(), col.size_bytes());
      return absl::OkStatus();
    }
    case DataType::kBinaryVector:
      fd->mutable_vectors()->set_dim(f.dim);
      fd->mutable_vectors()->set_binary_vector(col.data(), col.size_bytes());
      return absl::OkStatus();
    case DataType::kFloat16Vector:
      fd->mutable_vectors()->set_dim(f.dim);
      fd->mutable_vectors()->set_float16_vector(col.data(), col.size_bytes());
      return absl::OkStatus();
    case DataType::kBFloat16Vector:
      fd->mutable_vectors()->set_dim(f.dim);
      fd->mutable_vectors()->set_bfloat16_vector(col.data(), col.size_bytes());
      return absl::OkStatus();
    case DataType::kSparseFloatVector:
      return SparseRows(f, col, fd->mutable_vectors());
    case DataType::kNone:
      break;
  }
  return absl::InvalidArgumentError(
      StrCat("field '", f.name, "': type ", DataTypeName(f.type), " cannot be sent to Milvus"));
}

// One Array row as JSON array text, the layout a Batch keeps for Array fields.
Result<std::string> ArrayRowText(const FieldSchema& f, const pb::ScalarField& row) {
  nlohmann::json j = nlohmann::json::array();
  switch (row.data_case()) {
    case pb::ScalarField::kBoolData:
      for (bool v : row.bool_data().data()) j.push_back(v);
      break;
    case pb::ScalarField::kIntData:
      for (int32_t v : row.int_data().data()) j.push_back(v);
      break;
    case pb::ScalarField::kLongData:
      for (int64_t v : row.long_data().data()) j.push_back(v);
      break;
    case pb::ScalarField::kFloatData:
      for (float v : row.float_data().data()) j.push_back(v);
      break;
    case pb::ScalarField::kDoubleData:
      for (double v : row.double_data().data()) j.push_back(v);
      break;
    case pb::ScalarField::kStringData:
      for (const auto& v : row.string_data().data()) j.push_back(v);
      break;
    case pb::ScalarField::DATA_NOT_SET:
      break;
    default:
      return absl::InvalidArgumentError(
          StrCat("field '", f.name, "': an Array row of an element kind this tool does not read"));
  }
  return j.dump();
}

// Rows of `fd` appended to `col` (of field `f`); `rows` is set to how many.
Status FieldDataToColumn(const FieldSchema& f, const pb::FieldData& fd, Column* col,
                         int64_t* rows) {
  auto wrong = [&](std::string_view got) {
    return absl::InvalidArgumentError(StrCat("field '", f.name, "' (", DataTypeName(f.type),
                                             ") came back as ", got));
  };
  const pb::ScalarField& s = fd.scalars();
  const pb::VectorField& v = fd.vectors();
  auto fixed = [&](const auto& repeated, auto tag) {
    using T = decltype(tag);
    for (auto x : repeated) {
      const T narrow = static_cast<T>(x);
      col->AppendFixed(&narrow, 1);
    }
    *rows = repeated.size();
  };
  auto bytes_rows = [&](const std::string& data) -> Status {
    if (col->width() == 0 || data.size() % static_cast<size_t>(col->width()) != 0) {
      return wrong(StrCat(data.size(), " bytes, not a multiple of ", col->width()));
    }
    *rows = static_cast<int64_t>(data.size()) / col->width();
    col->AppendFixed(data.data(), *rows);
    return absl::OkStatus();
  };
  switch (f.type) {
    case DataType::kBool:
      if (!s.has_bool_data()) return wrong("another kind than bool_data");
      fixed(s.bool_data().data(), uint8_t{});
      return absl::OkStatus();
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
      if (!s.has_int_data()) return wrong("another kind than int_data");
      if (f.type == DataType::kInt8) fixed(s.int_data().data(), int8_t{});
      if (f.type == DataType::kInt16) fixed(s.int_data().data(), int16_t{});
      if (f.type == DataType::kInt32) fixed(s.int_data().data(), int32_t{});
      return absl::OkStatus();
    case DataType::kInt64:
      if (!s.has_long_data()) return wrong("another kind than long_data");
      fixed(s.long_data().data(), int64_t{});
      return absl::OkStatus();
    case DataType::kFloat:
      if (!s.has_float_data()) return wrong("another kind than float_data");
      fixed(s.float_data().data(), float{});
      return absl::OkStatus();
    case DataType::kDouble:
      if (!s.has_double_data()) return wrong("another kind than double_data");
      fixed(s.double_data().data(), double{});
      return absl::OkStatus();
    case DataType::kVarChar:
      if (!s.has_string_data()) return wrong("another kind than string_data");
      for (const auto& x : s.string_data().data()) col->AppendValue(x);
      *rows = s.string_data().data_size();
      return absl::OkStatus();
    case DataType::kJson:
      if (!s.has_json_data()) return wrong("another kind than json_data");
      for (const auto& x : s.json_data().data()) col->AppendValue(x);
      *rows = s.json_data().data_size();
      return absl::OkStatus();
    case DataType::kArray:
      if (!s.has_array_data()) return wrong("another kind than array_data");
      for (const auto& row : s.array_data().data()) {
        ASSIGN_OR_RETURN(std::string text, ArrayRowText(f, row));
        col->AppendValue(text);
      }
      *rows = s.array_data().data_size();
      return absl::OkStatus();
    case DataType::kFloatVector: {
      if (!v.has_float_vector()) return wrong("another kind than float_vector");
      const auto& d = v.float_vector().data();
      if (f.dim <= 0 || d.size() % f.dim != 0) {
        return wrong(StrCat(d.size(), " floats, not a multiple of dim ", f.dim));
      }
      *rows = d.size() / f.dim;
      col->AppendFixed(d.data(), *rows);
      return absl::OkStatus();
    }
    case DataType::kBinaryVector:
      if (v.data_case() != pb::VectorField::kBinaryVector) return wrong("not binary_vector");
      return bytes_rows(v.binary_vector());
    case DataType::kFloat16Vector:
      if (v.data_case() != pb::VectorField::kFloat16Vector) return wrong("not float16_vector");
      return bytes_rows(v.float16_vector());
    case DataType::kBFloat16Vector:
      if (v.data_case() != pb::VectorField::kBfloat16Vector) return wrong("not bfloat16_vector");
      return bytes_rows(v.bfloat16_vector());
    case DataType::kSparseFloatVector:
      if (!v.has_sparse_float_vector()) return wrong("another kind than sparse_float_vector");
      for (const auto& x : v.sparse_float_vector().contents()) col->AppendValue(x);
      *rows = v.sparse_float_vector().contents_size();
      return absl::OkStatus();
    case DataType::kNone:
      break;
  }
  return wrong("a type this tool does not read");
}

}  // namespace

Status AppendRowsFromFieldsData(const google::protobuf::RepeatedPtrField<pb::FieldData>& fields,
                                Batch* batch) {
  const Schema& schema = *batch->schema();
  const int64_t before = batch->num_rows();
  int64_t expected = -1;
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const FieldSchema& f = schema.fields[i];
    const pb::FieldData* found = nullptr;
    for (const auto& fd : fields) {
      if (fd.field_name() == f.name || (f.name == kDynamicFieldName && fd.is_dynamic())) {
        found = &fd;
        break;
      }
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("field '", f.name, "' is missing from the query result"));
    }
    int64_t rows = 0;
    RETURN_IF_ERROR(FieldDataToColumn(f, *found, &batch->column(i), &rows));
    if (expected < 0) expected = rows;
    if (rows != expected) {
      return absl::InvalidArgumentError(StrCat("field '", f.name, "' has ", rows,
                                               " rows in the query result, the others ",
                                               expected));
    }
  }
  if (batch->num_rows() != before + std::max<int64_t>(expected, 0)) {
    return absl::InternalError("query result rows do not add up");
  }
  return absl::OkStatus();
}

Result<pb::CollectionSchema> ToCollectionSchema(const Schema& schema) {
  RETURN_IF_ERROR(schema.Validate());
  pb::CollectionSchema out;
  out.set_name(schema.collection);
  out.set_description(schema.description);
  out.set_enable_dynamic_field(schema.enable_dynamic_field);
  for (const auto& f : schema.fields) {
    if (f.name == kDynamicFieldName) continue;  // enable_dynamic_field creates it
    auto* pf = out.add_fields();
    pf->set_name(f.name);
    pf->set_data_type(WireType(f.type));
    pf->set_is_primary_key(f.primary_key);
    pf->set_autoid(f.primary_key && f.auto_id);
    pf->set_is_partition_key(f.partition_key);
    pf->set_nullable(f.nullable);
    if (IsVectorType(f.type) && f.type != DataType::kSparseFloatVector) AddParam(pf, "dim", f.dim);
    if (f.type == DataType::kVarChar) AddParam(pf, "max_length", f.max_length);
    if (f.type == DataType::kArray) {
      pf->set_element_type(WireType(f.element_type));
      if (f.max_capacity > 0) AddParam(pf, "max_capacity", f.max_capacity);
      if (f.element_type == DataType::kVarChar) AddParam(pf, "max_length", f.max_length);
    }
  }
  return out;
}

Schema FromCollectionSchema(const pb::CollectionSchema& proto) {
  Schema schema;
  schema.collection = proto.name();
  schema.description = proto.description();
  schema.enable_dynamic_field = proto.enable_dynamic_field();
  auto param = [](const pb::FieldSchema& f, const std::string& key) -> int64_t {
    for (const auto& kv : f.type_params()) {
      if (kv.key() != key) continue;
      int64_t v = 0;
      const std::string& s = kv.value();
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && ptr == s.data() + s.size() ? v : 0;
    }
    return 0;
  };
  for (const auto& pf : proto.fields()) {
    if (pf.is_dynamic()) continue;
    FieldSchema f;
    f.name = pf.name();
    f.type = static_cast<DataType>(static_cast<int32_t>(pf.data_type()));
    f.primary_key = pf.is_primary_key();
    f.auto_id = pf.autoid();
    f.partition_key = pf.is_partition_key();
    f.nullable = pf.nullable();
    f.dim = param(pf, "dim");
    f.max_length = param(pf, "max_length");
    if (f.type == DataType::kArray) {
      f.element_type = static_cast<DataType>(static_cast<int32_t>(pf.element_type()));
      f.max_capacity = param(pf, "max_capacity");
    }
    schema.fields.push_back(std::move(f));
  }
  return schema;
}

Status AppendFieldsData(const Batch& batch, bool skip_auto_id,
                        google::protobuf::RepeatedPtrField<pb::FieldData>* out) {
  if (Status st = batch.Validate(); !st.ok()) {
    return absl::InvalidArgumentError(std::string(st.message()));
  }
  const Schema& schema = *batch.schema();
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const FieldSchema& f = schema.fields[i];
    if (skip_auto_id && f.primary_key && f.auto_id) continue;
    RETURN_IF_ERROR(ColumnToFieldData(f, batch.column(i), out->Add()));
  }
  return absl::OkStatus();
}

}  // namespace mm
