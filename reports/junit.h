// The run report as JUnit XML, for the CI reporters that read it (GitHub's dorny/test-reporter
// and mikepenz/action-junit-report, GitLab's test reports, Jenkins' junit step). junit.xsd in this
// folder is the schema of exactly what junit_xml writes; reports/README.md maps the verdicts:
//
//   PASS   a testcase with no outcome element
//   FAIL   <failure type="FAIL">: the first mismatch as message, every mismatch and the capture
//          diff as body
//   ERROR  <error type="ERROR">
//   SKIP   <skipped>
//   XFAIL  <skipped type="xfail">, the mismatches in <system-out> (pytest's convention: an
//          expected failure is neither a pass nor a failure)
//   XPASS  <failure type="XPASS">: a known-failure mark that no longer holds fails the run
//
// One <testsuite name="rpcfit.<area>"> per spec area, in order of first appearance; the run's
// seed and scales are <properties> of the first suite (the only place every reader accepts them).
#pragma once

#include <string>

#include "reports/report.h"

namespace rpcfit::reports {

// A UTF-8 document, well formed whatever bytes the report's strings hold.
std::string junit_xml(const RunReport& report);

}  // namespace rpcfit::reports
