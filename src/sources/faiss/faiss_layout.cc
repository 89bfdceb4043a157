// Parses FAISS index files through a table of small per-fourcc readers. The byte layouts
// are documented in docs/faiss-format.md; this file only follows them, skipping bulk data.
#include "sources/faiss/faiss_layout.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "sources/faiss/faiss_file_cursor.h"

namespace mm::faiss_format {
namespace {

// Wrappers nest (IDMap around IVF around an HNSW quantizer...); real files stay shallow.
constexpr int kMaxNesting = 8;

// faiss::DirectMap types: Array keeps the position of every stored vector, Hashtable also
// stores (id, position) pairs.
constexpr uint8_t kDirectMapArray = 1;
constexpr uint8_t kDirectMapHashtable = 2;

// ScalarQuantizer types the bundled libfaiss (1.7.3) decodes: QT_8bit .. QT_6bit.
constexpr int32_t kMaxDecodableSqType = 6;

class LayoutParser;
struct IndexFormat;

// Reads one index whose fourcc, found at file offset `start`, has just been consumed.
using IndexReader = Status (*)(LayoutParser& p, const IndexFormat& format, uint64_t start,
                               FaissLayout* out);

struct IndexFormat {
  std::string_view tag;        // the fourcc as text
  std::string_view type_name;  // the faiss class it stores
  IndexReader read;            // nullptr: a known type this tool does not read
};

// The fields every float index starts with.
struct IndexHeader {
  int32_t d = 0;
  int64_t ntotal = 0;
  int32_t metric_type = 1;
};

// What an IVF header says, and where its parts sit (for the lossy stream).
struct IvfHeader {
  IndexHeader header;
  uint64_t nlist = 0;
  // Legacy ("Iv..") formats keep each list's ids in the header.
  std::vector<RowRun> legacy_lists;
  uint64_t legacy_ids_start = 0;
  uint64_t legacy_ids_end = 0;
};

class LayoutParser {
 public:
  explicit LayoutParser(const RandomAccessFile& file) : cursor_(file) {}

  FaissFileCursor& cursor() { return cursor_; }
  const std::string& name() const { return cursor_.name(); }

  Status ParseIndex(FaissLayout* out);

  Status ReadIndexHeader(IndexHeader* header) {
    uint64_t at = cursor_.offset();
    ASSIGN_OR_RETURN(header->d, cursor_.ReadValue<int32_t>("index header d"));
    ASSIGN_OR_RETURN(header->ntotal, cursor_.ReadValue<int64_t>("index header ntotal"));
    RETURN_IF_ERROR(cursor_.Skip(2 * sizeof(int64_t), "index header"));
    ASSIGN_OR_RETURN(uint8_t is_trained, cursor_.ReadValue<uint8_t>("index header is_trained"));
    ASSIGN_OR_RETURN(header->metric_type, cursor_.ReadValue<int32_t>("index header metric"));
    // Metrics after L2 carry an argument (Lp's p).
    if (header->metric_type > 1) RETURN_IF_ERROR(cursor_.Skip(sizeof(float), "metric arg"));
    if (header->d <= 0 || header->ntotal < 0 || is_trained > 1) {
      return cursor_.Corrupt(at, StrCat("index header has d=", header->d, " ntotal=",
                                        header->ntotal, " is_trained=", int{is_trained}));
    }
    return absl::OkStatus();
  }

  // Binary indexes have their own header; d is in bits. Wrappers (IDMap, HNSW) written by
  // faiss <= 1.7 may leave code_size at 0.
  Status ReadBinaryHeader(IndexHeader* header, bool wrapper = false) {
    uint64_t at = cursor_.offset();
    ASSIGN_OR_RETURN(header->d, cursor_.ReadValue<int32_t>("binary index header d"));
    ASSIGN_OR_RETURN(int32_t code_size, cursor_.ReadValue<int32_t>("binary index code_size"));
    ASSIGN_OR_RETURN(header->ntotal, cursor_.ReadValue<int64_t>("binary index ntotal"));
    ASSIGN_OR_RETURN(uint8_t is_trained, cursor_.ReadValue<uint8_t>("binary index is_trained"));
    ASSIGN_OR_RETURN(header->metric_type, cursor_.ReadValue<int32_t>("binary index metric"));
    if (header->d <= 0 || header->d % 8 != 0 || header->ntotal < 0 || is_trained > 1 ||
        (code_size != header->d / 8 && !(wrapper && code_size == 0))) {
      return cursor_.Corrupt(at, StrCat("binary index header has d=", header->d, " code_size=",
                                        code_size, " ntotal=", header->ntotal,
                                        " is_trained=", int{is_trained}));
    }
    return absl::OkStatus();
  }

  // The header of a binary index (see ReadBinaryHeader for `wrapper`) or a float one.
  Status ReadHeader(bool binary, IndexHeader* header, bool wrapper = false) {
    return binary ? ReadBinaryHeader(header, wrapper) : ReadIndexHeader(header);
  }

