#include "sources/elasticsearch/es_error.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(EsErrorTest, ReasonNamesTheFirstRootCause) {
  EXPECT_EQ(EsErrorReason(R"({"error":{"type":"search_phase_execution_exception",)"
                          R"("reason":"all shards failed","root_cause":[{"type":"x_exception",)"
                          R"("reason":"why"}]}})"),
            "search_phase_execution_exception: all shards failed (x_exception: why)");
  EXPECT_EQ(EsErrorReason(R"({"error":{"type":"a","reason":"b","root_cause":[{"type":"a",)"
                          R"("reason":"b"}]}})"),
            "a: b");
  EXPECT_EQ(EsErrorReason(R"({"error":"plain text"})"), "plain text");
  EXPECT_EQ(EsErrorReason("<html>bad gateway</html>"), "<html>bad gateway</html>");
}

TEST(EsErrorTest, LostSearchContexts) {
  EXPECT_TRUE(IsLostSearchContext("search_context_missing_exception", "No search context"));
  EXPECT_TRUE(IsLostSearchContext("illegal_state_exception",
                                  "already closed, can't increment ref count"));
  EXPECT_FALSE(IsLostSearchContext("illegal_state_exception", "something else"));
  EXPECT_FALSE(IsLostSearchContext("circuit_breaking_exception", "already closed"));
}

TEST(EsErrorTest, LostSearchContextErrorNeedsEveryRootCauseLost) {
  // What 8.19 answers when a scroll is cleared while its page is read.
  EXPECT_TRUE(IsLostSearchContextError(
      R"({"error":{"root_cause":[{"type":"illegal_state_exception","reason":"already closed, )"
      R"(can't increment ref count"}],"type":"search_phase_execution_exception",)"
      R"("reason":"all shards failed"},"status":500})"));
  EXPECT_TRUE(IsLostSearchContextError(
      R"({"error":{"type":"search_context_missing_exception","reason":"No search context"}})"));
  EXPECT_FALSE(IsLostSearchContextError(
      R"({"error":{"root_cause":[{"type":"search_context_missing_exception","reason":"x"},)"
      R"({"type":"circuit_breaking_exception","reason":"too big"}],"type":"s","reason":"r"}})"));
  EXPECT_FALSE(IsLostSearchContextError(R"({"error":{"type":"index_not_found_exception"}})"));
  EXPECT_FALSE(IsLostSearchContextError("not json"));
}

}  // namespace
}  // namespace mm
