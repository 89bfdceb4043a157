#include "sources/faiss/faiss_lossy_decoder.h"

#include <faiss/IndexIVF.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cstring>
#include <exception>

namespace mm::faiss_format {
namespace {

// Serves libfaiss the spliced byte stream: file ranges and literal stand-ins, in order.
// Remembers the first storage error, since libfaiss only sees a short read.
class SplicedReader : public faiss::IOReader {
 public:
  SplicedReader(const RandomAccessFile& file, const std::vector<StreamPiece>& pieces)
      : file_(file), pieces_(pieces) {
    name = file.name();
  }

  size_t operator()(void* ptr, size_t size, size_t nitems) override {
    if (size == 0 || nitems == 0) return 0;
    char* out = static_cast<char*>(ptr);
    const size_t want = size * nitems;
    size_t got = 0;
    while (got < want && piece_ < pieces_.size()) {
      const StreamPiece& piece = pieces_[piece_];
      const uint64_t piece_size = piece.literal.empty() ? piece.size : piece.literal.size();
      if (within_ >= piece_size) {
        ++piece_;
        within_ = 0;
        continue;
      }
      const size_t n = static_cast<size_t>(std::min<uint64_t>(want - got, piece_size - within_));
      if (!piece.literal.empty()) {
        std::memcpy(out + got, piece.literal.data() + within_, n);
      } else {
        Result<size_t> r = file_.ReadAt(piece.offset + within_, n, out + got);
        if (!r.ok() || *r != n) {
          if (status_.ok()) {
            status_ = r.ok() ? absl::DataLossError(StrCat("faiss file '", file_.name(),
                                                          "': short read at offset ",
                                                          piece.offset + within_))
                             : r.status();
          }
          return got / size;
        }
      }
      got += n;
      within_ += n;
    }
    return got / size;
  }

  const Status& status() const { return status_; }

 private:
  const RandomAccessFile& file_;
  const std::vector<StreamPiece>& pieces_;
  size_t piece_ = 0;
  uint64_t within_ = 0;
  Status status_;
};

}  // namespace

struct FaissLossyDecoder::Impl {
  std::unique_ptr<faiss::IndexIVF> index;
  std::string file_name;
  std::string type;
  size_t coarse_size = 0;
  size_t code_size = 0;
  int64_t dim = 0;
};

FaissLossyDecoder::FaissLossyDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaissLossyDecoder::~FaissLossyDecoder() = default;

Result<std::unique_ptr<FaissLossyDecoder>> FaissLossyDecoder::Open(const RandomAccessFile& file,
                                                                   const FaissLayout& layout) {
  auto impl = std::make_unique<Impl>();
  impl->file_name = file.name();
  impl->type = layout.lossy_type;
  impl->code_size = static_cast<size_t>(layout.code_size);
  impl->dim = layout.dim;
  SplicedReader reader(file, layout.lossy_stream);
  std::unique_ptr<faiss::Index> index;
  try {
    // The precomputed IVFPQ distance table only speeds up search; skip building it.
    index.reset(faiss::read_index(&reader, faiss::IO_FLAG_SKIP_PRECOMPUTE_TABLE));
  } catch (const std::exception& e) {
    if (!reader.status().ok()) return reader.status();
    return absl::DataLossError(StrCat("faiss file '", file.name(), "': libfaiss could not read ",
                                      layout.lossy_type, ": ", e.what()));
  }
  auto* ivf = dynamic_cast<faiss::IndexIVF*>(index.get());
  if (ivf == nullptr || ivf->d != layout.dim || ivf->code_size != impl->code_size ||
      static_cast<int64_t>(ivf->nlist) != layout.nlist) {
    return absl::DataLossError(StrCat("faiss file '", file.name(), "': libfaiss read ",
                                      layout.lossy_type, " as a different index than its header"
                                      " describes"));
  }
  index.release();
  impl->index.reset(ivf);
  impl->coarse_size = ivf->coarse_code_size();
  return std::unique_ptr<FaissLossyDecoder>(new FaissLossyDecoder(std::move(impl)));
}

Status FaissLossyDecoder::Decode(int64_t list_no, const uint8_t* codes, int64_t n,
                                 float* out) const {
  const Impl& m = *impl_;
  // sa_decode takes each code prefixed with its list number.
  const size_t stride = m.coarse_size + m.code_size;
  std::vector<uint8_t> buffer(static_cast<size_t>(n) * stride);
  try {
    for (int64_t i = 0; i < n; ++i) {
      uint8_t* dst = buffer.data() + static_cast<size_t>(i) * stride;
      m.index->encode_listno(list_no, dst);
      std::memcpy(dst + m.coarse_size, codes + static_cast<size_t>(i) * m.code_size, m.code_size);
    }
    m.index->sa_decode(n, buffer.data(), out);
  } catch (const std::exception& e) {
    return absl::DataLossError(StrCat("faiss file '", m.file_name, "': decoding ", n, " ",
                                      m.type, " codes of list ", list_no, ": ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace mm::faiss_format
