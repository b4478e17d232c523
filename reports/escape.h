// The escaping every rendering of a run report uses (junit.cc, html*.cc, sequence_svg.cc,
// markdown.cc), one rule set per context. The report's strings come from scenario files,
// runtimes and peers' PDUs, so any of them may hold markup, bytes that are not UTF-8 or control
// characters; each escaper starts from printable_utf8.
//
// The XML escapers serve HTML too: their entities are HTML's as well, and every attribute the
// renderings write is double-quoted.
#pragma once

#include <string>
#include <string_view>

namespace rpcfit::reports {

// `text` made safe to show: each maximal ill-formed UTF-8 subsequence becomes U+FFFD, the
// noncharacters U+FFFE and U+FFFF become U+FFFD, and control characters other than tab, line
// feed and carriage return become "\xNN" (C0, DEL) or "\u00NN" (C1). XML 1.0 forbids most of
// them and they would garble a Markdown page or a terminal.
std::string printable_utf8(std::string_view text);

// Character data of an XML or HTML element: printable_utf8, then & < > as &amp; &lt; &gt; (">"
// for "]]>") and a carriage return as &#13; (a parser's line-end handling would drop it). Quotes,
// tab and line feed stay as they are: they mean nothing in text, and raw text stays readable.
std::string xml_text(std::string_view text);

// A double- or single-quoted attribute value, XML or HTML: xml_text's rules, and also " as
// &quot;, ' as &#39;, tab as &#9; and line feed as &#10; (an XML reader's attribute-value
// normalization would turn the last two into spaces).
std::string xml_attribute(std::string_view text);

// Markdown prose or a table cell: xml_text's entities (GitHub drops "<printer>" as an unknown
// tag), Markdown's inline syntax \ ` * _ [ ] | ~ backslash-escaped, and each line break (CRLF,
// LF or CR) as <br> (a raw one would end the table row).
std::string markdown_inline(std::string_view text);

// Text inside an HTML element in a Markdown page (a <summary>), where Markdown is not parsed:
// xml_text's entities, and each line break as a space (a blank line would end the HTML block).
std::string markdown_html_text(std::string_view text);

}  // namespace rpcfit::reports
