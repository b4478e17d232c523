#include "scenarios/yaml_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "harness/fault/fault_spec.h"

namespace rpcfit::scenarios::detail {
namespace {

// Scalars longer than this are cut in messages: a message is one readable line.
constexpr std::size_t kQuoteLimit = 60;

enum class IntParse : std::uint8_t { ok, not_integer, out_of_range };

// Decimal or 0x hex with an optional minus sign; the whole text must be the number.
IntParse parse_int(std::string_view text, std::int64_t& out) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty() || text.front() == '-' || text.front() == '+') return IntParse::not_integer;
  std::uint64_t magnitude = 0;
  const char* end = text.data() + text.size();
  const auto res = std::from_chars(text.data(), end, magnitude, base);
  if (res.ptr != end) return IntParse::not_integer;
  if (res.ec == std::errc::result_out_of_range) return IntParse::out_of_range;
  if (res.ec != std::errc{}) return IntParse::not_integer;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > kMax + 1) return IntParse::out_of_range;
    out = magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude > kMax) return IntParse::out_of_range;
    out = static_cast<std::int64_t>(magnitude);
  }
  return IntParse::ok;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t replace = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, replace});
      diagonal = above;
    }
  }
  return row[b.size()];
}

struct AccessRight {
  std::string_view name;
  std::uint32_t mask;
};
constexpr std::array<AccessRight, 6> kAccessRights{{
    {"THREAD_TERMINATE", 0x1},
    {"THREAD_SUSPEND_RESUME", 0x2},
    {"THREAD_GET_CONTEXT", 0x8},
    {"THREAD_SET_CONTEXT", 0x10},
    {"THREAD_QUERY_INFORMATION", 0x40},
    {"THREAD_ALL_ACCESS", 0x1FFFFF},
}};

const std::vector<std::string_view>& access_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& right : kAccessRights)
      out.push_back(right.name);
    return out;
  }();
  return names;
}

// status.h has no list of its names; the Win32 codes it names are all below 20000, so probing
// that range finds every one and stays right when names are added there.
const std::vector<std::string_view>& rpc_status_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (RpcStatus code = 0; code < 20000; ++code) {
      if (auto name = rpc_status_name(code)) out.push_back(*name);
    }
    return out;
  }();
  return names;
}

}  // namespace

std::string key_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string in_quotes(std::string_view text) {
  std::string out = "\"";
  const std::size_t shown = std::min(text.size(), kQuoteLimit);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < text.size()) out += "...";
  return out + "\"";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return in_quotes(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
  }
  return "nothing";
}

std::string join(Names names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::optional<std::string_view> closest(std::string_view word, Names candidates) {
  constexpr std::size_t kMaxDistance = 2;
  // Long words cannot be near misses of our short names; skip the quadratic work.
  if (word.size() > 64) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_distance = kMaxDistance + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t longer = std::max(word.size(), candidate.size());
    const std::size_t shorter = std::min(word.size(), candidate.size());
    if (longer - shorter > kMaxDistance) continue;
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, Names candidates) {
  auto near = closest(word, candidates);
  if (!near) return "";
  return " (did you mean " + in_quotes(*near) + "?)";
}

std::optional<Entry> find(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return Entry{it->first, it->second};
  }
  return std::nullopt;
}

run::SourceLoc Reader::loc(const YAML::Node& node) const {
  if (!node.IsDefined()) return file_loc();
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return file_loc();
  return run::SourceLoc{file_, mark.line + 1, mark.column + 1};
}

void Reader::error(const run::SourceLoc& loc, const std::string& path, const std::string& message) {
  if (errors_.size() >= kMaxErrors) {
    ++dropped_;
    return;
  }
  errors_.push_back(LoadError{loc, path.empty() ? message : path + ": " + message});
}

bool Reader::is_mapping(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) {
    error(node, path, "expected a mapping, got " + describe(node));
    return false;
  }
  std::map<std::string, int> first_line;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: `it->` yields a temporary
    if (!key.IsScalar()) {
      error(key, path, "expected a key name, got " + describe(key));
      continue;
    }
    const auto [where, fresh] = first_line.emplace(key.Scalar(), loc(key).line);
    if (!fresh) {
      error(key, key_path(path, key.Scalar()),
            "duplicate key (first at line " + std::to_string(where->second) + ")");
    }
  }
  return true;
}

bool Reader::mapping(const YAML::Node& node, const std::string& path, Names known) {
  if (!is_mapping(node, path)) return false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: `it->` yields a temporary
    if (!key.IsScalar()) continue;
    const std::string& name = key.Scalar();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    error(key, key_path(path, name),
          "unknown key" + did_you_mean(name, known) + "; known keys: " + join(known));
  }
  return true;
}

bool Reader::sequence(const YAML::Node& node, const std::string& path) {
  if (node.IsSequence()) return true;
  error(node, path, "expected a list, got " + describe(node));
  return false;
}

std::optional<Entry> Reader::require(const YAML::Node& map, const std::string& path,
                                     std::string_view key) {
  auto entry = find(map, key);
  if (!entry) error(map, key_path(path, key), "required key missing");
  return entry;
}

std::optional<std::string> Reader::text(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) return node.Scalar();
  error(node, path, "expected a string, got " + describe(node));
  return std::nullopt;
}

