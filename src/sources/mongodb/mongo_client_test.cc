#include "sources/mongodb/mongo_client.h"

#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

namespace mm {
namespace {

TEST(MongoErrorStatusTest, MapsDriverErrors) {
  // Bad credentials: the driver's authentication error and the server's code 18.
  EXPECT_EQ(MongoErrorStatus(MONGOC_ERROR_CLIENT, MONGOC_ERROR_CLIENT_AUTHENTICATE, "Authentication failed.", "connecting").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(MongoErrorStatus(MONGOC_ERROR_SERVER, 18, "Authentication failed.", "connecting").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(MongoErrorStatus(MONGOC_ERROR_SERVER, 13, "not authorized", "reading").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MongoErrorStatus(MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE, "No suitable servers", "connecting").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(MongoErrorStatus(MONGOC_ERROR_SERVER, 59, "no such command: 'splitVector'", "splitVector").code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(MongoErrorStatus(MONGOC_ERROR_SERVER, 43, "cursor id 5 not found", "reading").code(),
            absl::StatusCode::kAborted);
}

TEST(BsonDocTest, ExtendedJsonRoundTrips) {
  auto d = BsonDoc::FromJson(R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})", "x");
  ASSERT_TRUE(d.ok()) << d.status();
  auto back = BsonDoc::FromJson(d->ToJson(), "x");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(bson_equal(d->get(), back->get()));
  auto bad = BsonDoc::FromJson("{nope", "[source.mongodb.filter]");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("[source.mongodb.filter] is not a JSON document"),
            std::string::npos);
}

}  // namespace
}  // namespace mm
