#include "pipeline/plan_check.h"

#include <set>
#include <string>

#include "milvus/name_rules.h"

namespace mm {
namespace {

std::string Origin(const CollectionPlan& plan) {
  return plan.name_origin.empty() ? std::string("the source") : plan.name_origin;
}

}  // namespace

Status CheckPlanNames(const std::vector<CollectionPlan>& plans) {
  std::set<std::string> collections;
  for (const CollectionPlan& plan : plans) {
    if (plan.schema == nullptr) return absl::InternalError("a collection plan has no schema");
    const std::string& name = plan.schema->collection;
    if (Status st = ValidateMilvus2xName(name, "collection name"); !st.ok()) {
      return absl::InvalidArgumentError(
          StrCat(st.message(), " (the name comes from ", Origin(plan),
                 "); Milvus would refuse it at load, so nothing is dumped"));
    }
    if (!collections.insert(name).second) {
      return absl::InvalidArgumentError(StrCat("two collections of the source would both be '",
                                               name, "' (the name comes from ", Origin(plan),
                                               "); give one another name"));
    }
    std::set<std::string> partitions(plan.partitions.begin(), plan.partitions.end());
    for (const SourceTask& task : plan.tasks) {
      if (!task.partition.empty()) partitions.insert(task.partition);
    }
    for (const std::string& partition : partitions) {
      if (Status st = ValidateMilvus2xName(partition, "partition name"); !st.ok()) {
        return absl::InvalidArgumentError(
            StrCat(st.message(), " (a partition of collection '", name, "', from ",
                   Origin(plan), "); Milvus would refuse it at load, so nothing is dumped"));
      }
    }
    for (const FieldSchema& field : plan.schema->fields) {
      if (field.name == kDynamicFieldName) continue;  // Milvus makes it, by this name
      if (Status st = ValidateMilvus2xName(field.name, "field name"); !st.ok()) {
        return absl::InvalidArgumentError(
            StrCat(st.message(), " (a field of collection '", name, "', from ", Origin(plan),
                   "); Milvus would refuse it at load, so nothing is dumped"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mm
