// Typed access to the dotted keys of a parsed migration.yaml, with errors that name the key
// and the file. Shared by the parsers of each source's section.
//
// Keys are matched case-insensitively, as the Go tool's viper did (`FAISSFile`, `faissfile`
// and `faissFile` are one key); two keys of one mapping that differ only by case are an error.
// The reader remembers every key path it is asked for (Find, Has, Get*, Items, MarkSubtree),
// so that after parsing UnknownKeys() can name the keys of the file nobody read.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/status.h"

namespace mm {

// Typed access to dotted keys, with errors naming the key and the file.
class ConfigReader {
 public:
  // `prefix` is prepended to keys in messages: a reader of one list item names its keys
  // "meta.fields[2].name".
  ConfigReader(YAML::Node root, std::string path, std::string prefix = "")
      : root_(std::move(root)),
        path_(std::move(path)),
        prefix_(std::move(prefix)),
        asked_(std::make_shared<Asked>()) {}

  // The node at dotted `key` (Undefined if absent), each part matched case-insensitively.
  // Records `key` as known. Two keys of one mapping matching a part are recorded as a
  // duplicate (DuplicateKeys() reports it; the Get* methods fail on it at once).
  YAML::Node Find(const std::string& key) const {
    std::string ignored;
    return Lookup(key, &ignored);
  }
  bool Has(const std::string& key) const {
    YAML::Node n = Find(key);
    return n.IsDefined() && !n.IsNull();
  }

  // Marks `key` and everything under it as known: a free-form value (a map of names) whose
  // keys are data, not settings.
  void MarkSubtree(const std::string& key) const {
    Record(key);
    asked_->subtrees.insert(Lower(prefix_ + key));
  }

  // InvalidArgument naming both spellings if two keys of one mapping asked for so far differ
  // only by case; OK otherwise.
  Status DuplicateKeys() const {
    if (asked_->duplicates.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(StrCat(path_, ": ", *asked_->duplicates.begin()));
  }

  // One message per key of the file that no parser asked for and that is not in
  // `also_known` (dotted paths, any case, each with its whole subtree): "unknown key
  // [target.create.collection.shardsNums] (did you mean target.create.collection.shardsNum?)".
  // The suggestion is the asked-for or `also_known` key nearest by edit distance, if near.
  // Call after parsing, on the reader the parse started from.
  std::vector<std::string> UnknownKeys(const std::vector<std::string>& also_known) const;

  Status Get(const std::string& key, std::string* out) const {
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    if (!n.IsScalar()) return Error(key, "a string");
    *out = n.Scalar();
    return absl::OkStatus();
  }
  // An integer without bounds. Every number of migration.yaml has bounds: read those with
  // GetIntInRange.
  template <typename Int>
  Status GetInt(const std::string& key, Int* out) const {
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    try {
      *out = n.as<Int>();
    } catch (const YAML::Exception&) {
      return Error(key, "an integer");
    }
    return absl::OkStatus();
  }
  Status Get(const std::string& key, double* out) const {
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    try {
      *out = n.as<double>();
    } catch (const YAML::Exception&) {
      return Error(key, "a number");
    }
    return absl::OkStatus();
  }
  // An integer key that must lie in [min, max]; absent leaves *out as it is (the default,
  // which the caller keeps in range). `unit` ("KB", "seconds") is named in the message.
  // Any number outside the range, however large, is InvalidArgument naming the key and the
  // range, before any arithmetic (KB to bytes, seconds to a deadline) could overflow.
  template <typename Int>
  Status GetIntInRange(const std::string& key, Int* out, int64_t min, int64_t max,
                       std::string_view unit = "") const {
    static_assert(std::is_integral_v<Int>);
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    const std::string range =
        StrCat("between ", min, " and ", max, unit.empty() ? "" : " ", unit);
    if (!n.IsScalar()) return Error(key, StrCat("an integer ", range));
    const std::string& text = n.Scalar();
    int64_t value = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (first != last && *first == '+') ++first;
    auto [end, ec] = std::from_chars(first, last, value);
    if (ec == std::errc::result_out_of_range) {
      return Invalid(key, StrCat("must be ", range, ", got ", text));
    }
    if (ec != std::errc() || end != last) return Error(key, StrCat("an integer ", range));
    if (value < min || value > max) return Invalid(key, StrCat("must be ", range, ", got ", text));
    *out = static_cast<Int>(value);
    return absl::OkStatus();
  }

  Status Get(const std::string& key, bool* out) const {
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    try {
      *out = n.as<bool>();
    } catch (const YAML::Exception&) {
      return Error(key, "true or false");
    }
    return absl::OkStatus();
  }

  // The names are data (collection names, index parameters): matched as written, and known.
  Status Get(const std::string& key, std::map<std::string, std::string>* out) const {
    MarkSubtree(key);
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    if (!n.IsMap()) return Error(key, "a mapping of names to values");
    for (const auto& kv : n) {
      if (!kv.second.IsScalar()) return Error(key + "." + kv.first.as<std::string>(), "a value");
      (*out)[kv.first.as<std::string>()] = kv.second.Scalar();
    }
    return absl::OkStatus();
  }

  // A string, or a list of strings (a single string is a list of one).
  Status Get(const std::string& key, std::vector<std::string>* out) const {
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    if (n.IsScalar()) {
      out->push_back(n.Scalar());
      return absl::OkStatus();
    }
    if (!n.IsSequence()) return Error(key, "a list of strings");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return Error(StrCat(key, "[", i, "]"), "a string");
      out->push_back(n[i].Scalar());
    }
    return absl::OkStatus();
  }

