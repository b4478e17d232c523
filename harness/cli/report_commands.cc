#include "harness/cli/report_commands.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "reports/compare.h"
#include "reports/report_files.h"
#include "reports/report_json.h"

namespace rpcfit::cli {

int report_diff_command(const ReportDiffOptions& o, std::ostream& out, std::ostream& err) {
  auto baseline = reports::read_report_file(o.baseline);
  auto next = reports::read_report_file(o.next);
  for (const auto* r : {&baseline, &next}) {
    if (!*r) {
      err << "rpcfit: report diff: " << r->error() << '\n';
      return 2;
    }
  }
  reports::DiffOptions options;
  options.drift_percent = o.drift_percent;
  options.drift_min_ms = o.drift_min_ms;
  options.drift_is_regression = o.fail_on_drift;
  options.capture_change_is_regression = o.fail_on_capture_change;
  const reports::ReportDiff diff = reports::diff_reports(*baseline, *next, options);
  out << reports::to_text(diff, *baseline, *next, o.baseline, o.next);
  return diff.regressed() ? 1 : 0;
}

int report_merge_command(const std::vector<std::string>& inputs, const std::string& folder,
                         std::ostream& out, std::ostream& err) {
  std::vector<reports::RunReport> shards;
  for (const std::string& input : inputs) {
    auto r = reports::read_report_file(input);
    if (!r) {
      err << "rpcfit: report merge: " << r.error() << '\n';
      return 2;
    }
    shards.push_back(std::move(*r));
  }
  auto merged = reports::merge_reports(shards);
  if (!merged) {
    err << "rpcfit: report merge: " << merged.error() << '\n';
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (auto problem = reports::write_report_files(folder, *merged)) {
    err << "rpcfit: report merge: " << *problem << '\n';
    return 2;
  }
  const reports::Totals t = merged->totals();
  out << "merged " << inputs.size() << " report(s): " << t.runs << " runs, " << t.passed
      << " passed, " << t.failing() << " failing; wrote " << folder
      << "/{report.json,junit.xml,report.html,summary.md}\n";
  return t.failing() > 0 ? 1 : 0;
}

void add_report_commands(CLI::App& rpcfit, Commands& commands) {
  CLI::App* report = rpcfit.add_subcommand("report", "Compare and merge run reports (report.json)");
  report->require_subcommand(1);

  auto diff_options = std::make_shared<ReportDiffOptions>();
  CLI::App* diff = report->add_subcommand(
      "diff", "Compare a run with a baseline: new failures, fixes, drift, capture changes");
  diff->add_option("BASELINE", diff_options->baseline, "The baseline's report.json")->required();
  diff->add_option("NEW", diff_options->next, "The new run's report.json")->required();
  diff->add_option("--drift", diff_options->drift_percent,
                   "Timing drift reported beyond this percentage (default 20)");
  diff->add_option("--drift-min", diff_options->drift_min_ms,
                   "... and beyond this many milliseconds (default 50)");
  diff->add_flag("--fail-on-drift", diff_options->fail_on_drift,
                 "Timing drift is a regression too");
  diff->add_flag("--fail-on-capture-change", diff_options->fail_on_capture_change,
                 "A changed capture is a regression too");
  diff->footer("Exit status: 0 no regression, 1 a regression, 2 a report cannot be read.");
  commands.push_back(
      {diff, [diff_options] { return report_diff_command(*diff_options, std::cout, std::cerr); }});

  struct MergeOptions {
    std::vector<std::string> inputs;
    std::string out;
  };
  auto merge_options = std::make_shared<MergeOptions>();
  CLI::App* merge = report->add_subcommand(
      "merge", "Merge the report.json files of a run's shards into one run's reports");
  merge->add_option("REPORT", merge_options->inputs, "The shards' report.json files")->required();
  merge->add_option("--out", merge_options->out, "Folder for the merged reports")->required();
  commands.push_back({merge, [merge_options] {
                        return report_merge_command(merge_options->inputs, merge_options->out,
                                                    std::cout, std::cerr);
                      }});
}

}  // namespace rpcfit::cli
