#include "reports/escape.h"

#include <cstdio>

namespace rpcfit::reports {
namespace {

// ---- printable UTF-8 ----

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

constexpr char32_t kReplacement = 0xFFFD;

struct Decoded {
  char32_t c;
  std::size_t size;
};

// One character at `i`, or U+FFFD for the maximal ill-formed subpart there (Unicode's
// recommended practice): a bad sequence is cut at the first byte that cannot continue it, so a
// stray lead byte never swallows the valid character after it. The ranges of the second byte
// exclude overlong forms, surrogates and code points above U+10FFFF.
Decoded decode_utf8(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return {lead, 1};
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  char32_t c = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
    c = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    c = lead & 0x0Fu;
    lo = lead == 0xE0 ? 0xA0 : 0x80;
    hi = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    c = lead & 0x07u;
    lo = lead == 0xF0 ? 0x90 : 0x80;
    hi = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return {kReplacement, 1};
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return {kReplacement, k};
    const auto next = static_cast<unsigned char>(s[i + k]);
    if (next < lo || next > hi) return {kReplacement, k};
    c = (c << 6) | (next & 0x3Fu);
    lo = 0x80;
    hi = 0xBF;
  }
  return {c, need + 1};
}

std::string hex_escape(const char* format, char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, static_cast<unsigned>(c));
  return buf;
}

void append_printable(std::string& out, char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') {
    out += static_cast<char>(c);
  } else if (c < 0x20 || c == 0x7F) {
    out += hex_escape("\\x%02X", c);
  } else if (c >= 0x80 && c <= 0x9F) {
    out += hex_escape("\\u%04X", c);
  } else if (c == 0xFFFE || c == 0xFFFF) {
    append_utf8(out, kReplacement);
  } else {
    append_utf8(out, c);
  }
}

// ---- references ----

// The reference `ch` needs in text, or nullptr. Every character a rule names is ASCII, so a byte
// of printable UTF-8 is never mistaken for one.
const char* text_reference(char ch) {
  switch (ch) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '\r':
      return "&#13;";
    default:  // a char, not an enum: every other character is itself
      return nullptr;
  }
}

// &#39; rather than &apos;: the HTML report has always written &#39;, and a numeric reference
// means the same to every XML and HTML reader (HTML 4 has no &apos;).
const char* attribute_reference(char ch) {
  switch (ch) {
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    case '\t':
      return "&#9;";
    case '\n':
      return "&#10;";
    default:
      return text_reference(ch);
  }
}

void append_escaped(std::string& out, char ch, const char* (*reference)(char)) {
  if (const char* ref = reference(ch)) {
    out += ref;
  } else {
    out += ch;
  }
}

std::string escaped(std::string_view raw, const char* (*reference)(char)) {
  const std::string text = printable_utf8(raw);
  std::string out;
  out.reserve(text.size());
  for (const char ch : text)
    append_escaped(out, ch, reference);
  return out;
}

// xml_text with each line break replaced by `line_break` (so no carriage return is left to
// escape) and each character of `backslashed` preceded by a backslash.
std::string escaped_lines(std::string_view raw, std::string_view line_break,
                          std::string_view backslashed) {
  const std::string text = printable_utf8(raw);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (ch == '\n' || ch == '\r') {
      out += line_break;
      continue;
    }
    if (backslashed.find(ch) != std::string_view::npos) out += '\\';
    append_escaped(out, ch, text_reference);
  }
  return out;
}

}  // namespace

std::string printable_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = decode_utf8(text, i);
    append_printable(out, d.c);
    i += d.size;
  }
  return out;
}

std::string xml_text(std::string_view text) {
  return escaped(text, text_reference);
}

std::string xml_attribute(std::string_view text) {
  return escaped(text, attribute_reference);
}

std::string markdown_inline(std::string_view text) {
  return escaped_lines(text, "<br>", "\\`*_[]|~");
}

std::string markdown_html_text(std::string_view text) {
  return escaped_lines(text, " ", "");
}

}  // namespace rpcfit::reports
