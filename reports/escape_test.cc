#include "reports/escape.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace rpcfit::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kFffd = "\xEF\xBF\xBD";

// Every byte value once, then well-formed sequences of two, three and four bytes, ill-formed ones
// (a surrogate, an overlong form, a code point above U+10FFFF, a truncated sequence), C1 controls
// and the noncharacters.
std::string every_kind_of_byte() {
  std::string s;
  for (int b = 0; b < 256; ++b)
    s += static_cast<char>(b);
  return s +
         " \xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82 \xED\xA0\x80 \xC0\xAF \xF4\x90\x80\x80 \xE2\x82"
         " \xC2\x85\xC2\x9F \xEF\xBF\xBE\xEF\xBF\xBF \r\n\r \"'<>&";
}

// ---- printable_utf8 ----

TEST(PrintableUtf8, KeepsValidTextAndReplacesTheRest) {
  EXPECT_EQ(printable_utf8("plain \t\r\n \xC3\xA9\xF0\x9F\x99\x82"),
            "plain \t\r\n \xC3\xA9\xF0\x9F\x99\x82");
  EXPECT_EQ(printable_utf8(std::string("\0\x01\x1F\x7F", 4)), "\\x00\\x01\\x1F\\x7F");
  EXPECT_EQ(printable_utf8("\xC2\x80\xC2\x9F"), "\\u0080\\u009F");  // C1
  // Maximal subparts: a truncated sequence is one U+FFFD, and the character after it survives.
  EXPECT_EQ(printable_utf8("\xE2\x82x"), kFffd + "x");
  EXPECT_EQ(printable_utf8("\xF0\x9F\x99"), kFffd);
  EXPECT_EQ(printable_utf8("\x80\xBF"), kFffd + kFffd);
  EXPECT_EQ(printable_utf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate
  EXPECT_EQ(printable_utf8("\xC0\xAF"), kFffd + kFffd);              // overlong "/"
  EXPECT_EQ(printable_utf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(printable_utf8("\xEF\xBF\xBE"), kFffd);  // U+FFFE
  EXPECT_EQ(printable_utf8("\xEF\xBF\xBF"), kFffd);  // U+FFFF
}

// ---- the contexts ----

TEST(XmlText, EscapesAmpersandAngleBracketsAndCarriageReturnOnly) {
  EXPECT_EQ(xml_text("plain text, caf\xC3\xA9"), "plain text, caf\xC3\xA9");
  EXPECT_EQ(xml_text("a & b < c > d"), "a &amp; b &lt; c &gt; d");
  EXPECT_EQ(xml_text("]]>"), "]]&gt;");
  EXPECT_EQ(xml_text("&amp;"), "&amp;amp;");
  EXPECT_EQ(xml_text("it's \"quoted\""), "it's \"quoted\"");
  EXPECT_EQ(xml_text("tab\tlf\ncrlf\r\ncr\r"), "tab\tlf\ncrlf&#13;\ncr&#13;");
}

TEST(XmlAttribute, AlsoEscapesQuotesTabAndLineFeed) {
  EXPECT_EQ(xml_attribute("plain text, caf\xC3\xA9"), "plain text, caf\xC3\xA9");
  EXPECT_EQ(xml_attribute("a & b < c > d"), "a &amp; b &lt; c &gt; d");
  EXPECT_EQ(xml_attribute("it's \"quoted\""), "it&#39;s &quot;quoted&quot;");
  EXPECT_EQ(xml_attribute("tab\tlf\ncrlf\r\ncr\r"), "tab&#9;lf&#10;crlf&#13;&#10;cr&#13;");
}

TEST(MarkdownInline, BackslashesMarkdownAndBreaksLines) {
  EXPECT_EQ(markdown_inline("plain text, caf\xC3\xA9 (1 + 2 = 3) #4!"),
            "plain text, caf\xC3\xA9 (1 + 2 = 3) #4!");
  EXPECT_EQ(markdown_inline("\\ ` * _ [ ] | ~"), "\\\\ \\` \\* \\_ \\[ \\] \\| \\~");
  EXPECT_EQ(markdown_inline("<b> & </b>"), "&lt;b&gt; &amp; &lt;/b&gt;");
  EXPECT_EQ(markdown_inline("it's \"quoted\"\tand tabbed"), "it's \"quoted\"\tand tabbed");
  // CRLF, LF and CR are one line break each.
  EXPECT_EQ(markdown_inline("a\r\nb\nc\rd\r\r\ne\n\n"), "a<br>b<br>c<br>d<br><br>e<br><br>");
}

TEST(MarkdownHtmlText, EscapesHtmlAndMakesOneLine) {
  EXPECT_EQ(markdown_html_text("<b>bold</b> & co"), "&lt;b&gt;bold&lt;/b&gt; &amp; co");
  EXPECT_EQ(markdown_html_text("a\r\nb\nc\rd\n\ne"), "a b c d  e");
  // Markdown is not parsed inside the element: its punctuation stays as it is.
  EXPECT_EQ(markdown_html_text("*_`|~[x]\\ it's \"q\""), "*_`|~[x]\\ it's \"q\"");
}

// Whatever the bytes, each escaper gives valid UTF-8 with no control character left but the
// whitespace its context keeps as it is.
TEST(Escapers, InvalidUtf8AndControlCharactersAreReplacedInEveryContext) {
  const std::string raw = every_kind_of_byte();
  const std::string printable = printable_utf8(raw);
  EXPECT_EQ(printable_utf8(printable), printable);
  EXPECT_THAT(printable, HasSubstr("\\x00\\x01"));
  EXPECT_THAT(printable, HasSubstr("\\x1F !"));
  EXPECT_THAT(printable, HasSubstr("~\\x7F"));
  EXPECT_THAT(printable, HasSubstr("\\u0085\\u009F"));
  EXPECT_THAT(printable, Not(HasSubstr("\xC2\x85")));
  const struct {
    const char* name;
    std::string out;
    std::string kept_whitespace;
  } contexts[] = {
      {"xml_text", xml_text(raw), "\t\n"},
      {"xml_attribute", xml_attribute(raw), ""},
      {"markdown_inline", markdown_inline(raw), "\t"},
      {"markdown_html_text", markdown_html_text(raw), "\t"},
  };
  for (const auto& c : contexts) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(printable_utf8(c.out), c.out);
    for (char ch = 0; ch < 0x20; ++ch) {
      const bool kept = c.kept_whitespace.find(ch) != std::string::npos;
      EXPECT_EQ(c.out.find(ch) != std::string::npos, kept) << static_cast<int>(ch);
    }
    std::string markup = c.out;  // only markdown_inline's line breaks are markup
    for (std::size_t at; (at = markup.find("<br>")) != std::string::npos;)
      markup.erase(at, 4);
    EXPECT_THAT(markup, Not(HasSubstr("<")));
    EXPECT_THAT(c.out, HasSubstr(kFffd));
  }
}

// ---- read back by an XML parser ----

constexpr const char* kXmllint = "/usr/bin/xmllint";

// What xmllint reads as the XPath string `expression` of `doc`; "(xmllint failed)" when it
// refuses the document.
std::string xmllint_string(const std::string& doc, const std::string& expression) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "rpcfit_escape_test.xml";
  std::ofstream(path, std::ios::binary) << doc;
  const std::string command =
      std::string(kXmllint) + " --xpath '" + expression + "' '" + path.string() + "' 2>&1";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
      out.append(buf, n);
    if (pclose(pipe) != 0) out = "(xmllint failed) " + out;
  }
  std::filesystem::remove(path);
  // xmllint ends a string result with a line feed of its own.
  if (out.ends_with('\n')) out.pop_back();
  return out;
}

// Neither an XML reader's attribute-value normalization nor its line-end handling changes the
// text: what it reads back from a double- or single-quoted attribute and from character data is
// printable_utf8 of the raw bytes, every one of them.
TEST(Escapers, AnXmlReaderReadsBackThePrintableText) {
  ASSERT_TRUE(std::filesystem::exists(kXmllint))
      << "xmllint is missing: install libxml2-utils (tools/setup.sh does)";
  const std::string raw = every_kind_of_byte();
  const std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r a=\"" +
                          xml_attribute(raw) + "\" b='" + xml_attribute(raw) + "'>" +
                          xml_text(raw) + "</r>\n";
  EXPECT_EQ(xmllint_string(doc, "string(/r/@a)"), printable_utf8(raw));
  EXPECT_EQ(xmllint_string(doc, "string(/r/@b)"), printable_utf8(raw));
  EXPECT_EQ(xmllint_string(doc, "string(/r)"), printable_utf8(raw));
}

}  // namespace
}  // namespace rpcfit::reports
