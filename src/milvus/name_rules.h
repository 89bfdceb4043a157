// Milvus 2.x naming rules for collections and partitions: 1 to 255 characters, the first a
// letter or '_', the rest letters, digits or '_'. Sources whose names break the rules (a 1.x
// partition tag "2023-q1", an Elasticsearch index "logs.v2") map them with
// ToMilvus2xName, or the user maps them in the config.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mm {

inline constexpr size_t kMaxMilvusNameLength = 255;

// OK, or InvalidArgument saying what is wrong with `name`; `what` ("collection name") is
// the message's subject.
Status ValidateMilvus2xName(std::string_view name, std::string_view what);

// The documented mapping (README, "Names"): every byte that is not an ASCII letter, digit or
// '_' becomes '_'; a name that starts with a digit gets a leading '_'; an empty name is "_";
// the result is cut to 255 bytes. Valid names are returned unchanged.
std::string ToMilvus2xName(std::string_view name);

}  // namespace mm