  // One reader per item of a list of mappings (absent: none).
  Result<std::vector<ConfigReader>> Items(const std::string& key) const {
    YAML::Node n;
    RETURN_IF_ERROR(FindChecked(key, &n));
    std::vector<ConfigReader> items;
    if (!n.IsDefined() || n.IsNull()) return items;
    if (!n.IsSequence()) return Error(key, "a list");
    for (size_t i = 0; i < n.size(); ++i) {
      std::string item_key = StrCat(prefix_, key, "[", i, "]");
      if (!n[i].IsMap()) {
        return absl::InvalidArgumentError(
            StrCat(path_, ": [", item_key, "] expected a mapping of keys to values"));
      }
      ConfigReader item(n[i], path_, item_key + ".");
      item.asked_ = asked_;
      items.push_back(std::move(item));
    }
    return items;
  }

  Status Error(const std::string& key, const std::string& expected) const {
    YAML::Node n = Find(key);
    std::string got = n.IsScalar() ? "'" + n.Scalar() + "'" : "a nested value";
    return absl::InvalidArgumentError(
        StrCat(path_, ": [", prefix_, key, "] expected ", expected, ", got ", got));
  }
  Status Invalid(const std::string& key, const std::string& what) const {
    return absl::InvalidArgumentError(StrCat(path_, ": [", prefix_, key, "] ", what));
  }

 private:
  // What the parse asked for, shared by a reader and the readers of its list items; paths
  // lower-cased, with the item readers' prefixes ("meta.fields[2].name").
  struct Asked {
    std::set<std::string> keys;      // every asked path and each of its parents
    std::set<std::string> subtrees;  // paths whose whole subtree is known
    std::set<std::string> duplicates;
    std::map<std::string, std::string> spelling;  // asked path -> as the parser wrote it
  };

  static std::string Lower(std::string_view s);
  void Record(const std::string& key) const;
  // Find, plus InvalidArgument if a part of `key` matches two keys of one mapping.
  Status FindChecked(const std::string& key, YAML::Node* out) const {
    std::string duplicate;
    *out = Lookup(key, &duplicate);
    if (duplicate.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(StrCat(path_, ": ", duplicate));
  }
  // The node at `key`; `*duplicate` is set to a message if a part matched two keys.
  YAML::Node Lookup(const std::string& key, std::string* duplicate) const;

  YAML::Node root_;
  std::string path_;
  std::string prefix_;
  std::shared_ptr<Asked> asked_;
};

}  // namespace mm
