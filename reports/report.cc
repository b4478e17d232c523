#include "reports/report.h"

namespace rpcfit::reports {

std::string ScenarioResult::label(unsigned repeat) const {
  if (repeat <= 1) return id;
  return id + " #" + std::to_string(repetition + 1);
}

bool failing_verdict(std::string_view verdict) {
  return verdict == "FAIL" || verdict == "ERROR" || verdict == "XPASS";
}

Totals RunReport::totals() const {
  Totals t;
  for (const ScenarioResult& s : scenarios) {
    ++t.runs;
    if (s.verdict == "PASS") ++t.passed;
    if (s.verdict == "FAIL") ++t.failed;
    if (s.verdict == "ERROR") ++t.errors;
    if (s.verdict == "SKIP") ++t.skipped;
    if (s.verdict == "XFAIL") ++t.xfail;
    if (s.verdict == "XPASS") ++t.xpass;
  }
  return t;
}

}  // namespace rpcfit::reports