  // The HNSW graph: five vectors and five ints, skipped after checking the sizes faiss
  // keeps in step: one more cumulative neighbour count than level probabilities, one level
  // per node, ntotal + 1 offsets, and as many neighbour slots as the last offset says.
  Status SkipHnswGraph(int64_t ntotal) {
    const uint64_t nodes = static_cast<uint64_t>(ntotal);
    uint64_t at = cursor_.offset();
    ASSIGN_OR_RETURN(uint64_t probas, cursor_.SkipVector(sizeof(double), "HNSW assign_probas"));
    ASSIGN_OR_RETURN(uint64_t cum,
                     cursor_.SkipVector(sizeof(int32_t), "HNSW cum_nneighbor_per_level"));
    if (cum != probas + 1) {
      return cursor_.Corrupt(at, StrCat("HNSW graph has ", probas, " level probabilities and ",
                                        cum, " cumulative neighbour counts (expected one more)"));
    }
    at = cursor_.offset();
    ASSIGN_OR_RETURN(uint64_t levels, cursor_.SkipVector(sizeof(int32_t), "HNSW levels"));
    if (levels != nodes) {
      return cursor_.Corrupt(at, StrCat("HNSW graph has ", levels, " nodes, the index ", ntotal));
    }
    at = cursor_.offset();
    ASSIGN_OR_RETURN(uint64_t offsets, cursor_.ReadVectorSize(sizeof(uint64_t), "HNSW offsets"));
    if (offsets != nodes + 1) {
      return cursor_.Corrupt(at, StrCat("HNSW graph has ", offsets, " offsets for ", ntotal,
                                        " nodes (expected ", nodes + 1, ")"));
    }
    RETURN_IF_ERROR(cursor_.Skip(nodes * sizeof(uint64_t), "HNSW offsets"));
    ASSIGN_OR_RETURN(uint64_t last_offset, cursor_.ReadValue<uint64_t>("HNSW offsets"));
    at = cursor_.offset();
    ASSIGN_OR_RETURN(uint64_t neighbors, cursor_.SkipVector(sizeof(int32_t), "HNSW neighbors"));
    if (neighbors != last_offset) {
      return cursor_.Corrupt(at, StrCat("HNSW graph has ", neighbors,
                                        " neighbour slots but its last offset is ", last_offset));
    }
    // entry_point, max_level, efConstruction, efSearch, upper_beam.
    return cursor_.Skip(5 * sizeof(int32_t), "HNSW parameters");
  }

  // Parses a sub-index (an IVF's coarse quantizer, an HNSW's storage) and checks it is of
  // the expected kind.
  Status ParseSubIndex(std::string_view role, const std::string& parent, bool binary,
                       FaissLayout* out) {
    Status st = ParseIndex(out);
    if (!st.ok()) return Annotate(st, StrCat("reading the ", role, " of ", parent));
    if (out->binary != binary) {
      return cursor_.Corrupt(cursor_.offset(),
                             StrCat("the ", role, " of ", parent, " is a ",
                                    out->binary ? "binary" : "float", " index (",
                                    out->index_type, ")"));
    }
    return absl::OkStatus();
  }

  Status ReadIvfHeader(std::string_view type_name, bool binary, bool legacy, IvfHeader* ivf) {
    RETURN_IF_ERROR(ReadHeader(binary, &ivf->header));
    uint64_t at = cursor_.offset();
    ASSIGN_OR_RETURN(ivf->nlist, cursor_.ReadValue<uint64_t>("IVF nlist"));
    RETURN_IF_ERROR(cursor_.Skip(sizeof(uint64_t), "IVF nprobe"));
    if (ivf->nlist == 0) return cursor_.Corrupt(at, "IVF header has nlist=0");
    FaissLayout quantizer;
    RETURN_IF_ERROR(
        ParseSubIndex("coarse quantizer", std::string(type_name), binary, &quantizer));
    if (legacy) {
      // One id vector per list, each at least its 8-byte size.
      if (ivf->nlist > cursor_.remaining() / 8) {
        return cursor_.Corrupt(at, StrCat("IVF header has nlist=", ivf->nlist, " but only ",
                                          cursor_.remaining(), " bytes follow"));
      }
      ivf->legacy_ids_start = cursor_.offset();
      ivf->legacy_lists.resize(ivf->nlist);
      for (uint64_t i = 0; i < ivf->nlist; ++i) {
        RowRun& run = ivf->legacy_lists[i];
        ASSIGN_OR_RETURN(uint64_t n, cursor_.ReadVectorSize(sizeof(int64_t), "legacy list ids"));
        run.rows = static_cast<int64_t>(n);
        run.ids_offset = static_cast<int64_t>(cursor_.offset());
        run.list_no = static_cast<int64_t>(i);
        RETURN_IF_ERROR(cursor_.Skip(n * sizeof(int64_t), "legacy list ids"));
      }
      ivf->legacy_ids_end = cursor_.offset();
    }
    // Direct map: a type byte (old files: a bool), an id array, and for the hashtable
    // type a vector of (id, position) pairs.
    // faiss keeps one entry per stored vector in either form of the map, and none without
    // one; any other count means the fields around it were misread.
    const uint64_t dm_at = cursor_.offset();
    ASSIGN_OR_RETURN(uint8_t dm_type, cursor_.ReadValue<uint8_t>("IVF direct map type"));
    if (dm_type > kDirectMapHashtable) {
      return cursor_.Corrupt(dm_at, StrCat("IVF direct map type is ", int{dm_type},
                                           ", expected 0 (none), 1 (array) or 2 (hashtable)"));
    }
    const uint64_t ntotal = static_cast<uint64_t>(ivf->header.ntotal);
    ASSIGN_OR_RETURN(uint64_t array, cursor_.SkipVector(sizeof(int64_t), "IVF direct map"));
    uint64_t table = 0;
    if (dm_type == kDirectMapHashtable) {
      ASSIGN_OR_RETURN(table, cursor_.SkipVector(2 * sizeof(int64_t), "IVF direct map table"));
    }
    const uint64_t want_array = dm_type == kDirectMapArray ? ntotal : 0;
    const uint64_t want_table = dm_type == kDirectMapHashtable ? ntotal : 0;
    if (array != want_array || table != want_table) {
      return cursor_.Corrupt(dm_at, StrCat("IVF direct map of type ", int{dm_type}, " has ", array,
                                           " array entries and ", table,
                                           " table entries for an index of ntotal=", ntotal,
                                           " (expected ", want_array, " and ", want_table, ")"));
    }
    return absl::OkStatus();
  }

  // Reads the inverted lists that follow an IVF index ("ilar"), recording each non-empty
  // list as a run.
  Status ReadInvertedLists(const IvfHeader& ivf, int64_t code_size, std::vector<RowRun>* runs);

  // The legacy layout: after the type-specific fields, one code vector per list whose
  // elements are `elem_size` bytes.
  Status ReadLegacyListCodes(IvfHeader& ivf, int64_t code_size, size_t elem_size,
                             std::vector<RowRun>* runs);