std::optional<std::string> Reader::non_empty(const YAML::Node& node, const std::string& path) {
  auto value = text(node, path);
  if (value && value->empty()) {
    error(node, path, "expected a non-empty string");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> Reader::integer(const YAML::Node& node, const std::string& path,
                                            std::int64_t min, std::int64_t max) {
  if (!node.IsScalar()) {
    error(node, path, "expected an integer, got " + describe(node));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  std::int64_t value = 0;
  const IntParse parsed = parse_int(text, value);
  const std::string range =
      " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")";
  switch (parsed) {
    case IntParse::ok:
      break;
    case IntParse::not_integer:
      error(node, path, "expected an integer, got " + in_quotes(text));
      return std::nullopt;
    case IntParse::out_of_range:
      error(node, path, text + range);
      return std::nullopt;
  }
  if (value < min || value > max) {
    error(node, path, text + range);
    return std::nullopt;
  }
  return value;
}

std::optional<double> Reader::number(const YAML::Node& node, const std::string& path, double min,
                                     double max) {
  if (!node.IsScalar()) {
    error(node, path, "expected a number, got " + describe(node));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  double value = 0;
  const char* end = text.data() + text.size();
  const auto res = std::from_chars(text.data(), end, value);
  if (text.empty() || res.ec != std::errc{} || res.ptr != end || std::isnan(value) ||
      std::isinf(value)) {
    error(node, path, "expected a number, got " + in_quotes(text));
    return std::nullopt;
  }
  if (value < min || value > max) {
    error(node, path,
          text + " is out of range (" + std::to_string(static_cast<long long>(min)) + " to " +
              std::to_string(static_cast<long long>(max)) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Reader::boolean(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& t = node.Scalar();
    if (t == "true" || t == "True" || t == "TRUE") return true;
    if (t == "false" || t == "False" || t == "FALSE") return false;
  }
  error(node, path, "expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<Duration> Reader::duration(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string_view t = node.Scalar();
    if (auto d = fault::parse_duration(t)) return d;
    if (t.size() > 1 && t.front() == '-' && fault::parse_duration(t.substr(1))) {
      error(node, path, "negative duration " + in_quotes(t) + "; instants count from the start");
      return std::nullopt;
    }
  }
  error(node, path, "expected a duration such as 100ms or 2s, got " + describe(node));
  return std::nullopt;
}

std::optional<RpcStatus> Reader::status(const YAML::Node& node, const std::string& path) {
  auto t = text(node, path);
  if (!t) return std::nullopt;
  if (auto value = parse_rpc_status(*t)) return value;
  const std::string near = did_you_mean(*t, rpc_status_names());
  error(node, path,
        "unknown status " + in_quotes(*t) +
            (near.empty() ? " (a name such as RPC_S_CALL_CANCELLED, or a number)" : near));
  return std::nullopt;
}

std::optional<std::uint32_t> Reader::nca_status(const YAML::Node& node, const std::string& path) {
  auto t = text(node, path);
  if (!t) return std::nullopt;
  if (auto value = parse_nca_status(*t)) return value;
  error(node, path,
        "unknown NCA status " + in_quotes(*t) +
            " (a name such as nca_s_fault_cancel, 0x hex or decimal)");
  return std::nullopt;
}

std::optional<long> Reader::seconds(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& t = node.Scalar();
    if (t == "infinite") return kCancelInfiniteTimeout;
    std::int64_t value = 0;
    const IntParse parsed = parse_int(t, value);
    constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
    if (parsed == IntParse::out_of_range ||
        (parsed == IntParse::ok && (value < kMin || value > kMax))) {
      error(node, path, t + " does not fit a 32-bit LONG (-2147483648 to 2147483647)");
      return std::nullopt;
    }
    if (parsed == IntParse::ok) return static_cast<long>(value);
  }
  error(node, path, "expected whole seconds (an integer) or infinite, got " + describe(node));
  return std::nullopt;
}

std::optional<std::uint32_t> Reader::access(const YAML::Node& node, const std::string& path) {
  auto one = [&](const YAML::Node& item,
                 const std::string& item_path) -> std::optional<std::uint32_t> {
    if (!item.IsScalar()) {
      error(item, item_path, "expected an access right or mask, got " + describe(item));
      return std::nullopt;
    }
    const std::string& t = item.Scalar();
    for (const auto& right : kAccessRights) {
      if (right.name == t) return right.mask;
    }
    std::int64_t value = 0;
    if (parse_int(t, value) == IntParse::ok) {
      if (value >= 0 && value <= std::numeric_limits<std::uint32_t>::max()) {
        return static_cast<std::uint32_t>(value);
      }
      error(item, item_path, t + " is out of range (0 to 0xFFFFFFFF)");
      return std::nullopt;
    }
    error(item, item_path,
          "unknown access right " + in_quotes(t) + did_you_mean(t, access_names()) +
              "; known: " + join(access_names()) + ", or a number");
    return std::nullopt;
  };
  if (!node.IsSequence()) return one(node, path);
  std::uint32_t mask = 0;
  bool ok = true;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    auto part = one(*it, index_path(path, i));
    if (part) {
      mask |= *part;
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return mask;
}

std::optional<std::size_t> Reader::choice(const YAML::Node& node, const std::string& path,
                                          Names names, std::string_view what) {
  auto t = text(node, path);
  if (!t) return std::nullopt;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *t) return i;
  }
  error(node, path,
        "unknown " + std::string(what) + " " + in_quotes(*t) + did_you_mean(*t, names) +
            "; known: " + join(names));
  return std::nullopt;
}

}  // namespace rpcfit::scenarios::detail
