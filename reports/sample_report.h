// A report with one scenario of each verdict, for the tests of the renderings and comparisons.
#pragma once

#include "reports/report.h"

namespace rpcfit::reports::testing {

// Six scenarios in id order, one per verdict: PASS (with wire, server events, a capture that
// matches, and a discarded attempt before it), FAIL (two mismatches and a capture diff), ERROR,
// SKIP, XFAIL and XPASS; text with characters that need escaping in XML, HTML and Markdown (<, &,
// ", |, `).
RunReport sample_report();

// How often `what` occurs in `text` (overlapping occurrences count).
std::size_t count(const std::string& text, const std::string& what);

}  // namespace rpcfit::reports::testing