 private:
  FaissFileCursor cursor_;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------
// Inverted lists.

Status CheckTotal(FaissFileCursor& cursor, uint64_t at, const std::vector<RowRun>& runs,
                  int64_t ntotal) {
  int64_t total = 0;
  for (const RowRun& r : runs) total += r.rows;
  if (total != ntotal) {
    return cursor.Corrupt(at, StrCat("inverted lists hold ", total, " rows, the index header says ",
                                     ntotal));
  }
  return absl::OkStatus();
}

Status LayoutParser::ReadInvertedLists(const IvfHeader& ivf, int64_t code_size,
                                       std::vector<RowRun>* runs) {
  uint64_t at = cursor_.offset();
  ASSIGN_OR_RETURN(uint32_t tag, cursor_.ReadValue<uint32_t>("inverted lists fourcc"));
  if (tag != Fourcc("ilar")) {
    std::string what;
    if (tag == Fourcc("il00")) {
      what = "has no inverted lists in the file (written without them)";
    } else if (tag == Fourcc("ilod")) {
      what = "keeps its inverted lists in a separate on-disk file (OnDiskInvertedLists)";
    } else if (tag == Fourcc("ilbl")) {
      what = "uses block inverted lists (fast-scan layout)";
    } else if (tag == Fourcc("ilpn") || tag == Fourcc("ilp2")) {
      what = "uses panorama inverted lists";
    } else {
      what = StrCat("uses inverted lists of unknown type ", DescribeFourcc(tag));
    }
    return absl::UnimplementedError(
        StrCat("faiss file '", name(), "': the IVF index ", what, " at offset ", at,
               "; only in-file array inverted lists ('ilar') are read"));
  }
  uint64_t fields_at = cursor_.offset();
  ASSIGN_OR_RETURN(uint64_t nlist, cursor_.ReadValue<uint64_t>("inverted lists nlist"));
  ASSIGN_OR_RETURN(uint64_t list_code_size,
                   cursor_.ReadValue<uint64_t>("inverted lists code_size"));
  if (nlist != ivf.nlist || list_code_size != static_cast<uint64_t>(code_size)) {
    return cursor_.Corrupt(fields_at, StrCat("inverted lists have nlist=", nlist, " code_size=",
                                             list_code_size, ", the index expects nlist=",
                                             ivf.nlist, " code_size=", code_size));
  }
  // (list number, size) of the non-empty lists, in list order. Never a dense array of
  // nlist entries: with the sparse encoding nlist is not bounded by the file size.
  uint64_t sizes_at = cursor_.offset();
  ASSIGN_OR_RETURN(uint32_t list_type, cursor_.ReadValue<uint32_t>("inverted lists size type"));
  std::vector<std::pair<uint64_t, uint64_t>> lists;
  if (list_type == Fourcc("full")) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> sizes,
                     cursor_.ReadVector<uint64_t>("inverted list sizes"));
    if (sizes.size() != nlist) {
      return cursor_.Corrupt(sizes_at, StrCat("inverted lists store ", sizes.size(),
                                              " sizes for ", nlist, " lists"));
    }
    for (uint64_t i = 0; i < nlist; ++i) {
      if (sizes[i] > 0) lists.emplace_back(i, sizes[i]);
    }
  } else if (list_type == Fourcc("sprs")) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> pairs,
                     cursor_.ReadVector<uint64_t>("sparse inverted list sizes"));
    if (pairs.size() % 2 != 0) {
      return cursor_.Corrupt(sizes_at, "sparse inverted list sizes are not (list, size) pairs");
    }
    for (size_t j = 0; j < pairs.size(); j += 2) {
      if (pairs[j] >= nlist) {
        return cursor_.Corrupt(sizes_at, StrCat("sparse inverted list sizes name list ",
                                                pairs[j], " of ", nlist));
      }
      lists.emplace_back(pairs[j], pairs[j + 1]);
    }
    // faiss writes the pairs in list order; a repeated list keeps its last size.
    std::stable_sort(lists.begin(), lists.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<uint64_t, uint64_t>> unique;
    for (const auto& l : lists) {
      if (!unique.empty() && unique.back().first == l.first) {
        unique.back() = l;
      } else {
        unique.push_back(l);
      }
    }
    std::erase_if(unique, [](const auto& l) { return l.second == 0; });
    lists = std::move(unique);
  } else {
    return cursor_.Corrupt(sizes_at, StrCat("unknown inverted list size encoding ",
                                            DescribeFourcc(list_type)));
  }
  // Lists follow back to back: codes, then ids, for each non-empty list.
  const uint64_t row_bytes = static_cast<uint64_t>(code_size) + sizeof(int64_t);
  for (const auto& [list_no, n] : lists) {
    if (n > cursor_.remaining() / row_bytes) {
      return absl::DataLossError(StrCat("faiss file '", name(), "': inverted list ", list_no,
                                        " of ", n, " rows at offset ", cursor_.offset(),
                                        " needs ", n * row_bytes,
                                        " bytes but the file ends at byte ", cursor_.file_size(),
                                        " (truncated or corrupt)"));
    }
    RowRun run;
    run.rows = static_cast<int64_t>(n);
    run.codes_offset = cursor_.offset();
    run.ids_offset =
        static_cast<int64_t>(run.codes_offset + n * static_cast<uint64_t>(code_size));
    run.list_no = static_cast<int64_t>(list_no);
    runs->push_back(run);
    RETURN_IF_ERROR(cursor_.Skip(n * row_bytes, "inverted list"));
  }
  return CheckTotal(cursor_, at, *runs, ivf.header.ntotal);
}

