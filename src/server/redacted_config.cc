#include "server/redacted_config.h"

#include <yaml-cpp/yaml.h>

#include "absl/strings/ascii.h"
#include "core/redact.h"

namespace mm {
namespace {

bool IsSecretKey(const std::string& key) {
  const std::string lower = absl::AsciiStrToLower(key);
  // The S3 keys of some configs are short ("ak", "sk"); "cert" holds a private key file.
  return IsSecretParameter(key) || lower == "ak" || lower == "sk" || lower == "cert";
}

// Returns the masked copy of `node`; `changed` set when anything was masked.
YAML::Node Mask(const YAML::Node& node, bool secret, bool* changed) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        out[kv.first] = Mask(kv.second, secret || IsSecretKey(key), changed);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : node) out.push_back(Mask(item, secret, changed));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& v = node.Scalar();
      if (secret && !v.empty()) {
        *changed = true;
        return YAML::Node(std::string(kRedacted));
      }
      std::string masked = RedactText(v);
      if (masked == v) masked = RedactUrl(v);  // "user:pw@host:9200" without a scheme
      if (masked == v) return node;
      *changed = true;
      return YAML::Node(masked);
    }
    default:
      return node;
  }
}

}  // namespace

Result<RedactedConfig> RedactConfigText(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    // The parser's message quotes no value, only the position.
    return absl::InvalidArgumentError(StrCat(origin, ": not YAML: ", e.what()));
  }
  RedactedConfig out;
  YAML::Emitter emitter;
  emitter << Mask(root, false, &out.changed);
  out.yaml = emitter.c_str();
  return out;
}

}  // namespace mm
