// Reading scenario files: YAML (yaml-cpp) into the scenario model (harness/model/scenario.h), with
// every problem reported at its file:line:column. The schema is scenarios/README.md.
//
// A file is checked whole: every problem is reported, not just the first. Checks: YAML syntax;
// unknown keys (with the known ones named, and a "did you mean" for a near miss); wrong types;
// unknown status names, rule IDs, behaviours, protocol sequences, PDU types and PDU field names;
// fault specs (harness/fault); durations; and the timeline: negative instants, a step naming a
// call, handle or thread nothing defines (or defines only later), an async_cancel of a sync call,
// two calls with one id, expectations naming unknown calls or times before the step they follow.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/scenario.h"

namespace rpcfit::scenarios {

struct LoadError {
  run::SourceLoc loc;
  std::string message;
};
// "scenarios/cancel/x.yaml:12:5: steps[1].cancel.timeout: expected an integer, got \"two\""
std::string to_string(const LoadError& error);

struct Loaded {
  std::optional<run::Scenario> scenario;  // set when there are no errors
  std::vector<LoadError> errors;
};

// `file_name` is what locations name (the path as the user gave it).
Loaded load_scenario_text(std::string_view text, const std::string& file_name);
// An unreadable file is one error at the file.
Loaded load_scenario_file(const std::filesystem::path& file);

// The scenario files under each path: a file as it is, a directory searched recursively for
// *.yaml and *.yml (sorted, so runs are reproducible). A path that does not exist is an error.
std::vector<std::filesystem::path> find_scenario_files(const std::vector<std::string>& paths,
                                                       std::vector<LoadError>& errors);

// Suite-wide checks over loaded scenarios: two files with one id (both named).
std::vector<LoadError> check_suite(const std::vector<run::Scenario>& scenarios);

}  // namespace rpcfit::scenarios
