// meta.json: the Go tool's export of Milvus 1.x metadata, which its `meta.mode: local|mock|
// remote` read and our `export` command writes. The Go fields are kept as they are:
//   {"collections":[{"collection","metric","rows","dim","segments":[{"collection","segment",
//     "dim","rows","fileSize"}]}],"rows"}
// and ours are added, so a file we write still reads in the Go tool: per collection "owner"
// and "partition" (a partition's parent table and tag), "engine", "indexParams",
// "indexOnlySegments"; per segment "fileType". A Go-written file has no "owner": each of its
// entries is a collection of its own.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "sources/milvus1x/milvus1x_meta.h"

namespace mm {

// `name` (a path or s3:// URL) is used in messages. DataLoss for malformed JSON or fields
// of the wrong type, naming the JSON path ("collections[2].segments[0].rows").
Result<Milvus1xMeta> ParseMetaJson(std::string_view text, const std::string& name);
std::string FormatMetaJson(const Milvus1xMeta& meta);

}  // namespace mm
