// `milvus-migration server run`: the Go tool's REST API (routes under /api/v1, the
// {code, msg, data, requestId} envelope, the RequestId header echoed), plus job listing,
// cancel and resume, an OpenAPI 3 document and Swagger UI. Handlers only parse a request
// and call the JobManager, which calls the same library functions as the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace mm {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback unless --host widens it
  int port = 8080;
  std::string config = "configs/migration.yaml";  // for requests without a config
  std::string data_dir = "migration-server";      // jobs.sqlite3
  std::string token_file;          // "": no token; else a bearer token on all but /healthy
  size_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  std::string swagger_ui_dir;      // swagger-ui-dist's files; "" = the build's copy
};

// One route of the API, for the OpenAPI document's test.
struct Route {
  const char* method;  // "GET" | "POST"
  const char* path;    // under /api/v1, e.g. "/get_job"
};
const std::vector<Route>& ApiRoutes();

// The OpenAPI 3 document served at /api/v1/openapi.json.
const std::string& OpenApiDocument();

// Serves until SIGINT/SIGTERM; then stops accepting requests and stops the running jobs at
// their next safe point (they are `interrupted`, and resume_job continues them).
// Errors: the token file unreadable or empty, the port taken, the data dir in use.
Status RunServer(const ServerOptions& options);

}  // namespace mm
