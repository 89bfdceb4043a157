// A migration.yaml with its secrets masked, for the job database and the job view: the
// value of every key that names a credential (password, secretAccessKey, apiKey, token,
// cert, ... — core/redact.h's IsSecretParameter, plus "ak"/"sk") becomes "***", and every
// other string passes through RedactText (URLs and DSNs with credentials in them).
#pragma once

#include <string>

#include "core/status.h"

namespace mm {

struct RedactedConfig {
  std::string yaml;     // the tree, masked, as YAML
  bool changed = false; // something was masked: the text alone cannot run the job again
};

// InvalidArgument naming `origin` when `yaml_text` is not YAML.
Result<RedactedConfig> RedactConfigText(const std::string& yaml_text, const std::string& origin);

}  // namespace mm
