// The options that choose scenarios, shared by `rpcfit run` and `rpcfit list`, and their one
// parser into a run::Selection (harness/run/selection.h).
#pragma once

#include <string>
#include <vector>

#include "harness/core/result.h"
#include "harness/run/selection.h"

namespace CLI {
class App;
}

namespace rpcfit::cli {

struct SelectionOptions {
  std::vector<std::string> filters;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::vector<std::string> rules;
  std::string level;  // "", must, should
  // "I/N"; empty: GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS (where the command shards), else 0/1.
  std::string shard;
};

enum class Sharding : bool { none, allowed };

// --filter, --exclude, --tag, --level; and --shard with Sharding::allowed.
void add_selection_options(CLI::App& app, SelectionOptions& options, Sharding sharding);

// The selection, or what is wrong with the options ("--level: expected must or should, got
// \"x\""). With Sharding::allowed and no --shard, GoogleTest's sharding variables give the shard,
// and GTEST_SHARD_STATUS_FILE is touched to say the command shards.
Result<run::Selection, std::string> parse_selection(const SelectionOptions& options,
                                                    Sharding sharding);

}  // namespace rpcfit::cli
