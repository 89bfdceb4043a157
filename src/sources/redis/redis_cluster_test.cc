#include "sources/redis/redis_cluster.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(ClusterNodesTest, MastersInSlotOrder) {
  // As redis-server 7.0 answers CLUSTER NODES, with a replica, a failed master and a slot
  // being migrated.
  const std::string text =
      "a14672956f167f9ea840c49236b886d6d28722ed 127.0.0.1:22762@22765 master - 0 1 3 "
      "connected 10923-16383\n"
      "ef407e66ec7c75de3b4b35d25f8e5de020915761 127.0.0.1:22760@22763,host-a myself,master - "
      "0 0 1 connected 0-5460 [5461->-3726ca3f1b642d8842600806c579d33ee374bb7c]\n"
      "3726ca3f1b642d8842600806c579d33ee374bb7c :22761@22764 master - 0 1 2 connected "
      "5461-10921 10922\n"
      "bbbb72956f167f9ea840c49236b886d6d28722ed 127.0.0.1:22766@22769 slave "
      "a14672956f167f9ea840c49236b886d6d28722ed 0 1 3 connected\n"
      "cccc72956f167f9ea840c49236b886d6d28722ed 127.0.0.1:22767@22770 master,fail - 0 1 4 "
      "disconnected\n";
  auto masters = ParseClusterNodes(text);
  ASSERT_TRUE(masters.ok()) << masters.status();
  ASSERT_EQ(masters->size(), 3u);
  EXPECT_EQ((*masters)[0].port, 22760);
  EXPECT_EQ((*masters)[0].host, "127.0.0.1");
  EXPECT_EQ(RedisClusterTaskId((*masters)[0]), "slots-0");
  EXPECT_EQ((*masters)[1].host, "");  // the node does not know its address: the seed's host
  EXPECT_EQ((*masters)[1].slots.size(), 2u);
  EXPECT_EQ((*masters)[1].slots[1], std::make_pair(10922, 10922));
  EXPECT_EQ(RedisClusterTaskId((*masters)[2]), "slots-10923");
}

TEST(ClusterNodesTest, BrokenLines) {
  EXPECT_EQ(ParseClusterNodes("abc 127.0.0.1:1 master\n").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseClusterNodes("a 127.0.0.1:x@2 master - 0 0 1 connected 0-5\n").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseClusterNodes("a h:1@2 master - 0 0 1 connected 0-x\n").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mm
