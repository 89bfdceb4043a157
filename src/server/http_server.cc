#include "server/http_server.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "core/cancellation.h"
#include "core/redact.h"
#include "server/job_manager.h"

#ifndef MM_SWAGGER_UI_DIR
#define MM_SWAGGER_UI_DIR ""
#endif

namespace mm {
namespace {

using nlohmann::json;

constexpr const char* kPrefix = "/api/v1";
// Handler threads: enough for sync jobs that hold theirs while others poll get_job.
constexpr size_t kHandlerThreads = 64;

// The request's RequestId: its header, else one made here (as the Go tool does).
std::string RequestIdOf(const httplib::Request& req) {
  std::string id = req.get_header_value("RequestId");
  if (!id.empty() && id.size() <= 128) return id;
  static std::atomic<uint64_t> counter{0};
  static const uint64_t seed = std::random_device{}();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08llx%08llx",
                static_cast<unsigned long long>(seed & 0xffffffffu),
                static_cast<unsigned long long>(counter.fetch_add(1)));
  return buf;
}

void Reply(const httplib::Request& req, httplib::Response& res, int http_status, int code,
           const std::string& msg, json data) {
  const std::string request_id = RequestIdOf(req);
  res.status = http_status;
  res.set_header("RequestId", request_id);
  json body = {{"code", code}, {"msg", msg}, {"data", std::move(data)}, {"requestId", request_id}};
  // Invalid UTF-8 from a client (echoed in a message) is replaced, never thrown.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void Ok(const httplib::Request& req, httplib::Response& res, json data) {
  Reply(req, res, 200, 0, "success", std::move(data));
}

int HttpStatusOf(const Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void Fail(const httplib::Request& req, httplib::Response& res, const Status& st) {
  Reply(req, res, HttpStatusOf(st), 500, RedactText(std::string(st.message())), nullptr);
}

// The body as a JSON object; an empty body is {}. InvalidArgument naming what is wrong.
Result<json> BodyObject(const httplib::Request& req) {
  if (absl::StripAsciiWhitespace(req.body).empty()) return json::object();
  json body;
  try {
    body = json::parse(req.body);
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(
        StrCat("body: not JSON (at byte ", e.byte, "): expected a JSON object"));
  }
  if (!body.is_object()) {
    return absl::InvalidArgumentError(
        StrCat("body: expected a JSON object, got ", body.type_name()));
  }
  return body;
}

Status ExpectType(const json& body, const char* key, json::value_t type, const char* expected) {
  if (!body.contains(key)) return absl::OkStatus();
  const json& v = body[key];
  const bool ok = type == json::value_t::number_integer ? v.is_number_integer()
                                                        : v.type() == type;
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat("body: [", key, "] must be ", expected, ", got ", v.type_name()));
  }
  return absl::OkStatus();
}

// The request's `config`: YAML text, or a JSON object whose text is YAML too.
Result<std::optional<std::string>> ConfigOf(const json& body) {
  if (!body.contains("config") || body["config"].is_null()) return std::optional<std::string>();
  const json& c = body["config"];
  if (c.is_string()) return std::optional<std::string>(c.get<std::string>());
  if (c.is_object()) return std::optional<std::string>(c.dump());
  return absl::InvalidArgumentError(StrCat(
      "body: [config] must be migration.yaml text or a JSON object, got ", c.type_name()));
}