Status LayoutParser::ReadLegacyListCodes(IvfHeader& ivf, int64_t code_size, size_t elem_size,
                                         std::vector<RowRun>* runs) {
  uint64_t at = cursor_.offset();
  for (RowRun& list : ivf.legacy_lists) {
    uint64_t vec_at = cursor_.offset();
    ASSIGN_OR_RETURN(uint64_t n, cursor_.ReadVectorSize(elem_size, "legacy list codes"));
    if (n * elem_size != static_cast<uint64_t>(list.rows) * static_cast<uint64_t>(code_size)) {
      return cursor_.Corrupt(vec_at, StrCat("legacy inverted list ", list.list_no, " stores ",
                                            n * elem_size, " code bytes for ", list.rows,
                                            " ids of ", code_size, " bytes"));
    }
    list.codes_offset = cursor_.offset();
    RETURN_IF_ERROR(cursor_.Skip(n * elem_size, "legacy list codes"));
    if (list.rows > 0) runs->push_back(list);
  }
  return CheckTotal(cursor_, at, *runs, ivf.header.ntotal);
}

// ---------------------------------------------------------------------------------------
// Per-fourcc readers.

void SetHeader(const IndexFormat& format, const IndexHeader& header, bool binary,
               FaissLayout* out) {
  out->index_type = std::string(format.type_name);
  out->binary = binary;
  out->dim = header.d;
  out->ntotal = header.ntotal;
  out->metric_type = header.metric_type;
}

// IndexFlat ("IxF2" L2, "IxFI" inner product, "IxFl" older generic): header, then the
// vectors as a float vector (count in floats).
Status ReadFlat(LayoutParser& p, const IndexFormat& format, uint64_t, FaissLayout* out) {
  IndexHeader header;
  RETURN_IF_ERROR(p.ReadIndexHeader(&header));
  SetHeader(format, header, false, out);
  uint64_t at = p.cursor().offset();
  ASSIGN_OR_RETURN(uint64_t floats, p.cursor().ReadVectorSize(sizeof(float), "flat vectors"));
  if (floats % static_cast<uint64_t>(header.d) != 0 ||
      floats / static_cast<uint64_t>(header.d) != static_cast<uint64_t>(header.ntotal)) {
    return p.cursor().Corrupt(at, StrCat(format.type_name, " stores ", floats, " floats for ",
                                         header.ntotal, " vectors of dim ", header.d));
  }
  out->encoding = VectorEncoding::kFloat32;
  out->code_size = int64_t{header.d} * 4;
  if (header.ntotal > 0) {
    out->runs.push_back(RowRun{.rows = header.ntotal, .codes_offset = p.cursor().offset()});
  }
  return p.cursor().Skip(floats * sizeof(float), "flat vectors");
}

// IndexBinaryFlat ("IBxF"): binary header, then the codes as a byte vector.
Status ReadBinaryFlat(LayoutParser& p, const IndexFormat& format, uint64_t, FaissLayout* out) {
  IndexHeader header;
  RETURN_IF_ERROR(p.ReadBinaryHeader(&header));
  SetHeader(format, header, true, out);
  const uint64_t code_size = static_cast<uint64_t>(header.d / 8);
  uint64_t at = p.cursor().offset();
  ASSIGN_OR_RETURN(uint64_t bytes, p.cursor().ReadVectorSize(1, "binary flat codes"));
  if (bytes % code_size != 0 || bytes / code_size != static_cast<uint64_t>(header.ntotal)) {
    return p.cursor().Corrupt(at, StrCat(format.type_name, " stores ", bytes, " bytes for ",
                                         header.ntotal, " codes of ", code_size, " bytes"));
  }
  out->encoding = VectorEncoding::kBinary;
  out->code_size = static_cast<int64_t>(code_size);
  if (header.ntotal > 0) {
    out->runs.push_back(RowRun{.rows = header.ntotal, .codes_offset = p.cursor().offset()});
  }
  return p.cursor().Skip(bytes, "binary flat codes");
}

bool IsBinaryTag(std::string_view tag) { return tag.size() == 4 && tag[1] == 'B'; }

// IndexIDMap / IndexIDMap2 and their binary twins: header, the wrapped index, then the id
// of each of the wrapped index's rows.
Status ReadIdMap(LayoutParser& p, const IndexFormat& format, uint64_t, FaissLayout* out) {
  const bool binary = IsBinaryTag(format.tag);
  IndexHeader header;
  RETURN_IF_ERROR(p.ReadHeader(binary, &header, /*wrapper=*/true));
  RETURN_IF_ERROR(p.ParseSubIndex("wrapped index", std::string(format.type_name), binary, out));
  if (out->quantizer_only) {
    return absl::UnimplementedError(StrCat("faiss file '", p.name(), "': ", format.type_name,
                                           " wraps ", out->index_type, ", which holds no vectors"));
  }
  uint64_t at = p.cursor().offset();
  ASSIGN_OR_RETURN(uint64_t count, p.cursor().ReadVectorSize(sizeof(int64_t), "id map"));
  if (count != static_cast<uint64_t>(header.ntotal) || header.ntotal != out->ntotal ||
      header.d != out->dim) {
    return p.cursor().Corrupt(at, StrCat(format.type_name, " has ", count, " ids and ntotal=",
                                         header.ntotal, " d=", header.d, " around ",
                                         out->index_type, " with ntotal=", out->ntotal,
                                         " d=", out->dim));
  }
  out->id_maps.push_back(IdMapRef{.offset = p.cursor().offset(),
                                  .count = static_cast<int64_t>(count)});
  out->index_type = StrCat(format.type_name, "(", out->index_type, ")");
  out->metric_type = header.metric_type;
  return p.cursor().Skip(count * sizeof(int64_t), "id map");
}

