#include "harness/cli/suite_commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness/cli/suite_files.h"
#include "harness/model/rules.h"
#include "harness/run/selection.h"

namespace rpcfit::cli {
namespace {

std::string joined(const std::vector<std::string>& items, const char* sep) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : sep) + item;
  return text;
}

std::string all_rules_covered_line(const std::vector<std::string>& uncovered) {
  const std::size_t total = run::all_rules().size();
  if (uncovered.empty()) return "every one of the " + std::to_string(total) + " rules is covered";
  return std::to_string(uncovered.size()) + " of the " + std::to_string(total) +
         " rules have no scenario: " + joined(uncovered, " ");
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

// --coverage: the rules and their scenarios, as text or JSON; whether every rule is covered.
bool print_coverage(const std::vector<const run::Scenario*>& chosen, bool json, std::ostream& out) {
  std::vector<std::string> uncovered;
  nlohmann::json rules = nlohmann::json::array();
  for (const run::Rule& rule : run::all_rules()) {
    std::vector<std::string> ids;
    for (const run::Scenario* s : chosen) {
      if (s->skip || s->xfail) continue;
      if (std::find(s->spec.begin(), s->spec.end(), rule.id) != s->spec.end()) ids.push_back(s->id);
    }
    if (ids.empty()) uncovered.emplace_back(rule.id);
    if (json) {
      rules.push_back({{"rule", rule.id},
                       {"level", std::string(run::level_name(rule.level))},
                       {"area", rule.area},
                       {"summary", rule.summary},
                       {"scenarios", ids}});
      continue;
    }
    char head[64];
    std::snprintf(head, sizeof head, "%-11s %-6s %-10s %3zu  ", std::string(rule.id).c_str(),
                  std::string(run::level_name(rule.level)).c_str(), std::string(rule.area).c_str(),
                  ids.size());
    out << head << (ids.empty() ? "(none)" : joined(ids, " ")) << '\n';
  }
  if (json) {
    out << nlohmann::json{{"rules", rules}, {"uncovered", uncovered}}.dump(2) << '\n';
  } else {
    out << all_rules_covered_line(uncovered) << '\n';
  }
  return uncovered.empty();
}

}  // namespace

int list_command(const ListOptions& o, std::ostream& out, std::ostream& err) {
  const auto selection = parse_selection(o.selection, Sharding::none);
  if (!selection) {
    err << "rpcfit: list: " << selection.error() << '\n';
    return 2;
  }
  const auto load = load_suite(scenario_paths(o.paths), err);
  if (load.errors > 0) return 2;
  const auto chosen = run::select(load.scenarios, *selection);
  if (o.coverage) {
    if (chosen.empty()) {
      err << "rpcfit: list: no scenario selected\n";
      return 3;
    }
    return print_coverage(chosen, o.json, out) ? 0 : 1;
  }
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

Command add_list_command(CLI::App& rpcfit) {
  auto o = std::make_shared<ListOptions>();
  CLI::App* list =
      rpcfit.add_subcommand("list", "List scenarios: id, level, tags, spec rules, title");
  list->add_option("PATH", o->paths, "Scenario files or directories (default: scenarios/)");
  add_selection_options(*list, o->selection, Sharding::none);
  list->add_flag("--json", o->json, "A JSON array of scenario objects");
  list->add_flag("--coverage", o->coverage,
                 "Each spec rule with the scenarios that name it, and the rules none names (exit "
                 "1 when there is one)");
  return Command{list, [o] { return list_command(*o, std::cout, std::cerr); }};
}

Command add_validate_command(CLI::App& rpcfit) {
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* validate = rpcfit.add_subcommand(
      "validate", "Check scenario files without running them; problems as file:line:column");
  validate->add_option("PATH", *paths, "Scenario files or directories (default: scenarios/)");
  return Command{validate, [paths] { return validate_command(*paths, std::cout, std::cerr); }};
}

}  // namespace rpcfit::cli