Result<JobRequest> ParseJobRequest(const httplib::Request& req, const std::string& kind,
                                   bool* async) {
  ASSIGN_OR_RETURN(json body, BodyObject(req));
  RETURN_IF_ERROR(ExpectType(body, "async", json::value_t::boolean, "true or false"));
  RETURN_IF_ERROR(ExpectType(body, "requestId", json::value_t::string, "a string"));
  RETURN_IF_ERROR(
      ExpectType(body, "collectionNames", json::value_t::array, "an array of strings"));
  JobRequest request;
  request.kind = kind;
  *async = body.value("async", false);
  request.request_id = RequestIdOf(req);
  if (body.contains("collectionNames")) {
    for (const auto& name : body["collectionNames"]) {
      if (!name.is_string() || name.get<std::string>().empty()) {
        return absl::InvalidArgumentError(
            "body: [collectionNames] must be an array of non-empty strings");
      }
      request.collections.push_back(name.get<std::string>());
    }
  }
  RETURN_IF_ERROR(ExpectType(body, "verify", json::value_t::boolean, "true or false"));
  if (body.contains("verify") && kind != "start" && kind != "load") {
    return absl::InvalidArgumentError(StrCat(
        "body: [verify] is for start and load; a ", kind, " job ",
        kind == "verify" ? "always verifies" : "loads nothing to verify"));
  }
  request.verify = body.value("verify", false);
  if (body.contains("verifySample")) {
    const json& p = body["verifySample"];
    if (!p.is_number() || p.get<double>() <= 0 || p.get<double>() > 100) {
      return absl::InvalidArgumentError(
          "body: [verifySample] must be a number of percent in (0, 100]");
    }
    request.verify_sample = p.get<double>();
  }
  ASSIGN_OR_RETURN(request.config_text, ConfigOf(body));
  return request;
}

// The jobId of a cancel/resume body (or of the query).
Result<std::string> JobIdOf(const httplib::Request& req, const json& body) {
  if (body.contains("jobId")) {
    if (!body["jobId"].is_string()) {
      return absl::InvalidArgumentError(
          StrCat("body: [jobId] must be a string, got ", body["jobId"].type_name()));
    }
    return body["jobId"].get<std::string>();
  }
  if (req.has_param("jobId")) return req.get_param_value("jobId");
  return absl::InvalidArgumentError("body: [jobId] is required");
}

Result<int64_t> QueryInt(const httplib::Request& req, const char* name, int64_t def,
                         int64_t min, int64_t max) {
  if (!req.has_param(name)) return def;
  int64_t v;
  if (!absl::SimpleAtoi(req.get_param_value(name), &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        StrCat("query: [", name, "] must be an integer from ", min, " to ", max));
  }
  return v;
}

Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat("--token-file ", path, ": cannot read it"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(ss.str()));
  if (token.empty()) return absl::InvalidArgumentError(StrCat("--token-file ", path, ": empty"));
  return token;
}

bool TokenMatches(const std::string& header, const std::string& token) {
  constexpr absl::string_view kBearer = "Bearer ";
  if (header.size() != kBearer.size() + token.size() ||
      !absl::StartsWithIgnoreCase(header, kBearer)) {
    return false;
  }
  return CRYPTO_memcmp(header.data() + kBearer.size(), token.data(), token.size()) == 0;
}

// Swagger UI's page, pointed at our document (the package's own initializer shows a demo).
constexpr const char* kDocsIndex = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>milvus-migration REST API</title>
  <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="/docs/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
)";
constexpr const char* kDocsInitializer = R"(window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
};
)";

std::string MimeType(const std::string& name) {
  auto ends = [&](absl::string_view ext) { return absl::EndsWith(name, ext); };
  if (ends(".js")) return "application/javascript";
  if (ends(".css")) return "text/css";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

// swagger-ui-dist's files by name (source maps left out); empty when `dir` has none.
std::map<std::string, std::string> LoadUiFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || absl::EndsWith(name, ".map")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files[name] = ss.str();
  }
  return files;
}

}  // namespace

