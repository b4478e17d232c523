#include "harness/fault/fault_spec.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "harness/fault/corrupt.h"
#include "harness/fault/fault_keys.h"

namespace rpcfit::fault {
namespace {

constexpr std::uint64_t kMaxBytesPerSecond = 1'000'000'000;

std::string probability_text(double p) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, p);
  return std::string(buf, res.ptr);
}

// Whether a corrupt fault's field can exist in PDUs of the matched type: a CO-only type has no
// CL header and the other way round.
bool field_fits_ptype(std::string_view field, wire::PType type) {
  const auto t = static_cast<std::uint8_t>(type);
  return (wire::is_co_ptype(t) && co_header_field(field)) ||
         (wire::is_cl_ptype(t) && cl_header_field(field));
}

}  // namespace

std::string_view direction_name(Direction d) {
  switch (d) {
    case Direction::client_to_server:
      return "c2s";
    case Direction::server_to_client:
      return "s2c";
  }
  return "?";
}

std::optional<Direction> direction_from_name(std::string_view name) {
  if (name == "c2s") return Direction::client_to_server;
  if (name == "s2c") return Direction::server_to_client;
  return std::nullopt;
}

std::string_view fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::latency:
      return "latency";
    case FaultKind::drop:
      return "drop";
    case FaultKind::duplicate:
      return "duplicate";
    case FaultKind::reorder:
      return "reorder";
    case FaultKind::truncate:
      return "truncate";
    case FaultKind::corrupt:
      return "corrupt";
    case FaultKind::reset:
      return "reset";
    case FaultKind::slice:
      return "slice";
    case FaultKind::blackhole:
      return "blackhole";
    case FaultKind::bandwidth:
      return "bandwidth";
  }
  return "?";
}

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (FaultKind k : kAllFaultKinds) {
    if (fault_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<wire::PType> ptype_from_name(std::string_view name) {
  constexpr auto kLast = static_cast<std::uint8_t>(wire::PType::rts);
  for (std::uint8_t t = 0; t <= kLast; ++t) {
    if (wire::ptype_name(t) == name) return static_cast<wire::PType>(t);
  }
  return std::nullopt;
}

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration{0};
  std::uint64_t n = 0;
  const char* end = text.data() + text.size();
  const auto res = std::from_chars(text.data(), end, n);
  if (res.ec != std::errc{} || res.ptr == text.data()) return std::nullopt;
  const std::string_view unit(res.ptr, static_cast<std::size_t>(end - res.ptr));
  std::uint64_t scale = 0;
  if (unit == "ns") scale = 1;
  if (unit == "us") scale = 1'000;
  if (unit == "ms") scale = 1'000'000;
  if (unit == "s") scale = 1'000'000'000;
  if (scale == 0) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
  if (n > kMax / scale) return std::nullopt;
  return Duration{static_cast<Duration::rep>(n * scale)};
}

std::string duration_text(Duration d) {
  const auto ns = d.count();
  if (ns == 0) return "0ms";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

Result<bool, std::string> validate(const FaultSpec& spec) {
  auto bad = [](std::string msg) { return unexpected(std::move(msg)); };
  const auto kind = std::string(fault_kind_name(spec.kind));
  for (std::string_view key : keys_set(spec)) {
    if (!key_applies(spec.kind, key)) {
      return bad(std::string(key) + ": not a key of " + kind + "; " + kind + " takes " +
                 keys_of(spec.kind));
    }
  }
  const double p = spec.match.probability;
  if (std::isnan(p) || p < 0.0 || p > 1.0) {
    return bad("p: " + probability_text(p) + " is not a probability in [0,1]");
  }
  if (spec.match.nth && *spec.match.nth < 1) return bad("nth: counts from 1");
  switch (spec.kind) {
    case FaultKind::latency:
      if (spec.delay < Duration{0}) return bad("delay: must not be negative");
      if (spec.jitter < Duration{0}) return bad("jitter: must not be negative");
      if (spec.delay.count() > std::numeric_limits<Duration::rep>::max() - spec.jitter.count()) {
        return bad("delay: too long");
      }
      if (spec.jitter > spec.delay) {
        return bad("jitter: " + duration_text(spec.jitter) + " exceeds the delay of " +
                   duration_text(spec.delay) + " (the delay is drawn from delay +- jitter)");
      }
      break;
    case FaultKind::corrupt:
      if (!is_header_field(spec.field)) {
        return bad("field: \"" + spec.field + "\" is not a header field (" + header_field_names() +
                   ")");
      }
      if (spec.value > header_field_max(spec.field)) {
        return bad("value: " + std::to_string(spec.value) + " does not fit " + spec.field +
                   " (at most " + std::to_string(header_field_max(spec.field)) + ")");
      }
      if (spec.match.pdu && !field_fits_ptype(spec.field, *spec.match.pdu)) {
        return bad("field: " + spec.field + " is not in the header of a " +
                   wire::ptype_name(static_cast<std::uint8_t>(*spec.match.pdu)) + " PDU");
      }
      break;
    case FaultKind::reset:
      if (spec.after_bytes && (spec.match.pdu || spec.match.nth || p != 1.0)) {
        return bad("after: counts bytes, so it cannot be combined with pdu, nth or p");
      }
      break;
    case FaultKind::slice:
      if (spec.segment < 1) return bad("segment: must be at least 1 byte");
      if (spec.gap < Duration{0}) return bad("gap: must not be negative");
      break;
    case FaultKind::bandwidth:
      if (spec.bytes_per_second < 1 || spec.bytes_per_second > kMaxBytesPerSecond) {
        return bad("bps: " + std::to_string(spec.bytes_per_second) +
                   " is not from 1 to 1000000000 bytes per second");
      }
      break;
    case FaultKind::drop:
    case FaultKind::duplicate:
    case FaultKind::reorder:
    case FaultKind::truncate:
    case FaultKind::blackhole:
      break;
  }
  return true;
}

std::string to_string(const FaultSpec& spec) {
  std::string out(fault_kind_name(spec.kind));
  auto add = [&out](std::string_view key, const std::string& value) {
    out += ",";
    out += key;
    if (!value.empty()) out += "=" + value;
  };
  switch (spec.kind) {
    case FaultKind::latency:
      add("delay", duration_text(spec.delay));
      if (spec.jitter != Duration{0}) add("jitter", duration_text(spec.jitter));
      break;
    case FaultKind::truncate:
      add("keep", std::to_string(spec.keep));
      break;
    case FaultKind::corrupt:
      add("field", spec.field);
      add("value", std::to_string(spec.value));
      break;
    case FaultKind::reset:
      if (spec.after_bytes) add("after", std::to_string(*spec.after_bytes));
      if (!spec.rst) add("close", "");
      break;
    case FaultKind::slice:
      add("segment", std::to_string(spec.segment));
      if (spec.gap != Duration{0}) add("gap", duration_text(spec.gap));
      break;
    case FaultKind::bandwidth:
      add("bps", std::to_string(spec.bytes_per_second));
      break;
    case FaultKind::drop:
    case FaultKind::duplicate:
    case FaultKind::reorder:
    case FaultKind::blackhole:
      break;
  }
  const FaultMatch& m = spec.match;
  if (m.direction) add("dir", std::string(direction_name(*m.direction)));
  if (m.pdu) add("pdu", wire::ptype_name(static_cast<std::uint8_t>(*m.pdu)));
  if (m.nth) add("nth", std::to_string(*m.nth));
  if (m.probability != 1.0) add("p", probability_text(m.probability));
  return out;
}

}  // namespace rpcfit::fault
