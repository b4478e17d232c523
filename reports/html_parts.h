// The pieces html.cc, html_section.cc, html_assets.cc and sequence_svg.cc share. Internal to the
// HTML rendering: nothing outside reports/ includes it.
#pragma once

#include <string>
#include <string_view>

#include "reports/escape.h"  // xml_text, xml_attribute: each HTML file escapes with them
#include "reports/report.h"

namespace rpcfit::reports::html_detail {

// Milliseconds with at most three decimals and no trailing zeros: "352.293", "100.4", "0".
std::string format_ms(double ms);

// The verdict as a CSS class suffix: one of the six verdicts, else "other" (a report read from
// JSON may carry anything, and it must not reach a class attribute unchecked).
std::string_view verdict_class(std::string_view verdict);

// One scenario's <details> section; `anchor` is its (already sanitized) id attribute.
void append_scenario_section(std::string& out, const ScenarioResult& s, std::string_view anchor,
                             std::string_view label);

std::string_view style_sheet();
std::string_view script();

}  // namespace rpcfit::reports::html_detail
