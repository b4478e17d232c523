// Typed model of the DCE/RPC PDUs in spec/wire.md: connection-oriented (version 5) and
// connectionless (version 4). Plain data; the codec is in codec.h.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "harness/core/bytes.h"

namespace rpcfit::wire {

inline constexpr std::size_t kCoHeaderSize = 16;
inline constexpr std::size_t kClHeaderSize = 80;
inline constexpr std::size_t kSecTrailerSize = 8;
inline constexpr std::size_t kMaxCoFragment = 65535;  // frag_length is 16 bits

enum class PType : std::uint8_t {
  request = 0,
  ping = 1,
  response = 2,
  fault = 3,
  working = 4,
  nocall = 5,
  reject = 6,
  ack = 7,
  cl_cancel = 8,
  fack = 9,
  cancel_ack = 10,
  bind = 11,
  bind_ack = 12,
  bind_nak = 13,
  alter_context = 14,
  alter_context_resp = 15,
  auth3 = 16,
  shutdown = 17,
  co_cancel = 18,
  orphaned = 19,
  rts = 20,
};

// Name as in wire.md ("co_cancel"); "ptype_N" for a value outside the table.
std::string ptype_name(std::uint8_t ptype);
// Whether the type exists in the connection-oriented / connectionless protocol.
bool is_co_ptype(std::uint8_t ptype);
bool is_cl_ptype(std::uint8_t ptype);

// Connection-oriented pfc_flags.
namespace pfc {
inline constexpr std::uint8_t kFirstFrag = 0x01;
inline constexpr std::uint8_t kLastFrag = 0x02;
inline constexpr std::uint8_t kPendingCancel = 0x04;  // SUPPORT_HEADER_SIGN on bind-type PDUs
inline constexpr std::uint8_t kReserved08 = 0x08;
inline constexpr std::uint8_t kConcMpx = 0x10;
inline constexpr std::uint8_t kDidNotExecute = 0x20;
inline constexpr std::uint8_t kMaybe = 0x40;
inline constexpr std::uint8_t kObjectUuid = 0x80;
}  // namespace pfc

// Connectionless flags1 and flags2.
namespace clf1 {
inline constexpr std::uint8_t kReserved01 = 0x01;
inline constexpr std::uint8_t kLastFrag = 0x02;
inline constexpr std::uint8_t kFrag = 0x04;
inline constexpr std::uint8_t kNoFack = 0x08;
inline constexpr std::uint8_t kMaybe = 0x10;
inline constexpr std::uint8_t kIdempotent = 0x20;
inline constexpr std::uint8_t kBroadcast = 0x40;
inline constexpr std::uint8_t kReserved80 = 0x80;
}  // namespace clf1
namespace clf2 {
inline constexpr std::uint8_t kCancelPending = 0x02;
}  // namespace clf2

// The byte-order nibble of drep[0]: 1 = little-endian, 0 = big-endian.
inline constexpr std::uint8_t kDrepLittle = 0x10;
inline constexpr std::uint8_t kDrepBig = 0x00;
inline ByteOrder byte_order_of(std::uint8_t drep0) {
  return (drep0 >> 4) == 0 ? ByteOrder::big : ByteOrder::little;
}

// A UUID as its fields; the first three are in the PDU's byte order on the wire.
struct Uuid {
  std::uint32_t time_low = 0;
  std::uint16_t time_mid = 0;
  std::uint16_t time_hi_and_version = 0;
  std::array<std::uint8_t, 8> clock_seq_node{};

