// Connectionless (version 4) encode and decode, and the version dispatch.
#include <stdexcept>

#include "harness/wire/codec.h"
#include "harness/wire/codec_util.h"

namespace rpcfit::wire {
namespace {

using detail::body_short;
using detail::make_error;

std::optional<Error> decode_into(ClRaw& raw, ByteReader& r) {
  r.copy(r.remaining(), raw.body);
  return std::nullopt;
}

std::optional<Error> decode_into(ClStatus& s, ByteReader& r) {
  std::uint32_t status = 0;
  if (r.u32(status)) s.status = status;
  r.copy(r.remaining(), s.extra);
  return std::nullopt;
}

std::optional<Error> decode_into(ClCancel& c, ByteReader& r) {
  c.has_body = r.remaining() > 0;
  if (!c.has_body) return std::nullopt;
  if (r.remaining() < 8) return body_short(r, "cancel_body", 8);
  r.u32(c.vers);
  r.u32(c.cancel_id);
  r.copy(r.remaining(), c.extra);
  return std::nullopt;
}

std::optional<Error> decode_into(ClCancelAck& c, ByteReader& r) {
  if (r.remaining() < 9) return body_short(r, "cancel_ack_body", 9);
  r.u32(c.vers);
  r.u32(c.cancel_id);
  r.u8(c.server_is_accepting);
  r.copy(r.remaining(), c.extra);
  return std::nullopt;
}

std::optional<Error> decode_into(ClFack& f, ByteReader& r) {
  f.has_body = r.remaining() > 0;
  if (!f.has_body) return std::nullopt;
  std::uint16_t n = 0;
  if (r.remaining() < 16) return body_short(r, "fack_body", 16);
  r.u8(f.vers);
  r.u8(f.pad);
  r.u16(f.window_size);
  r.u32(f.max_tsdu);
  r.u32(f.max_frag_size);
  r.u16(f.serial_num);
  r.u16(n);
  if (r.remaining() < std::size_t{n} * 4) return body_short(r, "selack", n * 4u);
  for (unsigned i = 0; i < n; ++i) {
    std::uint32_t word = 0;
    r.u32(word);
    f.selack.push_back(word);
  }
  r.copy(r.remaining(), f.extra);
  return std::nullopt;
}

// cl_default_body() says which layout a type has; this fills it in.
Result<ClBody, Error> decode_cl_body(PType type, ByteReader& r) {
  ClBody body = cl_default_body(type);
  auto failed = std::visit([&](auto& b) { return decode_into(b, r); }, body);
  if (failed) return unexpected(*failed);
  return body;
}

void encode_cl_body(const ClBody& body, ByteWriter& w) {
  struct Visitor {
    ByteWriter& w;
    void operator()(const ClRaw& b) const { w.bytes(b.body); }
    void operator()(const ClStatus& s) const {
      if (s.status) w.u32(*s.status);
      w.bytes(s.extra);
    }
    void operator()(const ClCancel& c) const {
      if (!c.has_body) return;
      w.u32(c.vers);
      w.u32(c.cancel_id);
      w.bytes(c.extra);
    }
    void operator()(const ClCancelAck& c) const {
      w.u32(c.vers);
      w.u32(c.cancel_id);
      w.u8(c.server_is_accepting);
      w.bytes(c.extra);
    }
    void operator()(const ClFack& f) const {
      if (!f.has_body) return;
      w.u8(f.vers);
      w.u8(f.pad);
      w.u16(f.window_size);
      w.u32(f.max_tsdu);
      w.u32(f.max_frag_size);
      w.u16(f.serial_num);
      w.u16(static_cast<std::uint16_t>(f.selack.size()));
      for (std::uint32_t word : f.selack)
        w.u32(word);
      w.bytes(f.extra);
    }
  };
  std::visit(Visitor{w}, body);
}

}  // namespace

bool looks_like_cl(ByteView d) {
  return d.size() >= kClHeaderSize && d[0] == 4 && is_cl_ptype(d[1]) && (d[4] >> 4) <= 1;
}

Result<ClPdu, Error> decode_cl(ByteView data) {
  if (data.size() < kClHeaderSize) {
    return unexpected(make_error(ErrorCode::truncated, "header", 0,
                                 std::to_string(data.size()) + " bytes, the header needs 80"));
  }
  if (data[0] != 4) {
    return unexpected(make_error(ErrorCode::bad_version, "rpc_vers", 0,
                                 std::to_string(data[0]) + ", expected 4"));
  }
  if (!is_cl_ptype(data[1])) {
    return unexpected(make_error(ErrorCode::unknown_ptype, "ptype", 1,
                                 std::to_string(data[1]) + " is not a connectionless type"));
  }
  if ((data[4] >> 4) > 1) {
    return unexpected(make_error(ErrorCode::bad_drep, "drep", 4,
                                 "byte order nibble " + std::to_string(data[4] >> 4)));
  }
  ByteReader r(data, byte_order_of(data[4]));
  ClPdu pdu;
  std::uint8_t vers = 0, ptype = 0;
  r.u8(vers);
  r.u8(ptype);
  pdu.type = static_cast<PType>(ptype);
  r.u8(pdu.flags1);
  r.u8(pdu.flags2);
  for (auto& b : pdu.drep)
    r.u8(b);
  r.u8(pdu.serial_hi);
  detail::read_uuid(r, pdu.object);
  detail::read_uuid(r, pdu.interface_id);
  detail::read_uuid(r, pdu.activity);
  r.u32(pdu.server_boot);
  r.u32(pdu.interface_version);
  r.u32(pdu.seqnum);
  r.u16(pdu.opnum);
  r.u16(pdu.interface_hint);
  r.u16(pdu.activity_hint);
  r.u16(pdu.body_length);
  r.u16(pdu.fragnum);
  r.u8(pdu.auth_proto);
  r.u8(pdu.serial_lo);
  if (kClHeaderSize + std::size_t{pdu.body_length} > data.size()) {
    return unexpected(make_error(ErrorCode::body_length_beyond_datagram, "body_length", 74,
                                 std::to_string(pdu.body_length) + " is beyond the " +
                                     std::to_string(data.size() - kClHeaderSize) +
                                     " bytes after the header"));
  }
  ByteReader body(data.first(kClHeaderSize + pdu.body_length), r.order());
  body.seek(kClHeaderSize);
  auto decoded = decode_cl_body(pdu.type, body);
  if (!decoded) return unexpected(decoded.error());
  pdu.body = std::move(decoded).value();
  const ByteView rest = data.subspan(kClHeaderSize + pdu.body_length);
  pdu.trailer.assign(rest.begin(), rest.end());
  return pdu;
}

Bytes encode(const ClPdu& pdu) {
  ByteWriter w(byte_order_of(pdu.drep[0]));
  w.u8(4);
  w.u8(static_cast<std::uint8_t>(pdu.type));
  w.u8(pdu.flags1);
  w.u8(pdu.flags2);
  w.bytes(pdu.drep);
  w.u8(pdu.serial_hi);
  detail::write_uuid(w, pdu.object);
  detail::write_uuid(w, pdu.interface_id);
  detail::write_uuid(w, pdu.activity);
  w.u32(pdu.server_boot);
  w.u32(pdu.interface_version);
  w.u32(pdu.seqnum);
  w.u16(pdu.opnum);
  w.u16(pdu.interface_hint);
  w.u16(pdu.activity_hint);
  w.u16(0);  // body_length, patched below
  w.u16(pdu.fragnum);
  w.u8(pdu.auth_proto);
  w.u8(pdu.serial_lo);
  encode_cl_body(pdu.body, w);
  if (w.size() - kClHeaderSize > 0xffff) {
    // A caller bug, not wire input: fragment_cl() keeps bodies within the 16-bit body_length.
    throw std::length_error("CL body of " + std::to_string(w.size() - kClHeaderSize) +
                            " bytes exceeds the 16-bit body_length; fragment it first");
  }
  w.patch_u16(74, static_cast<std::uint16_t>(w.size() - kClHeaderSize));
  w.bytes(pdu.trailer);
  return w.take();
}

Bytes encode(const Pdu& pdu) {
  return std::visit([](const auto& p) { return encode(p); }, pdu);
}

Result<Pdu, Error> decode(ByteView data) {
  if (data.empty()) {
    return unexpected(make_error(ErrorCode::truncated, "rpc_vers", 0, "no bytes"));
  }
  if (data[0] == 5) {
    auto co = decode_co(data);
    if (!co) return unexpected(co.error());
    return Pdu{std::move(co).value()};
  }
  if (data[0] == 4) {
    auto cl = decode_cl(data);
    if (!cl) return unexpected(cl.error());
    return Pdu{std::move(cl).value()};
  }
  return unexpected(make_error(ErrorCode::bad_version, "rpc_vers", 0,
                               std::to_string(data[0]) + ", expected 5 (CO) or 4 (CL)"));
}

}  // namespace rpcfit::wire