// Graph indexes over a flat storage: HNSW ("IHNf"; "IHfP" panorama with extra per-vector
// sums; "IHNc"/"IHc2" CAGRA-built), binary HNSW ("IBHf", "IBHc"). The graph is skipped;
// the vectors come from the storage index that follows it.
Status ReadHnsw(LayoutParser& p, const IndexFormat& format, uint64_t, FaissLayout* out) {
  const bool binary = IsBinaryTag(format.tag);
  IndexHeader header;
  RETURN_IF_ERROR(p.ReadHeader(binary, &header, /*wrapper=*/true));
  FaissFileCursor& c = p.cursor();
  if (format.tag == "IHNc" || format.tag == "IHc2" || format.tag == "IBHc") {
    // keep_max_size_level0, base_level_only, num_base_level_search_entrypoints.
    RETURN_IF_ERROR(c.Skip(1 + 1 + sizeof(int32_t), "CAGRA parameters"));
    if (format.tag == "IHc2") RETURN_IF_ERROR(c.Skip(sizeof(int32_t), "CAGRA numeric type"));
  }
  if (format.tag == "IHfP") {
    RETURN_IF_ERROR(c.Skip(sizeof(uint64_t), "panorama levels"));
    RETURN_IF_ERROR(c.SkipVector(sizeof(float), "panorama cumulative sums").status());
  }
  RETURN_IF_ERROR(p.SkipHnswGraph(header.ntotal));
  uint64_t storage_at = c.offset();
  RETURN_IF_ERROR(p.ParseSubIndex("storage", std::string(format.type_name), binary, out));
  const VectorEncoding raw = binary ? VectorEncoding::kBinary : VectorEncoding::kFloat32;
  if (out->encoding != raw || !out->id_maps.empty() || out->quantizer_only) {
    return absl::UnimplementedError(StrCat("faiss file '", p.name(), "': ", format.type_name,
                                           " at offset ", storage_at, " stores its vectors in ",
                                           out->index_type, "; only flat storage is read"));
  }
  if (out->ntotal != header.ntotal || out->dim != header.d) {
    return c.Corrupt(storage_at, StrCat(format.type_name, " has ntotal=", header.ntotal, " d=",
                                        header.d, " but its storage ntotal=", out->ntotal,
                                        " d=", out->dim));
  }
  out->index_type = std::string(format.type_name);
  out->metric_type = header.metric_type;
  return absl::OkStatus();
}

// The libfaiss stream for a lossy IVF index: the file from the index's fourcc to its
// inverted lists, an empty list set in their place, then whatever follows them.
void SetLossyStream(const IvfHeader& ivf, int64_t code_size, uint64_t start,
                    uint64_t lists_start, uint64_t lists_end, uint64_t end, FaissLayout* out) {
  auto put64 = [](std::string& s, uint64_t v) {
    s.append(reinterpret_cast<const char*>(&v), sizeof(v));
  };
  std::string empty_lists = "ilar";
  put64(empty_lists, ivf.nlist);
  put64(empty_lists, static_cast<uint64_t>(code_size));
  empty_lists += "sprs";
  put64(empty_lists, 0);
  out->lossy_stream = {StreamPiece{.offset = start, .size = lists_start - start},
                       StreamPiece{.literal = std::move(empty_lists)}};
  if (end > lists_end) out->lossy_stream.push_back({.offset = lists_end, .size = end - lists_end});
}

// Legacy layout: the per-list id vectors in the header and the per-list code vectors after
// the type fields are both replaced by empty vectors.
void SetLegacyLossyStream(const IvfHeader& ivf, uint64_t start, uint64_t codes_start,
                          uint64_t codes_end, uint64_t end, FaissLayout* out) {
  std::string empty_vectors(ivf.nlist * sizeof(uint64_t), '\0');
  out->lossy_stream = {
      StreamPiece{.offset = start, .size = ivf.legacy_ids_start - start},
      StreamPiece{.literal = empty_vectors},
      StreamPiece{.offset = ivf.legacy_ids_end, .size = codes_start - ivf.legacy_ids_end},
      StreamPiece{.literal = empty_vectors}};
  if (end > codes_end) out->lossy_stream.push_back({.offset = codes_end, .size = end - codes_end});
}

void SetIvf(const IndexFormat& format, const IvfHeader& ivf, bool binary, FaissLayout* out) {
  SetHeader(format, ivf.header, binary, out);
  out->nlist = static_cast<int64_t>(ivf.nlist);
}

// The inverted lists of a lossy IVF index, whose fourcc sits at `start` and whose
// type-specific fields have just been read: the lists become runs and the rest of the index
// the stream libfaiss decodes the codes with.
Status ReadLossyLists(LayoutParser& p, const IndexFormat& format, IvfHeader& ivf, bool legacy,
                      uint64_t code_size, uint64_t start, FaissLayout* out) {
  FaissFileCursor& c = p.cursor();
  out->encoding = VectorEncoding::kLossy;
  out->code_size = static_cast<int64_t>(code_size);
  out->lossy_type = std::string(format.type_name);
  if (legacy) {
    uint64_t codes_start = c.offset();
    RETURN_IF_ERROR(p.ReadLegacyListCodes(ivf, out->code_size, 1, &out->runs));
    SetLegacyLossyStream(ivf, start, codes_start, c.offset(), c.offset(), out);
    return absl::OkStatus();
  }
  uint64_t lists_start = c.offset();
  RETURN_IF_ERROR(p.ReadInvertedLists(ivf, out->code_size, &out->runs));
  SetLossyStream(ivf, out->code_size, start, lists_start, c.offset(), c.offset(), out);
  return absl::OkStatus();
}

// IndexIVFFlat ("IwFl"; legacy "IvFl" with float code vectors, "IvFL" with byte code
// vectors) and IndexBinaryIVF ("IBwF"): the codes are the vectors.
Status ReadIvfRaw(LayoutParser& p, const IndexFormat& format, uint64_t, FaissLayout* out) {
  const bool binary = IsBinaryTag(format.tag);
  const bool legacy = format.tag == "IvFl" || format.tag == "IvFL";
  IvfHeader ivf;
  RETURN_IF_ERROR(p.ReadIvfHeader(format.type_name, binary, legacy, &ivf));
  SetIvf(format, ivf, binary, out);
  out->encoding = binary ? VectorEncoding::kBinary : VectorEncoding::kFloat32;
  out->code_size = binary ? ivf.header.d / 8 : int64_t{ivf.header.d} * 4;
  if (legacy) {
    return p.ReadLegacyListCodes(ivf, out->code_size, format.tag == "IvFl" ? sizeof(float) : 1,
                                 &out->runs);
  }
  return p.ReadInvertedLists(ivf, out->code_size, &out->runs);
}

