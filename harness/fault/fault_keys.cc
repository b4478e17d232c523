#include "harness/fault/fault_keys.h"

#include <array>

namespace rpcfit::fault {
namespace {

constexpr std::array<std::string_view, 4> kMatchKeys{"dir", "pdu", "nth", "p"};

std::vector<std::string_view> own_keys(FaultKind kind) {
  switch (kind) {
    case FaultKind::latency:
      return {"delay", "jitter"};
    case FaultKind::truncate:
      return {"keep"};
    case FaultKind::corrupt:
      return {"field", "value"};
    case FaultKind::reset:
      return {"after", "rst", "close"};
    case FaultKind::slice:
      return {"segment", "gap"};
    case FaultKind::bandwidth:
      return {"bps"};
    case FaultKind::drop:
    case FaultKind::duplicate:
    case FaultKind::reorder:
    case FaultKind::blackhole:
      return {};
  }
  return {};
}

}  // namespace

bool is_known_key(std::string_view key) {
  for (FaultKind k : kAllFaultKinds) {
    if (key_applies(k, key)) return true;
  }
  return false;
}

bool key_applies(FaultKind kind, std::string_view key) {
  for (std::string_view k : kMatchKeys) {
    if (k == key) return true;
  }
  for (std::string_view k : own_keys(kind)) {
    if (k == key) return true;
  }
  return false;
}

std::string keys_of(FaultKind kind) {
  std::string out;
  for (std::string_view k : own_keys(kind))
    out += std::string(k) + ", ";
  for (std::string_view k : kMatchKeys)
    out += std::string(k) + ", ";
  out.resize(out.size() - 2);
  return out;
}

std::vector<std::string_view> keys_set(const FaultSpec& spec) {
  std::vector<std::string_view> keys;
  if (spec.delay != Duration{0}) keys.push_back("delay");
  if (spec.jitter != Duration{0}) keys.push_back("jitter");
  if (spec.keep != 0) keys.push_back("keep");
  if (!spec.field.empty()) keys.push_back("field");
  if (spec.value != 0) keys.push_back("value");
  if (spec.after_bytes) keys.push_back("after");
  if (!spec.rst) keys.push_back("close");
  if (spec.segment != 0) keys.push_back("segment");
  if (spec.gap != Duration{0}) keys.push_back("gap");
  if (spec.bytes_per_second != 0) keys.push_back("bps");
  return keys;
}

}  // namespace rpcfit::fault
