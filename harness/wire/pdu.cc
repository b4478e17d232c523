#include "harness/wire/pdu.h"

#include <array>
#include <cstdio>
#include <string_view>

namespace rpcfit::wire {
namespace {

constexpr std::array<std::string_view, 21> kPtypeNames{
    "request",   "ping",     "response",      "fault",
    "working",   "nocall",   "reject",        "ack",
    "cl_cancel", "fack",     "cancel_ack",    "bind",
    "bind_ack",  "bind_nak", "alter_context", "alter_context_resp",
    "auth3",     "shutdown", "co_cancel",     "orphaned",
    "rts"};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ptype_name(std::uint8_t ptype) {
  if (ptype < kPtypeNames.size()) return std::string(kPtypeNames[ptype]);
  return "ptype_" + std::to_string(ptype);
}

bool is_co_ptype(std::uint8_t ptype) {
  return ptype == 0 || ptype == 2 || ptype == 3 || (ptype >= 11 && ptype <= 20);
}

bool is_cl_ptype(std::uint8_t ptype) {
  return ptype <= 10;
}

std::optional<Uuid> Uuid::parse(const std::string& text) {
  // 8-4-4-4-12 hex digits.
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  std::array<std::uint8_t, 16> b{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    const int hi = hex_value(text[i]);
    const int lo = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    b[n++] = static_cast<std::uint8_t>((hi << 4) | lo);
    ++i;
  }
  Uuid u;
  u.time_low = load_be32(b.data());
  u.time_mid = load_be16(b.data() + 4);
  u.time_hi_and_version = load_be16(b.data() + 6);
  for (std::size_t i = 0; i < 8; ++i)
    u.clock_seq_node[i] = b[8 + i];
  return u;
}

std::string Uuid::to_string() const {
  char buf[40];
  const auto& c = clock_seq_node;
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", time_low,
                time_mid, time_hi_and_version, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
  return buf;
}

SyntaxId ndr_syntax() {
  static const Uuid kNdr = *Uuid::parse("8a885d04-1ceb-11c9-9fe8-08002b104860");
  return SyntaxId{kNdr, 2};
}

CoBody co_default_body(PType type) {
  switch (type) {
    case PType::request:
      return CoRequest{};
    case PType::response:
      return CoResponse{};
    case PType::fault:
      return CoFault{};
    case PType::bind:
    case PType::alter_context:
      return CoBind{};
    case PType::bind_ack:
    case PType::alter_context_resp:
      return CoBindAck{};
    case PType::bind_nak:
      return CoBindNak{};
    case PType::auth3:
    case PType::shutdown:
    case PType::co_cancel:
    case PType::orphaned:
    case PType::rts:
    case PType::ping:
    case PType::working:
    case PType::nocall:
    case PType::reject:
    case PType::ack:
    case PType::cl_cancel:
    case PType::fack:
    case PType::cancel_ack:
      return CoOpaque{};
  }
  return CoOpaque{};
}

ClBody cl_default_body(PType type) {
  switch (type) {
    case PType::fault:
    case PType::reject:
      return ClStatus{};
    case PType::cl_cancel:
      return ClCancel{};
    case PType::cancel_ack:
      return ClCancelAck{};
    case PType::fack:
      return ClFack{};
    case PType::request:
    case PType::ping:
    case PType::response:
    case PType::working:
    case PType::nocall:
    case PType::ack:
    case PType::bind:
    case PType::bind_ack:
    case PType::bind_nak:
    case PType::alter_context:
    case PType::alter_context_resp:
    case PType::auth3:
    case PType::shutdown:
    case PType::co_cancel:
    case PType::orphaned:
    case PType::rts:
      return ClRaw{};
  }
  return ClRaw{};
}

}  // namespace rpcfit::wire
