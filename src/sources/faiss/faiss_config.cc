#include "sources/faiss/faiss_config.h"

#include <algorithm>

#include "sources/faiss/faiss_source.h"
#include "sources/source_files.h"

namespace mm {
namespace {

std::string FaissFileKey(const std::string& source_mode) {
  return "source." + source_mode + ".faissFile";
}

}  // namespace

bool RecogniseFaissConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  std::string file;
  // A malformed faissFile still names FAISS, so that its parser reports the key.
  return !r.Get(FaissFileKey(SourceModeOf(r)), &file).ok() || !file.empty();
}

Result<std::shared_ptr<const SourceConfig>> ParseFaissConfig(ConfigReader& r,
                                                             MigrationConfig* shared) {
  auto c = std::make_shared<FaissConfig>();
  RETURN_IF_ERROR(ReadSourceLocation(r, &c->location));
  const std::string faiss_key = FaissFileKey(c->location.mode);
  RETURN_IF_ERROR(r.Get(faiss_key, &c->faiss_file));
  RETURN_IF_ERROR(ReadReaderBufferKb(r, shared));
  if (c->faiss_file.empty()) return r.Invalid(faiss_key, "must name the FAISS index file");
  RETURN_IF_ERROR(r.Get("source.faiss.allowTrailingBytes", &c->allow_trailing_bytes));
  RETURN_IF_ERROR(CheckSourceLocation(r, c->location));
  // A FAISS file names no collection (a 1.x instance and an ES index do).
  if (shared->collection.empty()) {
    return r.Invalid("target.create.collection.name", "must be set");
  }
  return std::shared_ptr<const SourceConfig>(std::move(c));
}

Result<OpenedSource> OpenFaissSource(const SourceConfig& source_config,
                                     const MigrationConfig& shared) {
  const auto& config = static_cast<const FaissConfig&>(source_config);
  ASSIGN_OR_RETURN(auto file, OpenSourceFile(shared, config.location, config.faiss_file));
  FaissSourceOptions options;
  options.collection = shared.collection;
  options.dim = shared.dim;
  options.metric_type = shared.metric_type;
  options.shards_num = shared.shards_num;
  options.batch_bytes = std::max<int64_t>(shared.reader_buffer_kb, 64) << 10;
  options.allow_trailing_bytes = config.allow_trailing_bytes;
  OpenedSource opened;
  opened.id = StrCat("faiss:", file->name(), " (", file->Size(), " bytes)");
  ASSIGN_OR_RETURN(opened.source, FaissSource::Open(file, options));
  return opened;
}

}  // namespace mm
