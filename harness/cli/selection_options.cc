#include "harness/cli/selection_options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>

#include "harness/model/rules.h"

namespace rpcfit::cli {

void add_selection_options(CLI::App& app, SelectionOptions& o, Sharding sharding) {
  app.add_option(
      "--filter", o.filters,
      "Only ids matching this glob (* ? [..]; a plain prefix takes a folder); repeatable");
  app.add_option("--exclude", o.excludes, "Leave out ids matching this glob; repeatable");
  app.add_option("--tag", o.tags, "Only scenarios with this tag; repeatable (all must match)");
  app.add_option("--rule", o.rules,
                 "Only scenarios citing this rule (CS-TMO-2) in spec; repeatable (any matches)");
  app.add_option("--level", o.level, "Only must or should scenarios");
  if (sharding == Sharding::allowed) {
    app.add_option("--shard", o.shard,
                   "Run shard I of N (I/N); default from GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS");
  }
}

Result<run::Selection, std::string> parse_selection(const SelectionOptions& o, Sharding sharding) {
  run::Selection selection;
  selection.filters = o.filters;
  selection.excludes = o.excludes;
  selection.tags = o.tags;
  for (const std::string& rule : o.rules) {
    if (run::find_rule(rule) == nullptr) {
      return unexpected("--rule: unknown rule \"" + rule +
                        "\" (the rules are spec/cancel-semantics.md's, e.g. CS-TMO-2)");
    }
  }
  selection.rules = o.rules;
  if (o.level == "must") selection.level = run::Level::must;
  if (o.level == "should") selection.level = run::Level::should;
  if (!o.level.empty() && !selection.level) {
    return unexpected("--level: expected must or should, got \"" + o.level + "\"");
  }
  if (sharding == Sharding::none) return selection;
  if (!o.shard.empty()) {
    auto shard = run::parse_shard(o.shard);
    if (!shard) return unexpected(shard.error());
    selection.shard = *shard;
    return selection;
  }
  auto shard = run::shard_from_environment();
  if (!shard) return unexpected(shard.error());
  if (*shard) {
    selection.shard = **shard;
    // GoogleTest's protocol: a runner that shards touches this file to say so.
    if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE")) std::ofstream{status};
  }
  return selection;
}

}  // namespace rpcfit::cli
