// The masters of a Redis Cluster, from CLUSTER NODES: each one becomes a task of its own,
// scanned on that node (SCAN on a cluster node sees only that node's keys).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mm {

struct RedisClusterMaster {
  std::string id;    // the node id (40 hex digits)
  std::string host;  // "" when the node does not know its own address yet
  int port = 0;
  std::vector<std::pair<int, int>> slots;  // slot ranges, inclusive, ascending
  int first_slot() const { return slots.empty() ? -1 : slots.front().first; }
};

// The masters that serve slots, in slot order, from CLUSTER NODES' text. Masters marked
// fail or without slots are left out. DataLoss for a line that is not a node line.
Result<std::vector<RedisClusterMaster>> ParseClusterNodes(const std::string& text);

// The task name of a master: its first slot ("slots-0", "slots-5461"), which stays the same
// when a replica takes over, unlike its id or address.
std::string RedisClusterTaskId(const RedisClusterMaster& m);

}  // namespace mm
