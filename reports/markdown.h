// The run report as a Markdown summary for a CI page: GitHub Actions' step summary
// ($GITHUB_STEP_SUMMARY) or a GitLab comment. In order:
//
//   - a headline: "**PASSED**" or "**FAILED**" (FAIL, ERROR or XPASS fail a run)
//   - the totals line as `rpcfit run` prints it, the seed and settings, and when the run failed
//     the command that replays the failing scenarios
//   - a table of the runs that did not pass (failing ones first): verdict, scenario, first
//     mismatch or reason, file:line
//   - a collapsed <details> section per failing run: every mismatch and the capture diff
//   - a table per spec area: runs, passed, failing
//
// GitHub caps a step summary at 1 MiB, so the table and the sections are capped (the text says
// how many were left out; report.json has them all). Text from the report is escaped for where
// it goes (table cell, HTML, code block) and made valid UTF-8.
#pragma once

#include <string>

#include "reports/report.h"

namespace rpcfit::reports {

std::string markdown_summary(const RunReport& report);

}  // namespace rpcfit::reports
