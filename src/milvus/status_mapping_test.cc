#include "milvus/status_mapping.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

using absl::StatusCode;

const RpcContext kCtx{"127.0.0.1:19530", "CreateCollection", "collection 'books'", "alice"};

std::string Msg(const Status& s) { return std::string(s.message()); }

TEST(MilvusStatusTest, SuccessNeedsBothZero) {
  EXPECT_TRUE(MilvusStatusToStatus(0, 0, "", false, kCtx).ok());
  EXPECT_FALSE(MilvusStatusToStatus(0, 100, "collection not found", false, kCtx).ok());
  EXPECT_FALSE(MilvusStatusToStatus(4, 0, "can't find collection", false, kCtx).ok());
}

TEST(MilvusStatusTest, MerrCodesWinOverLegacy) {
  // 2.3+: error_code is derived from code; code decides.
  auto st = MilvusStatusToStatus(1, 100, "collection not found[collection=books]", false, kCtx);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(Msg(st).find("collection not found[collection=books]"), std::string::npos);
  EXPECT_NE(Msg(st).find("collection 'books'"), std::string::npos);
  EXPECT_NE(Msg(st).find("code 100"), std::string::npos);
  EXPECT_EQ(MilvusStatusToStatus(5, 1100, "invalid parameter", false, kCtx).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MilvusStatusToStatus(1, 200, "partition not found", false, kCtx).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(MilvusStatusToStatus(1, 8, "rate limit exceeded", true, kCtx).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(MilvusStatusToStatus(1, 1, "service not ready", true, kCtx).code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(MilvusStatusToStatus(1, 702, "index duplicates", false, kCtx).code(),
            StatusCode::kAlreadyExists);
}

TEST(MilvusStatusTest, LegacyErrorCodesOn22) {
  EXPECT_EQ(MilvusStatusToStatus(4, 0, "can't find collection: books", false, kCtx).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(MilvusStatusToStatus(5, 0, "bad dim", false, kCtx).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MilvusStatusToStatus(49, 0, "rate", false, kCtx).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(MilvusStatusToStatus(56, 0, "not ready", false, kCtx).code(),
            StatusCode::kUnavailable);
}

TEST(MilvusStatusTest, VagueCodesRefinedFromReason) {
  EXPECT_EQ(MilvusStatusToStatus(1, 0, "collection books already exists", false, kCtx).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(MilvusStatusToStatus(1, 65535, "collection books does not exist", false, kCtx).code(),
            StatusCode::kNotFound);
  // What 2.3.5 answers, as seen on a real server.
  EXPECT_EQ(MilvusStatusToStatus(1, 65535,
                                 "create duplicate collection with different parameters, "
                                 "collection: books",
                                 false, kCtx)
                .code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(MilvusStatusToStatus(1, 65535, "cannot create index on non-exist field: x", false,
                                 kCtx)
                .code(),
            StatusCode::kNotFound);
  EXPECT_EQ(MilvusStatusToStatus(1, 65535, "invalid index type: NO_SUCH", false, kCtx).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MilvusStatusToStatus(1, 65535, "something odd", false, kCtx).code(),
            StatusCode::kUnknown);
  EXPECT_EQ(MilvusStatusToStatus(1, 65535, "something odd", true, kCtx).code(),
            StatusCode::kUnavailable);
  // A specific code is not second-guessed by its text.
  EXPECT_EQ(MilvusStatusToStatus(1, 8, "not found anything to limit", true, kCtx).code(),
            StatusCode::kResourceExhausted);
}

TEST(MilvusStatusTest, AuthNamesUserNotPassword) {
  auto st = MilvusStatusToStatus(3, 1401, "privilege not permitted", false, kCtx);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(Msg(st).find("'alice'"), std::string::npos);
  EXPECT_EQ(MilvusStatusToStatus(1, 1400, "not authenticated", false, kCtx).code(),
            StatusCode::kUnauthenticated);
}

TEST(GrpcStatusTest, TransportFailuresAreUnavailableNamingEndpoint) {
  auto st = GrpcStatusToStatus(14, "failed to connect to all addresses", kCtx);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(Msg(st).find("127.0.0.1:19530"), std::string::npos);
  auto dl = GrpcStatusToStatus(4, "Deadline Exceeded", kCtx);
  EXPECT_EQ(dl.code(), StatusCode::kUnavailable);
  EXPECT_NE(Msg(dl).find("deadline"), std::string::npos);
}

TEST(GrpcStatusTest, AuthFailures) {
  auto st = GrpcStatusToStatus(16, "auth check failure, please check username and password", kCtx);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(Msg(st).find("'alice'"), std::string::npos);
  EXPECT_EQ(GrpcStatusToStatus(7, "denied", kCtx).code(), StatusCode::kPermissionDenied);
}

TEST(GrpcStatusTest, OversizedMessageIsNotRetriable) {
  auto st = GrpcStatusToStatus(
      8, "Received message larger than max (300000000 vs. 268435456)", kCtx);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsTransient(st));
  EXPECT_EQ(GrpcStatusToStatus(12, "unknown method Connect", kCtx).code(),
            StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace mm