// Bytes a ScalarQuantizer code of type `qtype` takes for `d` components; 0 if unknown.
uint64_t SqCodeSize(int32_t qtype, uint64_t d) {
  switch (qtype) {
    case 0: return d;              // QT_8bit
    case 1: return (d + 1) / 2;    // QT_4bit
    case 2: return d;              // QT_8bit_uniform
    case 3: return (d + 1) / 2;    // QT_4bit_uniform
    case 4: return 2 * d;          // QT_fp16
    case 5: return d;              // QT_8bit_direct
    case 6: return (d * 6 + 7) / 8;  // QT_6bit
    default: return 0;
  }
}

// IndexIVFScalarQuantizer ("IwSq"; "IwSQ" before by_residual was stored; legacy "IvSQ"):
// IVF header, the ScalarQuantizer, code_size, [by_residual], inverted lists.
Status ReadIvfSq(LayoutParser& p, const IndexFormat& format, uint64_t start, FaissLayout* out) {
  const bool legacy = format.tag == "IvSQ";
  IvfHeader ivf;
  RETURN_IF_ERROR(p.ReadIvfHeader(format.type_name, false, legacy, &ivf));
  SetIvf(format, ivf, false, out);
  FaissFileCursor& c = p.cursor();
  uint64_t sq_at = c.offset();
  ASSIGN_OR_RETURN(int32_t qtype, c.ReadValue<int32_t>("ScalarQuantizer type"));
  RETURN_IF_ERROR(c.Skip(sizeof(int32_t) + sizeof(float), "ScalarQuantizer range"));
  ASSIGN_OR_RETURN(uint64_t sq_d, c.ReadValue<uint64_t>("ScalarQuantizer d"));
  ASSIGN_OR_RETURN(uint64_t sq_code_size, c.ReadValue<uint64_t>("ScalarQuantizer code_size"));
  RETURN_IF_ERROR(c.SkipVector(sizeof(float), "ScalarQuantizer trained").status());
  ASSIGN_OR_RETURN(uint64_t code_size, c.ReadValue<uint64_t>("IVF code_size"));
  if (format.tag == "IwSq") RETURN_IF_ERROR(c.Skip(1, "by_residual"));
  if (qtype < 0 || qtype > kMaxDecodableSqType) {
    return absl::UnimplementedError(StrCat(
        "faiss file '", p.name(), "': ", format.type_name, " uses ScalarQuantizer type ", qtype,
        " (offset ", sq_at, "), newer than the faiss 1.7.3 library used to decode it; types ",
        "8bit, 4bit, 8bit_uniform, 4bit_uniform, fp16, 8bit_direct and 6bit are supported"));
  }
  if (sq_d != static_cast<uint64_t>(ivf.header.d) || sq_code_size != code_size ||
      code_size != SqCodeSize(qtype, sq_d)) {
    return c.Corrupt(sq_at, StrCat("ScalarQuantizer has d=", sq_d, " code_size=", sq_code_size,
                                   " type=", qtype, " for an index of d=", ivf.header.d,
                                   " code_size=", code_size));
  }
  return ReadLossyLists(p, format, ivf, legacy, code_size, start, out);
}

// IndexIVFPQ ("IwPQ"; legacy "IvPQ"): IVF header, by_residual, code_size, the
// ProductQuantizer (d, M, nbits, centroids), inverted lists.
Status ReadIvfPq(LayoutParser& p, const IndexFormat& format, uint64_t start, FaissLayout* out) {
  const bool legacy = format.tag == "IvPQ";
  IvfHeader ivf;
  RETURN_IF_ERROR(p.ReadIvfHeader(format.type_name, false, legacy, &ivf));
  SetIvf(format, ivf, false, out);
  FaissFileCursor& c = p.cursor();
  uint64_t pq_at = c.offset();
  RETURN_IF_ERROR(c.Skip(1, "by_residual"));
  ASSIGN_OR_RETURN(uint64_t code_size, c.ReadValue<uint64_t>("IVF code_size"));
  ASSIGN_OR_RETURN(uint64_t pq_d, c.ReadValue<uint64_t>("ProductQuantizer d"));
  ASSIGN_OR_RETURN(uint64_t m, c.ReadValue<uint64_t>("ProductQuantizer M"));
  ASSIGN_OR_RETURN(uint64_t nbits, c.ReadValue<uint64_t>("ProductQuantizer nbits"));
  uint64_t centroids_at = c.offset();
  ASSIGN_OR_RETURN(uint64_t centroids, c.SkipVector(sizeof(float), "ProductQuantizer centroids"));
  if (pq_d != static_cast<uint64_t>(ivf.header.d) || m == 0 || pq_d % m != 0 || nbits == 0 ||
      nbits > 24 || code_size != (m * nbits + 7) / 8) {
    return c.Corrupt(pq_at, StrCat("ProductQuantizer has d=", pq_d, " M=", m, " nbits=", nbits,
                                   " code_size=", code_size, " for an index of d=",
                                   ivf.header.d));
  }
  if (centroids != pq_d * (uint64_t{1} << nbits)) {
    return c.Corrupt(centroids_at, StrCat("ProductQuantizer stores ", centroids,
                                          " centroid floats, expected d * 2^nbits = ",
                                          pq_d * (uint64_t{1} << nbits)));
  }
  return ReadLossyLists(p, format, ivf, legacy, code_size, start, out);
}

