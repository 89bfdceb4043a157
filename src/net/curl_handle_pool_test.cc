#include "net/curl_handle_pool.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(CurlHandlePoolTest, ReusesIdleHandlesUpToTheLimit) {
  CurlHandlePool pool(/*max_idle=*/1);
  CURL* a = pool.Acquire();
  CURL* b = pool.Acquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  pool.Release(a);
  pool.Release(b);  // over the limit: cleaned up, not kept
  EXPECT_EQ(pool.Acquire(), a);
  CURL* c = pool.Acquire();  // the pool is empty again: a new handle
  EXPECT_NE(c, a);
  pool.Release(a);
  pool.Release(c);
}

}  // namespace
}  // namespace mm
