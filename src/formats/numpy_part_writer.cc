#include "formats/numpy_part_writer.h"

#include "formats/npy_header.h"

namespace mm {

Result<std::unique_ptr<NumpyPartWriter>> NumpyPartWriter::Open(Storage* storage, std::string dir,
                                                               SchemaPtr schema,
                                                               std::string partition) {
  std::unique_ptr<NumpyPartWriter> w(
      new NumpyPartWriter(storage, std::move(dir), schema, std::move(partition)));
  for (size_t i = 0; i < schema->fields.size(); ++i) {
    const FieldSchema& field = schema->fields[i];
    if (field.primary_key && field.auto_id) continue;
    // Checks the type has a NumPy form before anything is written.
    ASSIGN_OR_RETURN(NpyArray array, NpyArrayForField(field, 0));
    ASSIGN_OR_RETURN(auto file, storage->OpenWrite(w->dir_ + "/" + field.name + ".npy"));
    // A placeholder header of the final size; Finish rewrites it with the row count.
    Status st = file->Append(EncodeNpyHeader(array));
    if (!st.ok()) {
      file->Abort().IgnoreError();
      w->Abandon();
      return st;
    }
    w->files_.push_back({i, std::move(file)});
  }
  return w;
}

NumpyPartWriter::~NumpyPartWriter() {
  if (!done_) Abandon();
}

Status NumpyPartWriter::Add(const Batch& batch, int64_t offset, int64_t count) {
  if (offset < 0 || count < 0 || offset + count > batch.num_rows()) {
    return absl::InternalError(StrCat(dir_, ": rows [", offset, ", ", offset + count,
                                      ") outside a batch of ", batch.num_rows()));
  }
  for (auto& ff : files_) {
    const Column& col = batch.column(ff.column);
    std::string_view bytes(reinterpret_cast<const char*>(col.row(offset)),
                           static_cast<size_t>(count * col.width()));
    RETURN_IF_ERROR(ff.file->Append(bytes));
    bytes_ += bytes.size();
  }
  rows_ += count;
  return absl::OkStatus();
}

Result<PartInfo> NumpyPartWriter::Finish() {
  PartInfo info;
  info.dir = dir_;
  info.partition = partition_;
  info.rows = rows_;
  info.bytes = bytes_;
  for (auto& ff : files_) {
    const FieldSchema& field = schema_->fields[ff.column];
    ASSIGN_OR_RETURN(NpyArray array, NpyArrayForField(field, rows_));
    Status st = ff.file->RewritePrefix(EncodeNpyHeader(array));
    const uint64_t size = ff.file->Size();
    if (st.ok()) st = ff.file->Close();
    if (!st.ok()) {
      Abandon();
      return st;
    }
    info.files.push_back(dir_ + "/" + field.name + ".npy");
    info.file_bytes.push_back(size);
  }
  done_ = true;
  return info;
}

void NumpyPartWriter::Abandon() {
  for (auto& ff : files_) {
    if (ff.file) ff.file->Abort().IgnoreError();
  }
  // Files already committed by a failed Finish are removed too: a part is all or nothing.
  storage_->DeletePrefix(dir_ + "/").IgnoreError();
  done_ = true;
}

}  // namespace mm