// MultiIndexQuantizer ("Imiq"): only ever an IVF's coarse quantizer; header and a
// ProductQuantizer, no stored vectors.
Status ReadMultiIndexQuantizer(LayoutParser& p, const IndexFormat& format, uint64_t,
                               FaissLayout* out) {
  IndexHeader header;
  RETURN_IF_ERROR(p.ReadIndexHeader(&header));
  SetHeader(format, header, false, out);
  RETURN_IF_ERROR(p.cursor().Skip(3 * sizeof(uint64_t), "ProductQuantizer d, M, nbits"));
  RETURN_IF_ERROR(p.cursor().SkipVector(sizeof(float), "ProductQuantizer centroids").status());
  out->quantizer_only = true;
  return absl::OkStatus();
}

// Every fourcc faiss has written for an index, as of faiss 1.15 (impl/index_read.cpp).
constexpr std::array kFormats = {
    // Read.
    IndexFormat{"IxF2", "IndexFlatL2", ReadFlat},
    IndexFormat{"IxFI", "IndexFlatIP", ReadFlat},
    IndexFormat{"IxFl", "IndexFlat", ReadFlat},
    IndexFormat{"IxMp", "IndexIDMap", ReadIdMap},
    IndexFormat{"IxM2", "IndexIDMap2", ReadIdMap},
    IndexFormat{"IwFl", "IndexIVFFlat", ReadIvfRaw},
    IndexFormat{"IvFl", "IndexIVFFlat", ReadIvfRaw},
    IndexFormat{"IvFL", "IndexIVFFlat", ReadIvfRaw},
    IndexFormat{"IHNf", "IndexHNSWFlat", ReadHnsw},
    IndexFormat{"IHfP", "IndexHNSWFlatPanorama", ReadHnsw},
    IndexFormat{"IHNc", "IndexHNSWCagra", ReadHnsw},
    IndexFormat{"IHc2", "IndexHNSWCagra", ReadHnsw},
    IndexFormat{"IwSq", "IndexIVFScalarQuantizer", ReadIvfSq},
    IndexFormat{"IwSQ", "IndexIVFScalarQuantizer", ReadIvfSq},
    IndexFormat{"IvSQ", "IndexIVFScalarQuantizer", ReadIvfSq},
    IndexFormat{"IwPQ", "IndexIVFPQ", ReadIvfPq},
    IndexFormat{"IvPQ", "IndexIVFPQ", ReadIvfPq},
    IndexFormat{"IBxF", "IndexBinaryFlat", ReadBinaryFlat},
    IndexFormat{"IBwF", "IndexBinaryIVF", ReadIvfRaw},
    IndexFormat{"IBMp", "IndexBinaryIDMap", ReadIdMap},
    IndexFormat{"IBM2", "IndexBinaryIDMap2", ReadIdMap},
    IndexFormat{"IBHf", "IndexBinaryHNSW", ReadHnsw},
    IndexFormat{"IBHc", "IndexBinaryHNSWCagra", ReadHnsw},
    IndexFormat{"Imiq", "MultiIndexQuantizer", ReadMultiIndexQuantizer},
    // Known, not read.
    IndexFormat{"null", "null index (nothing stored)", nullptr},
    IndexFormat{"IxFP", "IndexFlatL2Panorama", nullptr},
    IndexFormat{"IxFp", "IndexFlatIPPanorama", nullptr},
    IndexFormat{"IxHE", "IndexLSH", nullptr},
    IndexFormat{"IxHe", "IndexLSH", nullptr},
    IndexFormat{"IxPQ", "IndexPQ", nullptr},
    IndexFormat{"IxPo", "IndexPQ", nullptr},
    IndexFormat{"IxPq", "IndexPQ", nullptr},
    IndexFormat{"IxRQ", "IndexResidualQuantizer", nullptr},
    IndexFormat{"IxRq", "IndexResidualQuantizer", nullptr},
    IndexFormat{"IxLS", "IndexLocalSearchQuantizer", nullptr},
    IndexFormat{"IxPR", "IndexProductResidualQuantizer", nullptr},
    IndexFormat{"IxPL", "IndexProductLocalSearchQuantizer", nullptr},
    IndexFormat{"ImRQ", "ResidualCoarseQuantizer", nullptr},
    IndexFormat{"ILfs", "IndexLocalSearchQuantizerFastScan", nullptr},
    IndexFormat{"IRfs", "IndexResidualQuantizerFastScan", nullptr},
    IndexFormat{"IPRf", "IndexProductResidualQuantizerFastScan", nullptr},
    IndexFormat{"IPLf", "IndexProductLocalSearchQuantizerFastScan", nullptr},
    IndexFormat{"IVLf", "IndexIVFLocalSearchQuantizerFastScan", nullptr},
    IndexFormat{"IVRf", "IndexIVFResidualQuantizerFastScan", nullptr},
    IndexFormat{"NPLf", "IndexIVFProductLocalSearchQuantizerFastScan", nullptr},
    IndexFormat{"NPRf", "IndexIVFProductResidualQuantizerFastScan", nullptr},
    IndexFormat{"IwFd", "IndexIVFFlatDedup", nullptr},
    IndexFormat{"IwPn", "IndexIVFFlatPanorama", nullptr},
    IndexFormat{"IwP2", "IndexIVFFlatPanorama", nullptr},
    IndexFormat{"IxSQ", "IndexScalarQuantizer", nullptr},
    IndexFormat{"IxLa", "IndexLattice", nullptr},
    IndexFormat{"IwLS", "IndexIVFLocalSearchQuantizer", nullptr},
    IndexFormat{"IwRQ", "IndexIVFResidualQuantizer", nullptr},
    IndexFormat{"IwPL", "IndexIVFProductLocalSearchQuantizer", nullptr},
    IndexFormat{"IwPR", "IndexIVFProductResidualQuantizer", nullptr},
    IndexFormat{"IwSh", "IndexIVFSpectralHash", nullptr},
    IndexFormat{"IvQR", "IndexIVFPQR", nullptr},
    IndexFormat{"IwQR", "IndexIVFPQR", nullptr},
    IndexFormat{"IwIQ", "IndexIVFIndependentQuantizer", nullptr},
    IndexFormat{"IxPT", "IndexPreTransform", nullptr},
    IndexFormat{"IxRF", "IndexRefine", nullptr},
    IndexFormat{"IxRP", "IndexRefinePanorama", nullptr},
    IndexFormat{"Ix2L", "Index2Layer", nullptr},
    IndexFormat{"IHNp", "IndexHNSWPQ", nullptr},
    IndexFormat{"IHNs", "IndexHNSWSQ", nullptr},
    IndexFormat{"IHN2", "IndexHNSW2Level", nullptr},
    IndexFormat{"INSf", "IndexNSGFlat", nullptr},
    IndexFormat{"INSp", "IndexNSGPQ", nullptr},
    IndexFormat{"INSs", "IndexNSGSQ", nullptr},
    IndexFormat{"INNf", "IndexNNDescentFlat", nullptr},
    IndexFormat{"IPfs", "IndexPQFastScan", nullptr},
    IndexFormat{"IwPf", "IndexIVFPQFastScan", nullptr},
    IndexFormat{"IRMf", "IndexRowwiseMinMax", nullptr},
    IndexFormat{"IRMh", "IndexRowwiseMinMaxFP16", nullptr},
    IndexFormat{"Irfn", "IndexRaBitQFastScan", nullptr},
    IndexFormat{"Irfs", "IndexRaBitQFastScan", nullptr},
    IndexFormat{"Ixrq", "IndexRaBitQ", nullptr},
    IndexFormat{"Ixrr", "IndexRaBitQ", nullptr},
    IndexFormat{"Iwrq", "IndexIVFRaBitQ", nullptr},
    IndexFormat{"Iwrr", "IndexIVFRaBitQ", nullptr},
    IndexFormat{"Iwrn", "IndexIVFRaBitQFastScan", nullptr},
    IndexFormat{"Iwrf", "IndexIVFRaBitQFastScan", nullptr},
    IndexFormat{"ILVQ", "IndexSVSVamanaLVQ", nullptr},
    IndexFormat{"ISVL", "IndexSVSVamanaLeanVec", nullptr},
    IndexFormat{"ISVD", "IndexSVSVamana", nullptr},
    IndexFormat{"ISVF", "IndexSVSFlat", nullptr},
    IndexFormat{"IBFf", "IndexBinaryFromFloat", nullptr},
    IndexFormat{"IBHh", "IndexBinaryHash", nullptr},
    IndexFormat{"IBHm", "IndexBinaryMultiHash", nullptr},
};

