// parse_fault(): the text form described in fault_spec.h.
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "harness/fault/corrupt.h"
#include "harness/fault/fault_keys.h"
#include "harness/fault/fault_spec.h"

namespace rpcfit::fault {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Decimal, or hex with 0x when `hex` is allowed; the whole text must be the number.
std::optional<std::uint64_t> parse_u64(std::string_view text, bool hex) {
  int base = 10;
  if (hex && text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  const auto res = std::from_chars(text.data(), end, n, base);
  if (text.empty() || res.ec != std::errc{} || res.ptr != end) return std::nullopt;
  return n;
}

std::optional<double> parse_probability(std::string_view text) {
  double p = 0;
  const char* end = text.data() + text.size();
  const auto res = std::from_chars(text.data(), end, p);
  if (text.empty() || res.ec != std::errc{} || res.ptr != end) return std::nullopt;
  if (std::isnan(p) || p < 0.0 || p > 1.0) return std::nullopt;
  return p;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string all_kinds() {
  std::string out;
  for (FaultKind k : kAllFaultKinds)
    out += std::string(fault_kind_name(k)) + ", ";
  out.resize(out.size() - 2);
  return out;
}

// Sets one key of `spec`; returns the message (without the key) when the value is bad.
std::optional<std::string> apply(FaultSpec& spec, std::string_view key, std::string_view value) {
  auto whole = [&](std::uint64_t max) -> std::optional<std::uint64_t> {
    auto n = parse_u64(value, false);
    if (!n || *n > max) return std::nullopt;
    return n;
  };
  const std::string not_whole =
      quoted(value) + " is not a whole number" + (value.empty() ? " (the value is empty)" : "");
  if (key == "dir") {
    spec.match.direction = direction_from_name(value);
    if (!spec.match.direction) return quoted(value) + " is not c2s or s2c";
  } else if (key == "pdu") {
    spec.match.pdu = ptype_from_name(value);
    if (!spec.match.pdu) return quoted(value) + " is not a PDU type such as request or co_cancel";
  } else if (key == "nth") {
    auto n = whole(std::numeric_limits<std::uint32_t>::max());
    if (!n) return not_whole + " from 1 to 4294967295";
    if (*n < 1) return "counts from 1";
    spec.match.nth = static_cast<std::uint32_t>(*n);
  } else if (key == "p") {
    auto p = parse_probability(value);
    if (!p) return quoted(value) + " is not a probability in [0,1] such as 0.25";
    spec.match.probability = *p;
  } else if (key == "delay" || key == "jitter" || key == "gap") {
    auto d = parse_duration(value);
    if (!d) return quoted(value) + " is not a duration such as 200ms";
    (key == "delay" ? spec.delay : key == "jitter" ? spec.jitter : spec.gap) = *d;
  } else if (key == "keep" || key == "segment") {
    auto n = whole(std::numeric_limits<std::size_t>::max());
    if (!n) return not_whole;
    (key == "keep" ? spec.keep : spec.segment) = static_cast<std::size_t>(*n);
  } else if (key == "after" || key == "bps") {
    auto n = whole(std::numeric_limits<std::uint64_t>::max());
    if (!n) return not_whole;
    if (key == "after") {
      spec.after_bytes = *n;
    } else {
      spec.bytes_per_second = *n;
    }
  } else if (key == "field") {
    if (!is_header_field(value)) {
      return quoted(value) + " is not a header field (" + header_field_names() + ")";
    }
    spec.field = std::string(value);
  } else if (key == "value") {
    auto n = parse_u64(value, true);
    if (!n) return quoted(value) + " is not a number (decimal or 0x hex)";
    spec.value = *n;
  } else if (key == "rst" || key == "close") {
    spec.rst = key == "rst";
  }
  return std::nullopt;
}

bool is_flag(std::string_view key) {
  return key == "rst" || key == "close";
}

std::optional<std::string_view> required_key(FaultKind kind) {
  switch (kind) {
    case FaultKind::latency:
      return "delay";
    case FaultKind::truncate:
      return "keep";
    case FaultKind::corrupt:
      return "field";
    case FaultKind::slice:
      return "segment";
    case FaultKind::bandwidth:
      return "bps";
    case FaultKind::drop:
    case FaultKind::duplicate:
    case FaultKind::reorder:
    case FaultKind::reset:
    case FaultKind::blackhole:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Result<FaultSpec, std::string> parse_fault(std::string_view text) {
  auto fail = [&](const std::string& msg) {
    return unexpected("fault " + quoted(text) + ": " + msg);
  };
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    items.push_back(trim(text.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (items[0].empty()) {
    return fail("no fault kind; expected one of " + all_kinds());
  }
  const auto kind = fault_kind_from_name(items[0]);
  if (!kind) {
    return fail(quoted(items[0]) + " is not a fault kind; expected one of " + all_kinds());
  }
  const std::string kind_name(fault_kind_name(*kind));
  FaultSpec spec;
  spec.kind = *kind;
  std::set<std::string_view> seen;
  for (std::size_t i = 1; i < items.size(); ++i) {
    const std::string_view item = items[i];
    if (item.empty()) return fail("empty item between commas");
    const std::size_t eq = item.find('=');
    const std::string_view key = trim(item.substr(0, eq));
    const bool has_value = eq != std::string_view::npos;
    const std::string_view value = has_value ? trim(item.substr(eq + 1)) : std::string_view{};
    const std::string k(key);
    if (!is_known_key(key)) {
      return fail(quoted(key) + " is not a key; " + kind_name + " takes " + keys_of(*kind));
    }
    if (!key_applies(*kind, key)) {
      return fail(k + ": not a key of " + kind_name + "; " + kind_name + " takes " +
                  keys_of(*kind));
    }
    if (!seen.insert(key).second) return fail(k + ": given twice");
    if (is_flag(key) && has_value) return fail(k + ": a flag, it takes no value");
    if (!is_flag(key) && !has_value) return fail(k + ": needs a value, as in " + k + "=...");
    if (auto msg = apply(spec, key, value)) return fail(k + ": " + *msg);
  }
  if (auto req = required_key(*kind); req && !seen.count(*req)) {
    return fail(std::string(*req) + ": required by " + kind_name);
  }
  if (*kind == FaultKind::corrupt && !seen.count("value")) {
    return fail("value: required by corrupt");
  }
  if (seen.count("rst") && seen.count("close")) return fail("close: contradicts rst");
  if (auto ok = validate(spec); !ok) return fail(ok.error());
  return spec;
}

}  // namespace rpcfit::fault
