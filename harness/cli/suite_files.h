// Loading the scenario files a command names (`rpcfit run / list / validate`): every file under
// the paths, each checked whole, and the suite-wide checks. Problems are printed one per line as
// file:line:column: message.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/model/scenario.h"

namespace rpcfit::cli {

// The paths a command was given, or ["scenarios"] when none.
std::vector<std::string> scenario_paths(const std::vector<std::string>& given);

struct SuiteLoad {
  std::vector<run::Scenario> scenarios;  // the valid ones
  std::size_t files = 0;
  std::size_t errors = 0;  // problems printed
};
// Loads every file, printing each problem to `err`.
SuiteLoad load_suite(const std::vector<std::string>& paths, std::ostream& err);

}  // namespace rpcfit::cli