const IndexFormat* FindFormat(uint32_t fourcc) {
  for (const IndexFormat& f : kFormats) {
    if (Fourcc(f.tag) == fourcc) return &f;
  }
  return nullptr;
}

Status LayoutParser::ParseIndex(FaissLayout* out) {
  const uint64_t start = cursor_.offset();
  if (depth_ >= kMaxNesting) {
    return cursor_.Corrupt(start, StrCat("indexes nest deeper than ", kMaxNesting, " levels"));
  }
  ASSIGN_OR_RETURN(uint32_t fourcc, cursor_.ReadValue<uint32_t>("index type fourcc"));
  const IndexFormat* format = FindFormat(fourcc);
  if (format == nullptr) {
    return absl::UnimplementedError(
        StrCat("faiss file '", name(), "': unknown index type fourcc ", DescribeFourcc(fourcc),
               " at offset ", start,
               "; the file is not a FAISS index, or was written by a faiss this tool does not "
               "know"));
  }
  if (format->read == nullptr) {
    return absl::UnimplementedError(StrCat("faiss file '", name(), "': ", format->type_name,
                                           " (fourcc '", format->tag, "') at offset ", start,
                                           " is not supported; supported index types: ",
                                           SupportedFaissIndexTypes()));
  }
  ++depth_;
  Status st = format->read(*this, *format, start, out);
  --depth_;
  return st;
}

}  // namespace

const char* SupportedFaissIndexTypes() {
  return "IndexFlat (L2, IP), IndexIDMap, IndexIDMap2, IndexIVFFlat, IndexHNSWFlat, "
         "IndexIVFScalarQuantizer, IndexIVFPQ, IndexBinaryFlat, IndexBinaryIVF, "
         "IndexBinaryIDMap, IndexBinaryIDMap2, IndexBinaryHNSW";
}

Result<FaissLayout> ReadFaissLayout(const RandomAccessFile& file, bool allow_trailing_bytes) {
  if (file.Size() == 0) {
    return absl::DataLossError(StrCat("faiss file '", file.name(), "' is empty (0 bytes)"));
  }
  LayoutParser parser(file);
  FaissLayout layout;
  RETURN_IF_ERROR(parser.ParseIndex(&layout));
  if (layout.quantizer_only) {
    return absl::UnimplementedError(StrCat("faiss file '", file.name(), "' holds a ",
                                           layout.index_type,
                                           ", a coarse quantizer without stored vectors"));
  }
  // Nothing in a FAISS file says how long the index is, so bytes past its end are the one
  // sign that a byte was inserted or a field misread: every later field would then be
  // shifted, and rows read from the shifted offsets would be wrong without any error.
  if (const uint64_t extra = parser.cursor().remaining(); extra > 0) {
    if (!allow_trailing_bytes) {
      return absl::DataLossError(StrCat(
          "faiss file '", file.name(), "': the index ends at offset ", parser.cursor().offset(),
          " but the file has ", extra, " more byte(s) (", file.Size(),
          " bytes in all); the file is damaged (an inserted or shifted byte makes every later "
          "field wrong) or holds something after the index. Set "
          "source.faiss.allowTrailingBytes: true to ignore the extra bytes"));
    }
    spdlog::warn("faiss file '{}': {} bytes after the index (from offset {}) are ignored, as "
                 "source.faiss.allowTrailingBytes asks",
                 file.name(), extra, parser.cursor().offset());
  }
  return layout;
}

}  // namespace mm::faiss_format
