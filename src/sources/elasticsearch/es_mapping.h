// What an index's mapping says about the configured fields: each must exist with a type the
// configured one can read, a dense_vector must have the configured dims, and fields that
// `_source` leaves out must be read from doc values instead.
#pragma once

#include <set>
#include <string>

#include "core/status.h"
#include "sources/elasticsearch/elasticsearch_config.h"

namespace mm {

struct EsMappingCheck {
  std::set<std::string> from_doc_values;  // configured fields excluded from _source
  // Configured keyword or integer fields with doc values in every index: a search can sort
  // by them and a range query resume after a value.
  std::set<std::string> sortable;
  // Configured dense_vector fields whose element_type is `bit` (ES 8.15+): each dimension
  // is one bit, dims/8 bytes a vector, so they become BinaryVector(dims).
  std::set<std::string> bit_vectors;
};

// `mapping_json` is the body of GET /<index>/_mapping (one or more concrete indexes, when
// the name is an alias or a pattern: each must agree). NotFound for a field absent from the
// mapping, InvalidArgument for a type or dims that disagree and for a dense_vector whose
// element_type is not float, byte or bit (or that disagrees between indexes); messages name
// the field, the index and both types.
Result<EsMappingCheck> CheckEsMapping(const ElasticsearchConfig& config,
                                      const std::string& mapping_json);

}  // namespace mm
