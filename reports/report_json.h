// report.json: the RunReport as JSON, and back. The schema ("rpcfit-report", version 1) is
// documented field by field in reports/README.md and as JSON Schema in report.schema.json.
//
// Reading checks what it reads: a document of another schema or a newer version, a missing
// required field or one of the wrong type is refused with the JSON path of the problem
// ("scenarios[3].verdict: expected a string"), never half-read.
#pragma once

#include <string>
#include <string_view>

#include "harness/core/result.h"
#include "reports/report.h"

namespace rpcfit::reports {

// Pretty-printed (two-space indent), keys in a fixed order, ending in a newline.
std::string to_json_text(const RunReport& report);

// `name` names the source in messages ("baseline.json: scenarios[3].verdict: ...").
Result<RunReport, std::string> parse_report(std::string_view text, const std::string& name);
// Reads and parses a file (at most 256 MiB).
Result<RunReport, std::string> read_report_file(const std::string& path);

}  // namespace rpcfit::reports
