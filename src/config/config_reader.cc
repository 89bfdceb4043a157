#include "config/config_reader.h"

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace mm {
namespace {

// Levenshtein distance: insertions, deletions and substitutions, one each.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view LastPart(std::string_view path) {
  const size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// Every dotted prefix of `path`, itself included: "a.b[0].c" gives a, a.b[0], a.b[0].c.
std::vector<std::string> PathAndParents(const std::string& path) {
  std::vector<std::string> out;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    out.push_back(path.substr(0, dot));
  }
  out.push_back(path);
  return out;
}

}  // namespace

std::string ConfigReader::Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

void ConfigReader::Record(const std::string& key) const {
  const std::string spelled = prefix_ + key;
  for (std::string& path : PathAndParents(Lower(spelled))) asked_->keys.insert(std::move(path));
  asked_->spelling.emplace(Lower(spelled), spelled);
}

YAML::Node ConfigReader::Lookup(const std::string& key, std::string* duplicate) const {
  Record(key);
  // reset() rebinds a handle; assigning one node to another would write into the document.
  YAML::Node node;
  node.reset(root_);
  std::string spelled = prefix_;
  for (const auto& part_view : absl::StrSplit(key, '.')) {
    if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const std::string part = Lower(std::string_view(part_view.data(), part_view.size()));
    YAML::Node found;
    std::string found_key;
    bool matched = false;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar() || Lower(kv.first.Scalar()) != part) continue;
      if (matched) {
        *duplicate = StrCat("[", spelled, found_key, "] and [", spelled, kv.first.Scalar(),
                            "] are one key written twice (keys are case-insensitive); keep one");
        asked_->duplicates.insert(*duplicate);
        break;
      }
      matched = true;
      found_key = kv.first.Scalar();
      found.reset(kv.second);
    }
    if (!matched) return YAML::Node(YAML::NodeType::Undefined);
    node.reset(found);
    spelled += found_key + ".";
  }
  return node;
}

std::vector<std::string> ConfigReader::UnknownKeys(
    const std::vector<std::string>& also_known) const {
  std::set<std::string> known = asked_->keys;
  std::set<std::string> whole = asked_->subtrees;
  std::map<std::string, std::string> candidates = asked_->spelling;
  for (const std::string& key : also_known) {
    for (std::string& path : PathAndParents(Lower(key))) known.insert(std::move(path));
    whole.insert(Lower(key));
    candidates.emplace(Lower(key), key);
  }

  std::vector<std::string> unknown;  // as spelled in the file
  // Depth first, in the file's order.
  struct Walker {
    const std::set<std::string>& known;
    const std::set<std::string>& whole;
    std::vector<std::string>& unknown;
    void Walk(const YAML::Node& node, const std::string& path) {
      if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i) Walk(node[i], StrCat(path, "[", i, "]"));
        return;
      }
      if (!node.IsMap()) return;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) continue;
        const std::string child = path.empty() ? kv.first.Scalar() : path + "." + kv.first.Scalar();
        const std::string lower = Lower(child);
        if (whole.count(lower)) continue;
        if (known.count(lower)) {
          Walk(kv.second, child);
        } else {
          unknown.push_back(child);
        }
      }
    }
  };
  const std::string root_path = prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1);
  Walker{known, whole, unknown}.Walk(root_, root_path);

  std::vector<std::string> messages;
  for (const std::string& key : unknown) {
    const std::string lower = Lower(key);
    const std::string_view last = LastPart(lower);
    // Nearest by the whole path, or by the last part alone (a key put in the wrong section).
    size_t best = std::string::npos;
    size_t best_full = std::string::npos;
    const std::string* nearest = nullptr;
    for (const auto& [candidate, spelled] : candidates) {
      const size_t full = EditDistance(lower, candidate);
      const size_t score = std::min(full, EditDistance(last, LastPart(candidate)));
      if (score < best || (score == best && full < best_full)) {
        best = score;
        best_full = full;
        nearest = &spelled;
      }
    }
    const bool near = nearest != nullptr && (best <= 1 || best * 3 <= last.size());
    messages.push_back(StrCat("unknown key [", key, "]",
                              near ? StrCat(" (did you mean ", *nearest, "?)") : ""));
  }
  return messages;
}

}  // namespace mm
