#include "sources/meta_milvus_keys.h"

#include <set>

#include "config/config_limits.h"

namespace mm {

Status ReadMetaMilvusLayout(const ConfigReader& r, int32_t* shard_num,
                            std::string* consistency_level) {
  RETURN_IF_ERROR(r.GetIntInRange("meta.milvus.shardNum", shard_num, 0, kMaxShards));
  RETURN_IF_ERROR(r.Get("meta.milvus.consistencyLevel", consistency_level));
  static const std::set<std::string> kLevels = {"",        "Strong",     "Session",
                                                "Bounded", "Eventually", "Customized"};
  if (!kLevels.count(*consistency_level)) {
    return r.Invalid("meta.milvus.consistencyLevel",
                     StrCat("expected Strong, Session, Bounded, Eventually or Customized, got '",
                            *consistency_level, "'"));
  }
  return absl::OkStatus();
}

}  // namespace mm
