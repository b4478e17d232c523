#include "harness/cli/suite_commands.h"

#include <nlohmann/json.hpp>

#include "harness/cli/suite_files.h"
#include "harness/run/selection.h"

namespace rpcfit::cli {
namespace {

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : sep) + item;
  return text;
}

nlohmann::json to_json(const run::Scenario& s) {
  nlohmann::json j{{"id", s.id},          {"title", s.title},
                   {"file", s.loc.file},  {"level", std::string(run::level_name(s.level))},
                   {"tags", s.tags},      {"spec", s.spec},
                   {"protseq", s.protseq}};
  j["xfail"] = s.xfail ? nlohmann::json(*s.xfail) : nlohmann::json(nullptr);
  j["skip"] = s.skip ? nlohmann::json(*s.skip) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

int list_command(const ListOptions& o, std::ostream& out, std::ostream& err) {
  run::Selection selection;
  selection.filters = o.filters;
  selection.excludes = o.excludes;
  selection.tags = o.tags;
  if (o.level == "must") selection.level = run::Level::must;
  if (o.level == "should") selection.level = run::Level::should;
  if (!o.level.empty() && !selection.level) {
    err << "rpcfit: list: --level: expected must or should, got \"" << o.level << "\"\n";
    return 2;
  }
  const auto load = load_suite(scenario_paths(o.paths), err);
  if (load.errors > 0) return 2;
  const auto chosen = run::select(load.scenarios, selection);
  if (o.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto* s : chosen)
      all.push_back(to_json(*s));
    out << all.dump(2) << '\n';
  } else {
    for (const auto* s : chosen) {
      out << s->id << "  " << run::level_name(s->level) << "  [" << joined(s->tags, ",") << "]  "
          << joined(s->spec, ",") << "  " << s->title << '\n';
    }
  }
  if (chosen.empty()) {
    err << "rpcfit: list: no scenario selected\n";
    return 3;
  }
  return 0;
}

int validate_command(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err) {
  const auto load = load_suite(scenario_paths(paths), err);
  if (load.errors > 0) {
    err << "rpcfit: validate: " << load.errors << " problem(s) in " << load.files << " file(s)\n";
    return 2;
  }
  if (load.files == 0) {
    err << "rpcfit: validate: no scenario files found\n";
    return 3;
  }
  out << load.files << " file(s), " << load.scenarios.size() << " scenario(s): valid\n";
  return 0;
}

}  // namespace rpcfit::cli
