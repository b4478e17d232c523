// The HTML rendering of a run report: one self-contained HTML5 file (inline CSS and JavaScript,
// inline SVG; nothing fetched, which its Content-Security-Policy also enforces) so it can be
// attached to a CI run or mailed and still open years later.
//
// Layout: a header with the run's settings and totals; a summary table of every run, with
// filters (text, verdicts, area, "failing only") that need JavaScript; then one collapsible
// section per run, failing ones open, holding everything the report has on it, down to the
// sequence diagram of its PDUs. Without JavaScript everything is still shown, unfiltered.
#pragma once

#include <string>

#include "reports/report.h"

namespace rpcfit::reports {

std::string html_report(const RunReport& report);

}  // namespace rpcfit::reports
