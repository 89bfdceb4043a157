// Turns the hits of an Elasticsearch search response into batch rows: each configured field
// from `_source` (dotted paths walk objects, or match a literal dotted key), from `fields`
// when `_source` lacks it (vectors excluded from _source, dates as epoch_millis docvalues),
// or from `_id`; the dynamic field ($meta) gets the rest of `_source`. Values are checked
// against the Milvus type; a document that does not fit is an error naming its _id and
// field, or, when skipping is asked for, goes to the batch's skips (Batch::AddSkip) for the
// dump to count.
// Not thread-safe; one decoder per reader.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "sources/elasticsearch/es_schema.h"

namespace mm {

struct EsPage {
  int64_t hits = 0;          // hits in the response
  int64_t rows = 0;          // rows appended to the batch
  int64_t skipped = 0;       // invalid documents left out (skip mode), in the batch's skips
  std::string last_sort;     // the last hit's "sort" array as JSON ("" when absent)
  std::string scroll_id;     // "_scroll_id", when present
  std::string pit_id;        // "pit_id", when present (it may change between pages)
};

class EsHitDecoder {
 public:
  EsHitDecoder(EsCollectionSchema schema, std::string index, bool skip_invalid);
  ~EsHitDecoder();

  // Parses `body` (a search or scroll response) and appends its valid hits to `batch`.
  // DataLoss for a body that is not a search response; InvalidArgument for an invalid
  // document when not skipping.
  Result<EsPage> Decode(const std::string& body, Batch* batch);

 private:
  struct Parser;
  EsCollectionSchema schema_;
  std::vector<std::string> listed_;       // ES names of the fields read one by one
  std::set<std::string> field_names_;     // their Milvus names
  std::string index_;
  bool skip_invalid_;
  std::unique_ptr<Parser> parser_;
};

}  // namespace mm
