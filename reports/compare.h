// Comparing runs (`rpcfit report diff`, `rpcfit run --baseline`) and merging shards' reports
// (`rpcfit report merge`). Runs are matched scenario by scenario by their label (the id, and the
// repetition when a run repeats).
//
// What counts as a regression: a run that fails now (FAIL, ERROR, XPASS) and did not fail in the
// baseline, including a scenario the baseline did not have. Timing drift and capture changes are
// reported, and are regressions only when asked for.
#pragma once

#include <string>
#include <vector>

#include "harness/core/result.h"
#include "reports/report.h"

namespace rpcfit::reports {

struct DiffOptions {
  // An instant (a call's end) or a wall time drifts when it moved by more than both of these.
  double drift_percent = 20;
  double drift_min_ms = 50;
  bool drift_is_regression = false;
  bool capture_change_is_regression = false;
};

struct Change {
  std::string label;
  std::string before;  // the baseline's verdict (or digest, or instant); "" when absent
  std::string after;
  std::string detail;  // the first mismatch or reason now; what drifted
};

struct ReportDiff {
  std::vector<Change> new_failures;
  std::vector<Change> fixed;          // failing in the baseline, not failing now
  std::vector<Change> still_failing;  // failing in both
  std::vector<Change> added;          // only in the new run (those failing are new failures too)
  std::vector<Change> removed;        // only in the baseline
  std::vector<Change> drift;
  std::vector<Change> capture_changes;
  DiffOptions options;

  bool regressed() const;
};

ReportDiff diff_reports(const RunReport& baseline, const RunReport& now,
                        const DiffOptions& options = {});

// The comparison as text: the two runs, then each list that is not empty, then one line that
// says REGRESSION or no regression. `base_name` and `new_name` name the two sides.
std::string to_text(const ReportDiff& diff, const RunReport& baseline, const RunReport& now,
                    const std::string& base_name, const std::string& new_name);

// One report of several (the shards of one run): every scenario, in id order; the earliest start,
// the longest wall time, the first report's settings without its shard. Two reports with the same
// run of one scenario are refused, naming it.
Result<RunReport, std::string> merge_reports(const std::vector<RunReport>& reports);

}  // namespace rpcfit::reports
