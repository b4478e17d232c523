#include "harness/cli/suite_files.h"

#include "scenarios/loader.h"

namespace rpcfit::cli {

std::vector<std::string> scenario_paths(const std::vector<std::string>& given) {
  if (!given.empty()) return given;
  return {"scenarios"};
}

SuiteLoad load_suite(const std::vector<std::string>& paths, std::ostream& err) {
  SuiteLoad load;
  std::vector<scenarios::LoadError> errors;
  const auto files = scenarios::find_scenario_files(paths, errors);
  load.files = files.size();
  for (const auto& file : files) {
    auto loaded = scenarios::load_scenario_file(file);
    for (const auto& e : loaded.errors)
      errors.push_back(e);
    if (loaded.scenario) load.scenarios.push_back(std::move(*loaded.scenario));
  }
  for (const auto& e : scenarios::check_suite(load.scenarios))
    errors.push_back(e);
  for (const auto& e : errors)
    err << scenarios::to_string(e) << '\n';
  load.errors = errors.size();
  return load;
}

}  // namespace rpcfit::cli
