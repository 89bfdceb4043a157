#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "server/http_server.h"

namespace mm {
namespace {

TEST(OpenApiTest, DocumentsExactlyTheRoutes) {
  const auto doc = nlohmann::json::parse(OpenApiDocument());
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, methods] : doc["paths"].items()) {
    for (const auto& [method, op] : methods.items()) {
      documented.insert({method, path});
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
    }
  }
  std::set<std::pair<std::string, std::string>> routed;
  for (const Route& r : ApiRoutes()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    routed.insert({method, std::string("/api/v1") + r.path});
  }
  EXPECT_EQ(documented, routed);
}

TEST(OpenApiTest, JobViewHasTheGoToolsFields) {
  const auto doc = nlohmann::json::parse(OpenApiDocument());
  const auto& required = doc["components"]["schemas"]["JobView"]["required"];
  for (const char* key : {"jobId", "jobStatus", "jobProcess", "msg", "totalTasks", "finishTasks"}) {
    EXPECT_NE(std::find(required.begin(), required.end(), key), required.end()) << key;
  }
}

}  // namespace
}  // namespace mm
