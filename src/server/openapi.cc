// The OpenAPI 3 document of the REST API, written by hand beside the route table it must
// match (openapi_test.cc and tests/e2e/test_server_api.py check that it does).
#include <nlohmann/json.hpp>

#include "core/version.h"
#include "server/http_server.h"

namespace mm {
namespace {

using nlohmann::json;

json Ref(const char* name) { return {{"$ref", std::string("#/components/schemas/") + name}}; }

json Envelope(json data) {
  return {{"type", "object"},
          {"required", {"code", "msg", "data", "requestId"}},
          {"properties",
           {{"code", {{"type", "integer"}, {"enum", {0, 500}}, {"description", "0 on success"}}},
            {"msg", {{"type", "string"}, {"description", "\"success\", or the error"}}},
            {"data", data},
            {"requestId", {{"type", "string"}}}}}};
}

json Answer(const char* what, json data) {
  return {{"description", what},
          {"content", {{"application/json", {{"schema", Envelope(std::move(data))}}}}}};
}

json Errors() {
  json err = Answer("the envelope with code 500 and the error", {{"nullable", true}});
  return {{"400", err}, {"401", err}, {"404", err}, {"409", err}, {"413", err}};
}

json RequestIdHeader() {
  return {{"name", "RequestId"},
          {"in", "header"},
          {"required", false},
          {"description", "echoed in the answer's header and envelope"},
          {"schema", {{"type", "string"}}}};
}

json JobPost(const char* summary, const char* description) {
  json responses = Errors();
  responses["200"] = Answer("the job's id (a sync job's error is in code/msg)", Ref("JobId"));
  return {{"post",
           {{"summary", summary},
            {"description", description},
            {"tags", {"Migration"}},
            {"parameters", {RequestIdHeader()}},
            {"requestBody",
             {{"required", false},
              {"content", {{"application/json", {{"schema", Ref("JobParam")}}}}}}},
            {"responses", responses}}}};
}

json Build() {
  json paths;
  {
    json responses = Errors();
    responses["200"] = Answer("the server answers", {{"type", "string"}, {"example", "ok"}});
    paths["/api/v1/healthy"] = {{"get",
                                 {{"summary", "check server healthy"},
                                  {"tags", {"Migration"}},
                                  {"parameters", {RequestIdHeader()}},
                                  {"security", json::array()},
                                  {"responses", responses}}}};
  }
  paths["/api/v1/start"] = JobPost("migration start", "dump then load, as `milvus-migration start`");
  paths["/api/v1/dump"] = JobPost("migration dump", "the source into bulk-import files");
  paths["/api/v1/load"] = JobPost("migration load", "the dumped files into Milvus");
  paths["/api/v1/verify"] = JobPost(
      "migration verify",
      "proves that Milvus holds exactly the source's rows, as `milvus-migration verify`: "
      "counts, then every row; the job fails when they differ, and its report is in get_job "
      "(verify.report) and verify_report");
  {
    json responses = Errors();
    responses["200"] = Answer("the verify report, as verify-report.json", Ref("VerifyReport"));
    paths["/api/v1/verify_report"] = {
        {"get",
         {{"summary", "get a job's verify report"},
          {"description",
           "the report of a verify job, or of a start/load job asked with \"verify\": true, "
           "once its verify ran (404 before)"},
          {"tags", {"Migration"}},
          {"parameters",
           {RequestIdHeader(),
            {{"name", "jobId"}, {"in", "query"}, {"required", true},
             {"schema", {{"type", "string"}}}}}},
          {"responses", responses}}}};
  }
  {
    json responses = Errors();
    responses["200"] = Answer("the job view", Ref("JobView"));
    paths["/api/v1/get_job"] = {
        {"get",
         {{"summary", "get job info"},
          {"tags", {"Migration"}},
          {"parameters",
           {RequestIdHeader(),
            {{"name", "jobId"}, {"in", "query"}, {"required", true},
             {"schema", {{"type", "string"}}}}}},
          {"responses", responses}}}};
  }
  {
    json responses = Errors();
    responses["200"] = Answer(
        "a page of jobs, newest first",
        {{"type", "object"},
         {"properties",
          {{"total", {{"type", "integer"}}},
           {"offset", {{"type", "integer"}}},
           {"limit", {{"type", "integer"}}},
           {"jobs", {{"type", "array"}, {"items", Ref("JobView")}}}}}});
    paths["/api/v1/jobs"] = {
        {"get",
         {{"summary", "list jobs"},
          {"tags", {"Jobs"}},
          {"parameters",
           {RequestIdHeader(),
            {{"name", "offset"}, {"in", "query"}, {"required", false},
             {"schema", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}},
            {{"name", "limit"}, {"in", "query"}, {"required", false},
             {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000},
                         {"default", 20}}}}}},
          {"responses", responses}}}};
  }
  for (const auto& [path, summary, description, schema] :
       std::vector<std::tuple<const char*, const char*, const char*, const char*>>{
           {"/api/v1/cancel_job", "cancel a job",
            "stops a running job at its next safe point, as Ctrl-C does", "JobRef"},
           {"/api/v1/resume_job", "resume a job",
            "runs an interrupted or failed job again from its checkpoint", "ResumeParam"}}) {
    json responses = Errors();
    responses["200"] = Answer("the job's id", Ref("JobId"));
    paths[path] = {{"post",
                    {{"summary", summary},
                     {"description", description},
                     {"tags", {"Jobs"}},
                     {"parameters", {RequestIdHeader()}},
                     {"requestBody",
                      {{"required", true},
                       {"content", {{"application/json", {{"schema", Ref(schema)}}}}}}},
                     {"responses", responses}}}};
  }
  {
    json responses;
    responses["200"] = {{"description", "this document"},
                        {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    paths["/api/v1/openapi.json"] = {{"get",
                                      {{"summary", "the OpenAPI document"},
                                       {"tags", {"Docs"}},
                                       {"security", json::array()},
                                       {"responses", responses}}}};
  }

  json config = {{"description",
                  "migration.yaml as text, or a JSON object of the same tree; absent: the "
                  "server's --config file"},
                 {"oneOf", {{{"type", "string"}}, {{"type", "object"}}}}};
  json collection = {{"type", "object"},
                     {"properties",
                      {{"collection", {{"type", "string"}}},
                       {"rowsDone", {{"type", "integer"}}},
                       {"rowsTotal", {{"type", "integer"}, {"description", "-1: unknown"}}},
                       {"bytesDone", {{"type", "integer"}}},
                       {"bytesTotal", {{"type", "integer"}, {"description", "-1: unknown"}}},
                       {"importTaskIds", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}};
  json schemas = {
      {"JobParam",
       {{"type", "object"},
        {"properties",
         {{"async", {{"type", "boolean"}, {"default", false}}},
          {"collectionNames", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"requestId", {{"type", "string"}}},
          {"verify",
           {{"type", "boolean"},
            {"default", false},
            {"description",
             "start and load only: verify once the load succeeded (as --verify); the job "
             "fails when Milvus does not hold exactly the source's rows"}}},
          {"verifySample",
           {{"type", "number"},
            {"minimum", 0},
            {"exclusiveMinimum", true},
            {"maximum", 100},
            {"default", 100},
            {"description", "percent of pk ranges compared row by row (verify --sample)"}}},
          {"config", config}}}}},
      {"VerifyReport",
       {{"type", "object"},
        {"description", "verify's JSON report: the result, counts per collection and "
                        "partition, and the pks that differ (missing, extra, duplicate, "
                        "wrong_partition, different), with examples"},
        {"properties",
         {{"result", {{"type", "string"}, {"enum", {"match", "mismatch"}}}},
          {"source_rows", {{"type", "integer"}}},
          {"target_rows", {{"type", "integer"}}},
          {"collections", {{"type", "array"}, {"items", {{"type", "object"}}}}}}},
        {"additionalProperties", true}}},
      {"JobRef",
       {{"type", "object"},
        {"required", {"jobId"}},
        {"properties", {{"jobId", {{"type", "string"}}}}}}},
      {"ResumeParam",
       {{"type", "object"},
        {"required", {"jobId"}},
        {"properties",
         {{"jobId", {{"type", "string"}}},
          {"async", {{"type", "boolean"}, {"default", true}}},
          {"config", config}}}}},
      {"JobId",
       {{"type", "object"}, {"properties", {{"jobId", {{"type", "string"}}}}}}},
      {"JobView",
       {{"type", "object"},
        {"required", {"jobId", "jobStatus", "jobProcess", "msg", "totalTasks", "finishTasks"}},
        {"properties",
         {{"jobId", {{"type", "string"}}},
          {"jobStatus",
           {{"type", "string"},
            {"enum", {"init", "running", "success", "fail", "interrupted"}}}},
          {"jobProcess", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100}}},
          {"msg", {{"type", "string"}}},
          {"totalTasks", {{"type", "integer"}}},
          {"finishTasks", {{"type", "integer"}}},
          {"kind", {{"type", "string"}, {"enum", {"start", "dump", "load", "verify"}}}},
          {"phase",
           {{"type", "string"}, {"enum", {"init", "dump", "import", "verify", "done"}}}},
          {"verify",
           {{"type", "object"},
            {"description", "a job that verifies: its options, and its report once it ran"},
            {"properties",
             {{"enabled", {{"type", "boolean"}}},
              {"sample", {{"type", "number"}}},
              {"report", Ref("VerifyReport")}}}}},
          {"rowsDone", {{"type", "integer"}}},
          {"rowsTotal", {{"type", "integer"}}},
          {"bytesDone", {{"type", "integer"}}},
          {"rowsPerSecond", {{"type", "number"}}},
          {"bytesPerSecond", {{"type", "number"}}},
          {"etaSeconds", {{"type", "number"}, {"nullable", true}}},
          {"collections", {{"type", "array"}, {"items", collection}}},
          {"requestId", {{"type", "string"}}},
          {"createdAt", {{"type", "integer"}, {"description", "Unix ms"}}},
          {"updatedAt", {{"type", "integer"}, {"description", "Unix ms"}}},
          {"output", {{"type", "string"}}},
          {"config", {{"type", "string"}, {"description", "YAML, secrets masked"}}},
          {"collectionNames", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}}};
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "milvus-migration"},
            {"version", kVersion},
            {"description", "Moves vector data into Milvus 2.x; the Go tool's API and more."}}},
          {"servers", {{{"url", "/"}}}},
          {"paths", paths},
          {"components",
           {{"schemas", schemas},
            {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
          {"security", {{{"bearer", json::array()}}}}};
}

}  // namespace

const std::vector<Route>& ApiRoutes() {
  static const std::vector<Route> routes = {
      {"GET", "/healthy"},    {"POST", "/start"},      {"POST", "/dump"},
      {"POST", "/load"},      {"GET", "/get_job"},     {"GET", "/jobs"},
      {"POST", "/cancel_job"}, {"POST", "/resume_job"}, {"GET", "/openapi.json"},
      {"POST", "/verify"},    {"GET", "/verify_report"},
  };
  return routes;
}

const std::string& OpenApiDocument() {
  static const std::string doc = Build().dump(2);
  return doc;
}

}  // namespace mm
