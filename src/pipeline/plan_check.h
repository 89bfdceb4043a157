// Checks a source's plan against what Milvus 2.x will accept before anything is dumped, so a
// name Milvus refuses fails the run at once instead of after the whole source was read.
#pragma once

#include <vector>

#include "core/status.h"
#include "sources/source.h"

namespace mm {

// Every collection, partition and field name of `plans` follows Milvus' naming rules
// (milvus/name_rules.h: 1 to 255 characters, letters, digits and '_', not starting with a
// digit), and no two collections share a name. InvalidArgument naming the name, where it
// came from (CollectionPlan::name_origin) and the rule it breaks.
Status CheckPlanNames(const std::vector<CollectionPlan>& plans);

}  // namespace mm
