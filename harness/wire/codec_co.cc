// Connection-oriented (version 5) encode and decode.
#include <stdexcept>
#include <type_traits>

#include "harness/wire/codec.h"
#include "harness/wire/codec_util.h"

namespace rpcfit::wire {
namespace detail {

bool read_uuid(ByteReader& r, Uuid& out) {
  if (r.remaining() < 16) return false;
  r.u32(out.time_low);
  r.u16(out.time_mid);
  r.u16(out.time_hi_and_version);
  for (auto& b : out.clock_seq_node)
    r.u8(b);
  return true;
}

void write_uuid(ByteWriter& w, const Uuid& u) {
  w.u32(u.time_low);
  w.u16(u.time_mid);
  w.u16(u.time_hi_and_version);
  w.bytes(u.clock_seq_node);
}

bool read_syntax(ByteReader& r, SyntaxId& out) {
  if (r.remaining() < 20) return false;
  read_uuid(r, out.uuid);
  return r.u32(out.version);
}

void write_syntax(ByteWriter& w, const SyntaxId& s) {
  write_uuid(w, s.uuid);
  w.u32(s.version);
}

}  // namespace detail

namespace {

using detail::body_short;
using detail::make_error;

// The 8 bytes bind-type PDUs and their acknowledgements share.
template <class Body>
bool read_assoc_header(Body& b, ByteReader& r) {
  if (r.remaining() < 8) return false;
  r.u16(b.max_xmit_frag);
  r.u16(b.max_recv_frag);
  r.u32(b.assoc_group_id);
  return true;
}

template <class Body>
void write_assoc_header(const Body& b, ByteWriter& w) {
  w.u16(b.max_xmit_frag);
  w.u16(b.max_recv_frag);
  w.u32(b.assoc_group_id);
}

std::optional<Error> decode_into(CoBind& b, ByteReader& r) {
  std::uint8_t n = 0;
  if (!read_assoc_header(b, r)) return body_short(r, "body", 8);
  if (!r.u8(n) || !r.skip(3)) return body_short(r, "n_context_elem", 4);
  for (unsigned i = 0; i < n; ++i) {
    PresentationContext ctx;
    std::uint8_t n_ts = 0;
    if (r.remaining() < 24) return body_short(r, "p_cont_elem", 24);
    r.u16(ctx.context_id);
    r.u8(n_ts);
    r.skip(1);
    detail::read_syntax(r, ctx.abstract_syntax);
    for (unsigned t = 0; t < n_ts; ++t) {
      SyntaxId ts;
      if (!detail::read_syntax(r, ts)) return body_short(r, "transfer_syntax", 20);
      ctx.transfer_syntaxes.push_back(ts);
    }
    b.contexts.push_back(std::move(ctx));
  }
  r.copy(r.remaining(), b.extra);
  return std::nullopt;
}

std::optional<Error> decode_into(CoBindAck& b, ByteReader& r) {
  std::uint16_t sec_len = 0;
  if (!read_assoc_header(b, r)) return body_short(r, "body", 8);
  if (!r.u16(sec_len)) return body_short(r, "sec_addr_length", 2);
  ByteView sec;
  if (!r.bytes(sec_len, sec)) return body_short(r, "sec_addr", sec_len);
  b.secondary_address_nul = !sec.empty() && sec.back() == 0;
  if (b.secondary_address_nul) sec = sec.first(sec.size() - 1);
  b.secondary_address.assign(sec.begin(), sec.end());
  // The result list is 4-byte aligned from the start of the PDU (the body starts at 16).
  const std::size_t pad = (4 - (r.offset() % 4)) % 4;
  std::uint8_t n = 0;
  if (!r.skip(pad) || !r.u8(n) || !r.skip(3)) return body_short(r, "n_results", 4);
  for (unsigned i = 0; i < n; ++i) {
    ContextResult res;
    if (r.remaining() < 24) return body_short(r, "p_result", 24);
    r.u16(res.result);
    r.u16(res.reason);
    detail::read_syntax(r, res.transfer_syntax);
    b.results.push_back(res);
  }
  r.copy(r.remaining(), b.extra);
  return std::nullopt;
}

std::optional<Error> decode_into(CoBindNak& b, ByteReader& r) {
  if (!r.u16(b.reject_reason)) return body_short(r, "provider_reject_reason", 2);
  std::uint8_t n = 0;
  b.versions_present = r.u8(n);
  if (b.versions_present) {
    if (r.remaining() < std::size_t{n} * 2) return body_short(r, "versions", n * 2u);
    for (unsigned i = 0; i < n; ++i) {
      std::uint8_t major = 0, minor = 0;
      r.u8(major);
      r.u8(minor);
      b.versions.emplace_back(major, minor);
    }
  }
  r.copy(r.remaining(), b.extra);
  return std::nullopt;
}

std::optional<Error> decode_into(CoRequest& q, ByteReader& r, std::uint8_t flags) {
  const std::size_t need = (flags & pfc::kObjectUuid) ? 24 : 8;
  if (r.remaining() < need) return body_short(r, "body", need);
  r.u32(q.alloc_hint);
  r.u16(q.context_id);
  r.u16(q.opnum);
  if (flags & pfc::kObjectUuid) {
    q.object.emplace();
    detail::read_uuid(r, *q.object);
  }
  r.copy(r.remaining(), q.stub);
  return std::nullopt;
}

// The 8 bytes response and fault share: alloc_hint, p_cont_id, cancel_count, one more byte.
template <class Body>
bool read_reply_header(Body& b, std::uint8_t& fourth, ByteReader& r) {
  if (r.remaining() < 8) return false;
  r.u32(b.alloc_hint);
  r.u16(b.context_id);
  r.u8(b.cancel_count);
  r.u8(fourth);
  return true;
}

template <class Body>
void write_reply_header(const Body& b, std::uint8_t fourth, ByteWriter& w) {
  w.u32(b.alloc_hint);
  w.u16(b.context_id);
  w.u8(b.cancel_count);
  w.u8(fourth);
}

std::optional<Error> decode_into(CoResponse& p, ByteReader& r) {
  if (!read_reply_header(p, p.reserved, r)) return body_short(r, "body", 8);
  r.copy(r.remaining(), p.stub);
  return std::nullopt;
}

std::optional<Error> decode_into(CoFault& f, ByteReader& r) {
  if (r.remaining() < 16) return body_short(r, "body", 16);
  read_reply_header(f, f.fault_flags, r);
  r.u32(f.status);
  r.u32(f.reserved);
  r.copy(r.remaining(), f.stub);
  return std::nullopt;
}

std::optional<Error> decode_into(CoOpaque& o, ByteReader& r) {
  r.copy(r.remaining(), o.body);
  return std::nullopt;
}

// co_default_body() says which layout a type has; this fills it in.
Result<CoBody, Error> decode_co_body(PType type, std::uint8_t flags, ByteReader& r) {
  CoBody body = co_default_body(type);
  std::optional<Error> failed = std::visit(
      [&](auto& b) -> std::optional<Error> {
        if constexpr (std::is_same_v<std::decay_t<decltype(b)>, CoRequest>) {
          return decode_into(b, r, flags);
        } else {
          return decode_into(b, r);
        }
      },
      body);
  if (failed) return unexpected(*failed);
  return body;
}

void encode_co_body(const CoBody& body, ByteWriter& w) {
  struct Visitor {
    ByteWriter& w;
    void operator()(const CoRequest& q) const {
      w.u32(q.alloc_hint);
      w.u16(q.context_id);
      w.u16(q.opnum);
      if (q.object) detail::write_uuid(w, *q.object);
      w.bytes(q.stub);
    }
    void operator()(const CoResponse& p) const {
      write_reply_header(p, p.reserved, w);
      w.bytes(p.stub);
    }
    void operator()(const CoFault& f) const {
      write_reply_header(f, f.fault_flags, w);
      w.u32(f.status);
      w.u32(f.reserved);
      w.bytes(f.stub);
    }
    void operator()(const CoBind& b) const {
      write_assoc_header(b, w);
      w.u8(static_cast<std::uint8_t>(b.contexts.size()));
      w.zeros(3);
      for (const auto& ctx : b.contexts) {
        w.u16(ctx.context_id);
        w.u8(static_cast<std::uint8_t>(ctx.transfer_syntaxes.size()));
        w.u8(0);
        detail::write_syntax(w, ctx.abstract_syntax);
        for (const auto& ts : ctx.transfer_syntaxes)
          detail::write_syntax(w, ts);
      }
      w.bytes(b.extra);
    }
    void operator()(const CoBindAck& b) const {
      write_assoc_header(b, w);
      const bool nul = b.secondary_address_nul;
      w.u16(static_cast<std::uint16_t>(b.secondary_address.size() + (nul ? 1 : 0)));
      for (char c : b.secondary_address)
        w.u8(static_cast<std::uint8_t>(c));
      if (nul) w.u8(0);
      w.zeros((4 - (w.size() % 4)) % 4);
      w.u8(static_cast<std::uint8_t>(b.results.size()));
      w.zeros(3);
      for (const auto& res : b.results) {
        w.u16(res.result);
        w.u16(res.reason);
        detail::write_syntax(w, res.transfer_syntax);
      }
      w.bytes(b.extra);
    }
    void operator()(const CoBindNak& b) const {
      w.u16(b.reject_reason);
      if (b.versions_present || !b.versions.empty()) {
        w.u8(static_cast<std::uint8_t>(b.versions.size()));
      }
      for (const auto& [major, minor] : b.versions) {
        w.u8(major);
        w.u8(minor);
      }
      w.bytes(b.extra);
    }
    void operator()(const CoOpaque& o) const { w.bytes(o.body); }
  };
  std::visit(Visitor{w}, body);
}

}  // namespace

Result<std::size_t, Error> check_co_header(ByteView h) {
  if (h.size() < kCoHeaderSize) {
    return unexpected(make_error(ErrorCode::truncated, "header", 0,
                                 std::to_string(h.size()) + " bytes, the common header needs 16"));
  }
  if (h[0] != 5) {
    return unexpected(
        make_error(ErrorCode::bad_version, "rpc_vers", 0, std::to_string(h[0]) + ", expected 5"));
  }
  if (h[1] > 1) {
    return unexpected(make_error(ErrorCode::bad_minor_version, "rpc_vers_minor", 1,
                                 std::to_string(h[1]) + ", expected 0 or 1"));
  }
  if (!is_co_ptype(h[2])) {
    return unexpected(make_error(ErrorCode::unknown_ptype, "ptype", 2,
                                 std::to_string(h[2]) + " is not a connection-oriented type"));
  }
  if ((h[4] >> 4) > 1) {
    return unexpected(make_error(ErrorCode::bad_drep, "drep", 4,
                                 "byte order nibble " + std::to_string(h[4] >> 4)));
  }
  const std::uint16_t frag =
      byte_order_of(h[4]) == ByteOrder::little ? load_le16(&h[8]) : load_be16(&h[8]);
  if (frag < kCoHeaderSize) {
    return unexpected(make_error(ErrorCode::frag_length_below_header, "frag_length", 8,
                                 std::to_string(frag) + " is below the 16-byte header"));
  }
  return std::size_t{frag};
}

bool looks_like_co(ByteView data) {
  return check_co_header(data).ok();
}

Result<CoPdu, Error> decode_co(ByteView data) {
  auto frag = check_co_header(data);
  if (!frag) return unexpected(frag.error());
  if (*frag > data.size()) {
    return unexpected(make_error(ErrorCode::frag_length_beyond_buffer, "frag_length", 8,
                                 std::to_string(*frag) + " is beyond the " +
                                     std::to_string(data.size()) + " bytes there are"));
  }
  if (*frag < data.size()) {
    return unexpected(
        make_error(ErrorCode::trailing_bytes, "frag_length", 8,
                   std::to_string(data.size() - *frag) + " bytes follow the fragment"));
  }
  ByteReader r(data, byte_order_of(data[4]));
  CoPdu pdu;
  std::uint8_t vers = 0, ptype = 0;
  r.u8(vers);
  r.u8(pdu.vers_minor);
  r.u8(ptype);
  r.u8(pdu.flags);
  pdu.type = static_cast<PType>(ptype);
  for (auto& b : pdu.drep)
    r.u8(b);
  r.u16(pdu.frag_length);
  r.u16(pdu.auth_length);
  r.u32(pdu.call_id);

  std::size_t body_end = pdu.frag_length;
  if (pdu.auth_length > 0) {
    const std::size_t trailer = kSecTrailerSize + pdu.auth_length;
    if (trailer > pdu.frag_length - kCoHeaderSize) {
      return unexpected(make_error(
          ErrorCode::auth_length_beyond_fragment, "auth_length", 10,
          std::to_string(pdu.auth_length) + " plus the 8-byte sec_trailer does not fit in the " +
              std::to_string(pdu.frag_length - kCoHeaderSize) + " bytes after the header"));
    }
    const std::size_t at = pdu.frag_length - trailer;
    ByteReader t(data.subspan(at), r.order());
    AuthTrailer a;
    t.u8(a.type);
    t.u8(a.level);
    t.u8(a.pad_length);
    t.u8(a.reserved);
    t.u32(a.context_id);
    t.copy(pdu.auth_length, a.value);
    if (a.pad_length > at - kCoHeaderSize) {
      return unexpected(make_error(ErrorCode::auth_length_beyond_fragment, "auth_pad_length",
                                   at + 2,
                                   std::to_string(a.pad_length) + " pad bytes exceed the " +
                                       std::to_string(at - kCoHeaderSize) + "-byte body"));
    }
    body_end = at - a.pad_length;
    pdu.auth = std::move(a);
  }
  // Body offsets in errors are relative to the PDU: read from a view that starts at 0.
  ByteReader body(data.first(body_end), r.order());
  body.seek(kCoHeaderSize);
  auto decoded = decode_co_body(pdu.type, pdu.flags, body);
  if (!decoded) return unexpected(decoded.error());
  pdu.body = std::move(decoded).value();
  return pdu;
}

Bytes encode(const CoPdu& pdu) {
  ByteWriter w(byte_order_of(pdu.drep[0]));
  std::uint8_t flags = pdu.flags;
  if (const auto* q = std::get_if<CoRequest>(&pdu.body)) {
    flags = static_cast<std::uint8_t>(q->object ? (flags | pfc::kObjectUuid)
                                                : (flags & ~pfc::kObjectUuid));
  }
  w.u8(5);
  w.u8(pdu.vers_minor);
  w.u8(static_cast<std::uint8_t>(pdu.type));
  w.u8(flags);
  w.bytes(pdu.drep);
  w.u16(0);  // frag_length, patched below
  w.u16(pdu.auth ? static_cast<std::uint16_t>(pdu.auth->value.size()) : 0);
  w.u32(pdu.call_id);
  encode_co_body(pdu.body, w);
  if (pdu.auth) {
    const AuthTrailer& a = *pdu.auth;
    w.zeros(a.pad_length);
    w.u8(a.type);
    w.u8(a.level);
    w.u8(a.pad_length);
    w.u8(a.reserved);
    w.u32(a.context_id);
    w.bytes(a.value);
  }
  if (w.size() > kMaxCoFragment) {
    // A caller bug, not wire input: fragment_co() keeps fragments within max_xmit_frag.
    throw std::length_error("CO PDU of " + std::to_string(w.size()) +
                            " bytes exceeds the 16-bit frag_length; fragment it first");
  }
  w.patch_u16(8, static_cast<std::uint16_t>(w.size()));
  return w.take();
}

}  // namespace rpcfit::wire
