#include "harness/run/selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace rpcfit::run {
namespace {

std::optional<unsigned> parse_unsigned(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

bool has_wildcard(std::string_view glob) {
  return glob.find_first_of("*?[") != std::string_view::npos;
}

}  // namespace

Result<Shard, std::string> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return unexpected("--shard: expected I/N, e.g. 0/4, got \"" + std::string(text) + "\"");
  }
  const auto index = parse_unsigned(text.substr(0, slash));
  const auto count = parse_unsigned(text.substr(slash + 1));
  if (!index || !count || *count == 0 || *index >= *count) {
    return unexpected("--shard: expected I/N with 0 <= I < N, got \"" + std::string(text) + "\"");
  }
  return Shard{*index, *count};
}

Result<std::optional<Shard>, std::string> shard_from_environment() {
  const char* index = std::getenv("GTEST_SHARD_INDEX");
  const char* total = std::getenv("GTEST_TOTAL_SHARDS");
  if (index == nullptr || total == nullptr) return std::optional<Shard>{};
  auto shard = parse_shard(std::string(index) + "/" + total);
  if (!shard) {
    return unexpected("GTEST_SHARD_INDEX=" + std::string(index) +
                      " and GTEST_TOTAL_SHARDS=" + total + " do not name a shard");
  }
  return std::optional<Shard>{*shard};
}

bool id_matches(std::string_view glob, std::string_view id) {
  const std::string g(glob);
  const std::string i(id);
  if (::fnmatch(g.c_str(), i.c_str(), 0) == 0) return true;
  if (has_wildcard(glob)) return false;
  // A plain prefix names a folder of ids.
  std::string folder = g;
  while (!folder.empty() && folder.back() == '/')
    folder.pop_back();
  return !folder.empty() && i.size() > folder.size() && i.compare(0, folder.size(), folder) == 0 &&
         i[folder.size()] == '/';
}

std::vector<const Scenario*> select(const std::vector<Scenario>& scenarios,
                                    const Selection& selection) {
  std::vector<const Scenario*> chosen;
  for (const Scenario& s : scenarios) {
    auto matches = [&](const std::string& glob) { return id_matches(glob, s.id); };
    if (!selection.filters.empty() &&
        std::none_of(selection.filters.begin(), selection.filters.end(), matches)) {
      continue;
    }
    if (std::any_of(selection.excludes.begin(), selection.excludes.end(), matches)) continue;
    if (selection.level && s.level != *selection.level) continue;
    const bool tagged = std::all_of(selection.tags.begin(), selection.tags.end(), [&](auto& t) {
      return std::find(s.tags.begin(), s.tags.end(), t) != s.tags.end();
    });
    if (!tagged) continue;
    const bool cites =
        selection.rules.empty() ||
        std::any_of(selection.rules.begin(), selection.rules.end(), [&](const std::string& r) {
          return std::find(s.spec.begin(), s.spec.end(), r) != s.spec.end();
        });
    if (!cites) continue;
    chosen.push_back(&s);
  }
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const Scenario* a, const Scenario* b) { return a->id < b->id; });
  std::vector<const Scenario*> sharded;
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    if (k % selection.shard.count == selection.shard.index) sharded.push_back(chosen[k]);
  }
  return sharded;
}

}  // namespace rpcfit::run
