// Which scenarios a run takes: --filter and --exclude globs over ids (fnmatch: * ? [..]; a glob
// without a wildcard also matches every id under it as a folder, so `timeout/co` takes
// `timeout/co/...`), --tag, --rule, --level, and --shard I/N (GoogleTest's: the k-th selected
// scenario, in id order, goes to shard k mod N).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/result.h"
#include "harness/model/scenario.h"

namespace rpcfit::run {

struct Shard {
  unsigned index = 0;
  unsigned count = 1;
};
// "I/N" with 0 <= I < N.
Result<Shard, std::string> parse_shard(std::string_view text);
// From GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS when both are set (nullopt otherwise; an error
// when they are set but malformed).
Result<std::optional<Shard>, std::string> shard_from_environment();

struct Selection {
  std::vector<std::string> filters;   // any matches (none given: all)
  std::vector<std::string> excludes;  // none matches
  std::vector<std::string> tags;      // has every one
  std::vector<std::string> rules;     // cites any one in `spec:` (none given: all)
  std::optional<Level> level;
  Shard shard;
};

bool id_matches(std::string_view glob, std::string_view id);

// The selected scenarios, ordered by id.
std::vector<const Scenario*> select(const std::vector<Scenario>& scenarios,
                                    const Selection& selection);

}  // namespace rpcfit::run
