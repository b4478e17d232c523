// Private to the loader: typed reads of yaml-cpp nodes that report every problem with the node's
// file:line:column and the key path ("steps[2].cancel.timeout") instead of throwing, so that one
// pass over a file collects all of its errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/clock.h"
#include "harness/core/status.h"
#include "harness/model/scenario.h"
#include "scenarios/loader.h"

namespace rpcfit::scenarios::detail {

using Names = std::span<const std::string_view>;

// Inputs beyond this are refused before parsing: a scenario is a page of YAML, and the cap keeps
// a hostile file from costing unbounded memory.
inline constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;
// The largest byte count a file may ask the harness to allocate (call input, server response).
inline constexpr std::int64_t kMaxPayloadBytes = std::int64_t{16} << 20;
// Errors kept per file; past this a file is noise, and each message may name many known keys.
inline constexpr std::size_t kMaxErrors = 100;

struct Entry {
  YAML::Node key;
  YAML::Node value;
};

std::string key_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);
std::string in_quotes(std::string_view text);
// What a node is, for "got ..." in messages: "\"two\"", "a list", "a mapping", "nothing".
std::string describe(const YAML::Node& node);
// "a, b, c".
std::string join(Names names);
// The candidate within edit distance 2 of `word` (the nearest; the first on a tie).
std::optional<std::string_view> closest(std::string_view word, Names candidates);
// " (did you mean \"x\"?)" for a near miss, else "".
std::string did_you_mean(std::string_view word, Names candidates);
// The first entry of `map` with scalar key `key`.
std::optional<Entry> find(const YAML::Node& map, std::string_view key);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  run::SourceLoc loc(const YAML::Node& node) const;
  run::SourceLoc file_loc() const { return run::SourceLoc{file_, 0, 0}; }

  // `path` leads the message ("steps[2].at: ..."); an empty path leaves the message alone.
  void error(const run::SourceLoc& loc, const std::string& path, const std::string& message);
  void error(const YAML::Node& node, const std::string& path, const std::string& message) {
    error(loc(node), path, message);
  }
  std::vector<LoadError> take_errors() { return std::move(errors_); }
  // Errors beyond kMaxErrors, counted but not kept.
  std::size_t dropped() const { return dropped_; }

  // A mapping whose keys are scalars, each written once; reported otherwise. Entries with bad
  // keys are still readable by find(); the caller simply never asks for them.
  bool is_mapping(const YAML::Node& node, const std::string& path);
  // is_mapping() and every key one of `known`.
  bool mapping(const YAML::Node& node, const std::string& path, Names known);
  bool sequence(const YAML::Node& node, const std::string& path);
  // find(), reporting a missing key at the mapping.
  std::optional<Entry> require(const YAML::Node& map, const std::string& path,
                               std::string_view key);

  // A scalar as written (a number stays text).
  std::optional<std::string> text(const YAML::Node& node, const std::string& path);
  std::optional<std::string> non_empty(const YAML::Node& node, const std::string& path);
  // Decimal or 0x hex, within [min, max].
  std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& path,
                                      std::int64_t min, std::int64_t max);
  std::optional<double> number(const YAML::Node& node, const std::string& path, double min,
                               double max);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  // fault::parse_duration's form; never negative.
  std::optional<Duration> duration(const YAML::Node& node, const std::string& path);
  std::optional<RpcStatus> status(const YAML::Node& node, const std::string& path);
  std::optional<std::uint32_t> nca_status(const YAML::Node& node, const std::string& path);
  // Cancel timeouts in whole seconds: a 32-bit LONG, or `infinite` (-1).
  std::optional<long> seconds(const YAML::Node& node, const std::string& path);
  // A thread access mask: a number, a right's name, or a list of names OR-ed together.
  std::optional<std::uint32_t> access(const YAML::Node& node, const std::string& path);
  // The index in `names` of the scalar's value; `what` names the set in the message.
  std::optional<std::size_t> choice(const YAML::Node& node, const std::string& path, Names names,
                                    std::string_view what);

 private:
  std::string file_;
  std::vector<LoadError> errors_;
  std::size_t dropped_ = 0;
};

}  // namespace rpcfit::scenarios::detail
