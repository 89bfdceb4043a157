#include "sources/redis/redis_cluster.h"

#include <algorithm>
#include <charconv>


namespace mm {
namespace {

// The pieces of `s` between `sep`s, empty ones left out.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t at = s.find(sep);
    std::string_view piece = s.substr(0, at);
    if (!piece.empty()) out.push_back(piece);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

bool ToInt(std::string_view s, int* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Result<std::vector<RedisClusterMaster>> ParseClusterNodes(const std::string& text) {
  std::vector<RedisClusterMaster> out;
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::vector<std::string_view> parts = Split(line, ' ');
    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <state> <slots>...
    if (parts.size() < 8) {
      return absl::DataLossError(StrCat("redis: CLUSTER NODES line '", line,
                                        "' has fewer than 8 fields"));
    }
    const std::vector<std::string_view> flags = Split(parts[2], ',');
    auto has = [&](std::string_view f) {
      return std::find(flags.begin(), flags.end(), f) != flags.end();
    };
    if (!has("master") || has("fail") || has("noaddr")) continue;
    RedisClusterMaster m;
    m.id = std::string(parts[0]);
    std::string_view addr = parts[1];
    addr = addr.substr(0, addr.find_first_of("@,"));
    const size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos || !ToInt(addr.substr(colon + 1), &m.port)) {
      return absl::DataLossError(StrCat("redis: CLUSTER NODES address '", parts[1],
                                        "' is not host:port"));
    }
    m.host = std::string(addr.substr(0, colon));
    for (size_t i = 8; i < parts.size(); ++i) {
      if (parts[i].front() == '[') continue;  // a slot being migrated or imported
      std::vector<std::string_view> range = Split(parts[i], '-');
      int a = 0;
      int b = 0;
      if (!ToInt(range[0], &a) || (range.size() > 1 && !ToInt(range[1], &b))) {
        return absl::DataLossError(StrCat("redis: CLUSTER NODES slot range '", parts[i],
                                          "' is not a number or a-b"));
      }
      m.slots.emplace_back(a, range.size() > 1 ? b : a);
    }
    if (m.slots.empty()) continue;
    std::sort(m.slots.begin(), m.slots.end());
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const RedisClusterMaster& a, const RedisClusterMaster& b) {
    return a.first_slot() < b.first_slot();
  });
  return out;
}

std::string RedisClusterTaskId(const RedisClusterMaster& m) {
  return StrCat("slots-", m.first_slot());
}

}  // namespace mm
