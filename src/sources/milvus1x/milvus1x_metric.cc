#include "sources/milvus1x/milvus1x_metric.h"

namespace mm {

Result<Milvus1xMetric> MapMilvus1xMetric(int32_t code, const std::string& table) {
  switch (code) {
    case 1: return Milvus1xMetric{"L2", "L2", false};
    case 2: return Milvus1xMetric{"IP", "IP", false};
    case 3: return Milvus1xMetric{"HAMMING", "HAMMING", true};
    case 4: return Milvus1xMetric{"JACCARD", "JACCARD", true};
    case 5: return Milvus1xMetric{"TANIMOTO", "JACCARD", true};
    case 6: return Milvus1xMetric{"SUBSTRUCTURE", "JACCARD", true};
    case 7: return Milvus1xMetric{"SUPERSTRUCTURE", "JACCARD", true};
    default:
      return absl::InvalidArgumentError(StrCat(
          "collection '", table, "': unknown Milvus 1.x metric_type ", code,
          " (expected 1 L2, 2 IP, 3 HAMMING, 4 JACCARD, 5 TANIMOTO, 6 SUBSTRUCTURE or "
          "7 SUPERSTRUCTURE)"));
  }
}

}  // namespace mm