Status RunServer(const ServerOptions& options) {
  std::string token;
  if (!options.token_file.empty()) {
    ASSIGN_OR_RETURN(token, ReadToken(options.token_file));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<JobManager> jobs,
                   JobManager::Open({.data_dir = options.data_dir,
                                     .default_config = options.config}));
  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(kHandlerThreads); };
  svr.set_payload_max_length(options.max_body_bytes);
  // A client that announces more than it sends is dropped after this (a 1 MB body takes
  // well under it on any network worth migrating over).
  svr.set_read_timeout(5, 0);
  svr.set_write_timeout(30, 0);
  svr.set_keep_alive_max_count(1000);

  // Only the API routes need the token; the health check, the OpenAPI document and the
  // Swagger UI's static files hold nothing secret.
  svr.set_pre_routing_handler([&](const httplib::Request& req,
                                  httplib::Response& res) -> httplib::Server::HandlerResponse {
    if (token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string& path = req.path;
    if (path == "/api/v1/healthy" || path == "/api/v1/openapi.json" || path == "/docs" ||
        path.rfind("/docs/", 0) == 0) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (TokenMatches(req.get_header_value("Authorization"), token)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Reply(req, res, 401, 500, "unauthorized: expected the header Authorization: Bearer <token>",
          nullptr);
    res.set_header("WWW-Authenticate", "Bearer");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Whatever the library refuses itself (unknown route 404, body too large 413, ...) gets the
  // envelope too; answers the handlers wrote keep theirs.
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req,
         httplib::Response& res) -> httplib::Server::HandlerResponse {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg;
    switch (res.status) {
      case 404:
        msg = "no such route";
        break;
      case 413:
        msg = "request body too large";
        break;
      default:
        msg = StrCat("HTTP ", res.status);
    }
    const int status = res.status;
    Reply(req, res, status, 500, msg, nullptr);
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        Reply(req, res, 500, 500, "internal error", nullptr);
      });
  // Method, path and answer; never the query (a config may not travel there, but a client
  // may put anything in it) nor the body.
  svr.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::info("http: {} {} -> {} (RequestId {})", req.method, req.path, res.status,
                 RedactText(res.get_header_value("RequestId")));
  });

  const std::string prefix = kPrefix;
  svr.Get(prefix + "/healthy", [](const httplib::Request& req, httplib::Response& res) {
    Ok(req, res, "ok");
  });
  for (const char* kind : {"start", "dump", "load", "verify"}) {
    svr.Post(prefix + "/" + kind, [&jobs, kind = std::string(kind)](
                                      const httplib::Request& req, httplib::Response& res) {
      bool async = false;
      Result<JobRequest> request = ParseJobRequest(req, kind, &async);
      if (!request.ok()) return Fail(req, res, request.status());
      Result<std::string> id = jobs->Submit(*request);
      if (!id.ok()) return Fail(req, res, id.status());
      if (async) return Ok(req, res, {{"jobId", *id}});
      // Sync: the answer waits for the job, and carries its error as the Go tool's does.
      Status st = jobs->Wait(*id);
      if (!st.ok()) {
        return Reply(req, res, 200, 500, std::string(st.message()), {{"jobId", *id}});
      }
      Ok(req, res, {{"jobId", *id}});
    });
  }
  svr.Get(prefix + "/get_job", [&jobs](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("jobId")) {
      return Fail(req, res, absl::InvalidArgumentError("query: [jobId] is required"));
    }
    Result<json> view = jobs->View(req.get_param_value("jobId"));
    if (!view.ok()) return Fail(req, res, view.status());
    Ok(req, res, *view);
  });
  svr.Get(prefix + "/verify_report",
          [&jobs](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("jobId")) {
      return Fail(req, res, absl::InvalidArgumentError("query: [jobId] is required"));
    }
    Result<json> report = jobs->VerifyReport(req.get_param_value("jobId"));
    if (!report.ok()) return Fail(req, res, report.status());
    Ok(req, res, *report);
  });
  svr.Get(prefix + "/jobs", [&jobs](const httplib::Request& req, httplib::Response& res) {
    Result<int64_t> offset = QueryInt(req, "offset", 0, 0, int64_t{1} << 40);
    if (!offset.ok()) return Fail(req, res, offset.status());
    Result<int64_t> limit = QueryInt(req, "limit", 20, 1, 1000);
    if (!limit.ok()) return Fail(req, res, limit.status());
    Result<json> page = jobs->List(*offset, *limit);
    if (!page.ok()) return Fail(req, res, page.status());
    Ok(req, res, *page);
  });
  svr.Post(prefix + "/cancel_job", [&jobs](const httplib::Request& req, httplib::Response& res) {
    Result<json> body = BodyObject(req);
    if (!body.ok()) return Fail(req, res, body.status());
    Result<std::string> id = JobIdOf(req, *body);
    if (!id.ok()) return Fail(req, res, id.status());
    if (Status st = jobs->Cancel(*id); !st.ok()) return Fail(req, res, st);
    Ok(req, res, {{"jobId", *id}});
  });
  svr.Post(prefix + "/resume_job", [&jobs](const httplib::Request& req, httplib::Response& res) {
    Result<json> body = BodyObject(req);
    if (!body.ok()) return Fail(req, res, body.status());
    Result<std::string> id = JobIdOf(req, *body);
    if (!id.ok()) return Fail(req, res, id.status());
    if (Status st = ExpectType(*body, "async", json::value_t::boolean, "true or false");
        !st.ok()) {
      return Fail(req, res, st);
    }
    Result<std::optional<std::string>> config = ConfigOf(*body);
    if (!config.ok()) return Fail(req, res, config.status());
    if (Status st = jobs->Resume(*id, *config); !st.ok()) return Fail(req, res, st);
    if (!body->value("async", true)) {
      if (Status st = jobs->Wait(*id); !st.ok()) {
        return Reply(req, res, 200, 500, std::string(st.message()), {{"jobId", *id}});
      }
    }
    Ok(req, res, {{"jobId", *id}});
  });
  svr.Get(prefix + "/openapi.json", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("RequestId", RequestIdOf(req));
    res.set_content(OpenApiDocument(), "application/json");
  });

  // Swagger UI: our page and initializer, the package's other files read once from its
  // folder; only plain file names are served, so no path leaves the folder.
  const std::string ui_dir =
      options.swagger_ui_dir.empty() ? std::string(MM_SWAGGER_UI_DIR) : options.swagger_ui_dir;
  auto ui_files = std::make_shared<std::map<std::string, std::string>>(LoadUiFiles(ui_dir));
  if (ui_files->count("swagger-ui-bundle.js") == 0) {
    spdlog::warn("server: no Swagger UI files in '{}' (--swagger-ui-dir): /docs/ will not work",
                 ui_dir);
  }
  svr.Get("/docs", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/docs/");
  });
  svr.Get(R"(/docs/([A-Za-z0-9._-]*))",
          [ui_files](const httplib::Request& req, httplib::Response& res) {
            std::string name = req.matches[1];
            if (name.empty() || name == "index.html") {
              return res.set_content(kDocsIndex, "text/html; charset=utf-8");
            }
            if (name == "swagger-initializer.js") {
              return res.set_content(kDocsInitializer, "application/javascript");
            }
            auto it = ui_files->find(name);
            if (it == ui_files->end()) {
              res.status = 404;
              return;
            }
            res.set_content(it->second, MimeType(name));
          });

  if (!svr.bind_to_port(options.host, options.port)) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", options.host, ":", options.port, " (in use?)"));
  }
  // Ctrl-C / SIGTERM: stop accepting, then stop the jobs (the JobManager's destructor).
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (CancellationRequested()) {
        svr.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  spdlog::info("server: listening on http://{}:{} (API under {}, Swagger UI at /docs/, jobs "
               "in {})",
               options.host, options.port, prefix, options.data_dir);
  const bool listened = svr.listen_after_bind();
  done = true;
  watcher.join();
  spdlog::info("server: stopping; running jobs stop at their next safe point");
  jobs.reset();
  if (!listened && !CancellationRequested()) {
    return absl::UnavailableError(StrCat("the server on ", options.host, ":", options.port,
                                         " stopped unexpectedly"));
  }
  return absl::OkStatus();
}

}  // namespace mm