  // "8a885d04-1ceb-11c9-9fe8-08002b104860"; nullopt if malformed.
  static std::optional<Uuid> parse(const std::string& text);
  std::string to_string() const;
  bool operator==(const Uuid&) const = default;
  auto operator<=>(const Uuid&) const = default;  // an order for maps, field by field
};

struct SyntaxId {
  Uuid uuid;
  std::uint32_t version = 0;  // major in the low 16 bits, minor in the high 16 bits
  bool operator==(const SyntaxId&) const = default;
};

// NDR transfer syntax, version 2.
SyntaxId ndr_syntax();

struct AuthTrailer {
  std::uint8_t type = 0;
  std::uint8_t level = 0;
  std::uint8_t pad_length = 0;
  std::uint8_t reserved = 0;
  std::uint32_t context_id = 0;
  Bytes value;  // auth_length bytes
  bool operator==(const AuthTrailer&) const = default;
};

// ---- Connection-oriented bodies ----

struct CoRequest {
  std::uint32_t alloc_hint = 0;
  std::uint16_t context_id = 0;
  std::uint16_t opnum = 0;
  std::optional<Uuid> object;  // present exactly when pfc::kObjectUuid is set
  Bytes stub;
  bool operator==(const CoRequest&) const = default;
};

struct CoResponse {
  std::uint32_t alloc_hint = 0;
  std::uint16_t context_id = 0;
  std::uint8_t cancel_count = 0;
  std::uint8_t reserved = 0;
  Bytes stub;
  bool operator==(const CoResponse&) const = default;
};

struct CoFault {
  std::uint32_t alloc_hint = 0;
  std::uint16_t context_id = 0;
  std::uint8_t cancel_count = 0;
  std::uint8_t fault_flags = 0;  // 0x01: extended error information follows
  std::uint32_t status = 0;
  std::uint32_t reserved = 0;
  Bytes stub;  // whatever follows the 32-byte fault header (extended error information)
  bool operator==(const CoFault&) const = default;
};

struct PresentationContext {
  std::uint16_t context_id = 0;
  SyntaxId abstract_syntax;
  std::vector<SyntaxId> transfer_syntaxes;
  bool operator==(const PresentationContext&) const = default;
};

// bind and alter_context.
struct CoBind {
  std::uint16_t max_xmit_frag = 0;
  std::uint16_t max_recv_frag = 0;
  std::uint32_t assoc_group_id = 0;
  std::vector<PresentationContext> contexts;
  Bytes extra;  // bytes after the context list, before any auth padding
  bool operator==(const CoBind&) const = default;
};

struct ContextResult {
  std::uint16_t result = 0;  // 0 acceptance, 1 user rejection, 2 provider rejection, 3 negotiate
  std::uint16_t reason = 0;
  SyntaxId transfer_syntax;
  bool operator==(const ContextResult&) const = default;
};

// bind_ack and alter_context_resp.
struct CoBindAck {
  std::uint16_t max_xmit_frag = 0;
  std::uint16_t max_recv_frag = 0;
  std::uint32_t assoc_group_id = 0;
  std::string secondary_address;       // without its terminating NUL
  bool secondary_address_nul = false;  // a NUL follows it on the wire (length = size + 1)
  std::vector<ContextResult> results;
  Bytes extra;
  bool operator==(const CoBindAck&) const = default;
};

struct CoBindNak {
  std::uint16_t reject_reason = 0;
  std::vector<std::pair<std::uint8_t, std::uint8_t>> versions;  // (major, minor)
  Bytes extra;                   // e.g. MS-RPCE's signature and extended error
  bool versions_present = true;  // false: the body ends after the reject reason
  bool operator==(const CoBindNak&) const = default;
};

// auth3, shutdown, co_cancel, orphaned and rts: bytes after the header and before any auth
// trailer, kept as they are (16-byte cancel PDUs have none).
struct CoOpaque {
  Bytes body;
  bool operator==(const CoOpaque&) const = default;
};

using CoBody = std::variant<CoRequest, CoResponse, CoFault, CoBind, CoBindAck, CoBindNak, CoOpaque>;

struct CoPdu {
  std::uint8_t vers_minor = 0;
  PType type = PType::request;
  std::uint8_t flags = 0;
  std::array<std::uint8_t, 4> drep{kDrepLittle, 0, 0, 0};
  // As decoded. encode() computes both from the body and trailer and ignores these.
  std::uint16_t frag_length = 0;
  std::uint16_t auth_length = 0;
  std::uint32_t call_id = 0;
  CoBody body = CoOpaque{};
  std::optional<AuthTrailer> auth;

  ByteOrder order() const { return byte_order_of(drep[0]); }
  bool operator==(const CoPdu&) const = default;
};

// The body type that belongs to a ptype (request -> CoRequest, co_cancel -> CoOpaque, ...).
CoBody co_default_body(PType type);

// ---- Connectionless bodies ----

// request, response, ping, working, nocall, ack: the body as it is.
struct ClRaw {
  Bytes body;
  bool operator==(const ClRaw&) const = default;
};

// fault and reject: a status, absent when the body is shorter than 4 bytes.
struct ClStatus {
  std::optional<std::uint32_t> status;
  Bytes extra;
  bool operator==(const ClStatus&) const = default;
};

// cl_cancel: vers and cancel_id; some implementations send no body at all.
struct ClCancel {
  bool has_body = true;
  std::uint32_t vers = 0;
  std::uint32_t cancel_id = 0;
  Bytes extra;
  bool operator==(const ClCancel&) const = default;
};

// cancel_ack: 9 bytes are sent, 9 or more accepted (Samba's IDL pads server_is_accepting to 4).
struct ClCancelAck {
  std::uint32_t vers = 0;
  std::uint32_t cancel_id = 0;
  std::uint8_t server_is_accepting = 0;
  Bytes extra;
  bool operator==(const ClCancelAck&) const = default;
};

// fack: C706 allows older senders a fack without a body; has_body is then false and the rest
// is zero. Last so that aggregate initialisers of the body fields keep their meaning.
struct ClFack {
  std::uint8_t vers = 0;
  std::uint8_t pad = 0;
  std::uint16_t window_size = 0;
  std::uint32_t max_tsdu = 0;
  std::uint32_t max_frag_size = 0;
  std::uint16_t serial_num = 0;
  std::vector<std::uint32_t> selack;
  Bytes extra;
  bool has_body = true;
  bool operator==(const ClFack&) const = default;
};

using ClBody = std::variant<ClRaw, ClStatus, ClCancel, ClCancelAck, ClFack>;

struct ClPdu {
  PType type = PType::request;
  std::uint8_t flags1 = 0;
  std::uint8_t flags2 = 0;
  std::array<std::uint8_t, 3> drep{kDrepLittle, 0, 0};
  std::uint8_t serial_hi = 0;
  Uuid object;
  Uuid interface_id;
  Uuid activity;
  std::uint32_t server_boot = 0;
  std::uint32_t interface_version = 0;
  std::uint32_t seqnum = 0;
  std::uint16_t opnum = 0;
  std::uint16_t interface_hint = 0xffff;
  std::uint16_t activity_hint = 0xffff;
  std::uint16_t body_length = 0;  // as decoded; encode() computes it
  std::uint16_t fragnum = 0;
  std::uint8_t auth_proto = 0;
  std::uint8_t serial_lo = 0;
  ClBody body = ClRaw{};
  Bytes trailer;  // bytes after the body: the auth verifier when auth_proto is set

  ByteOrder order() const { return byte_order_of(drep[0]); }
  bool operator==(const ClPdu&) const = default;
};

ClBody cl_default_body(PType type);

using Pdu = std::variant<CoPdu, ClPdu>;

}  // namespace rpcfit::wire
