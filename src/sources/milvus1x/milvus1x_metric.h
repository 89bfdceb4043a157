// Milvus 1.x metric codes and what they become in Milvus 2.x (README, "Milvus 1.x").
// 1 L2 and 2 IP are float metrics and stay as they are; 3 HAMMING and 4 JACCARD are binary and
// stay; 5 TANIMOTO, which on bit vectors ranks exactly as JACCARD (Tanimoto similarity of two
// bit sets is their Jaccard index) and is gone from 2.x, becomes JACCARD; 6 SUBSTRUCTURE and
// 7 SUPERSTRUCTURE are containment filters rather than distances, which 2.x indexes no longer
// offer; they become JACCARD, the 2.x distance built on the same set overlap.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace mm {

struct Milvus1xMetric {
  std::string milvus1x_name;  // "TANIMOTO"
  std::string milvus2x_name;  // "JACCARD"
  bool binary = false;        // binary vectors, dimension in bits
};

// InvalidArgument naming `table` for a code outside 1..7.
Result<Milvus1xMetric> MapMilvus1xMetric(int32_t code, const std::string& table);

}  // namespace mm
