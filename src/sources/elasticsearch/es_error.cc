#include "sources/elasticsearch/es_error.h"

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mm {

std::string EsErrorReason(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("error")) {
    const auto& e = json["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object()) {
      std::string type = e.value("type", "");
      std::string reason = e.value("reason", "");
      std::string text = type.empty() ? reason : StrCat(type, ": ", reason);
      // "all shards failed" says nothing; the first root cause says why.
      if (e.contains("root_cause") && e["root_cause"].is_array() && !e["root_cause"].empty() &&
          e["root_cause"][0].is_object()) {
        const auto& cause = e["root_cause"][0];
        std::string why = StrCat(cause.value("type", ""), ": ", cause.value("reason", ""));
        if (why != text) text = text.empty() ? why : StrCat(text, " (", why, ")");
      }
      return text;
    }
  }
  return body.substr(0, 200);
}

bool IsLostSearchContext(std::string_view type, std::string_view reason) {
  return type == "search_context_missing_exception" ||
         (type == "illegal_state_exception" && reason.find("already closed") != reason.npos);
}

bool IsLostSearchContextError(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return false;
  const auto& e = json["error"];
  auto lost = [](const nlohmann::json& cause) {
    return cause.is_object() &&
           IsLostSearchContext(cause.value("type", ""), cause.value("reason", ""));
  };
  if (!e.contains("root_cause") || !e["root_cause"].is_array() || e["root_cause"].empty()) {
    return lost(e);
  }
  for (const auto& cause : e["root_cause"]) {
    if (!lost(cause)) return false;
  }
  return true;
}

}  // namespace mm
