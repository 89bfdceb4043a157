// Converts our data model to Milvus' wire messages: Schema -> schema.CollectionSchema and
// Batch columns -> schema.FieldData. Internal to src/milvus (it includes generated code);
// stateless functions, safe from any thread.
//
// Column layouts expected in a Batch (see core/batch.h) and what they become:
//   Bool (1 byte, 0/1)             -> scalars.bool_data
//   Int8/Int16/Int32               -> scalars.int_data (widened to int32, as Milvus wants)
//   Int64 / Float / Double         -> scalars.long_data / float_data / double_data
//   VarChar                        -> scalars.string_data
//   JSON (UTF-8 JSON text)         -> scalars.json_data
//   Array (a JSON array as text)   -> scalars.array_data, one ScalarField per row
//   FloatVector (dim float32)      -> vectors.float_vector, vectors.dim
//   BinaryVector (dim/8 bytes)     -> vectors.binary_vector, vectors.dim (bits)
//   Float16/BFloat16 (dim*2 bytes) -> vectors.float16_vector / bfloat16_vector
//   SparseFloatVector (a row is (uint32 index, float32 value) pairs, little-endian,
//     sorted by index, the layout Milvus uses on the wire) -> vectors.sparse_float_vector
// A JSON column named "$meta" is sent as the dynamic field (is_dynamic = true).
#pragma once

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"
#include "schema.pb.h"

namespace mm {

// Fails with InvalidArgument if the schema does not Validate().
Result<milvus::proto::schema::CollectionSchema> ToCollectionSchema(const Schema& schema);

// The reverse, for a collection the server describes: fields in the server's order, the
// dynamic field ($meta) left out (enable_dynamic_field says whether it is there). Unknown
// wire types come through as their number; numeric type params that do not parse are 0.
Schema FromCollectionSchema(const milvus::proto::schema::CollectionSchema& proto);

// Appends one FieldData per column of `batch` to `out`. With `skip_auto_id`, an auto-ID
// primary key column is left out (Milvus generates those on Insert).
// Fails with InvalidArgument when a column's rows disagree or a value does not fit its field.
Status AppendFieldsData(const Batch& batch, bool skip_auto_id,
                        google::protobuf::RepeatedPtrField<milvus::proto::schema::FieldData>* out);

// The reverse of AppendFieldsData, for Query results: appends the rows of `fields` (one
// FieldData per field of `batch`'s schema, matched by name; the dynamic field by is_dynamic or
// the name "$meta") to `batch`'s columns, in the layouts above. Array rows become JSON array
// text. InvalidArgument naming the field when one is missing, of another kind than the
// schema's, or when the fields disagree on the number of rows.
Status AppendRowsFromFieldsData(
    const google::protobuf::RepeatedPtrField<milvus::proto::schema::FieldData>& fields,
    Batch* batch);

}  // namespace mm
