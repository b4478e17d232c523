#include "drivers/runtime/dg_pdus.h"

#include <algorithm>

#include "drivers/runtime/dg_flow.h"

namespace rpcfit::rpc {

wire::Uuid random_activity_uuid(Random& random) {
  const std::uint64_t hi = random.next();
  const std::uint64_t lo = random.next();
  wire::Uuid id;
  id.time_low = static_cast<std::uint32_t>(hi >> 32);
  id.time_mid = static_cast<std::uint16_t>(hi >> 16);
  id.time_hi_and_version = static_cast<std::uint16_t>((hi & 0x0FFF) | 0x4000);
  for (std::size_t i = 0; i < 8; ++i)
    id.clock_seq_node[i] = static_cast<std::uint8_t>(lo >> (8 * i));
  id.clock_seq_node[0] = static_cast<std::uint8_t>((id.clock_seq_node[0] & 0x3F) | 0x80);
  return id;
}

wire::ClPdu about_call(const wire::ClPdu& about, wire::PType type) {
  wire::ClPdu pdu;
  pdu.type = type;
  pdu.drep = about.drep;
  pdu.object = about.object;
  pdu.interface_id = about.interface_id;
  pdu.activity = about.activity;
  pdu.server_boot = about.server_boot;
  pdu.interface_version = about.interface_version;
  pdu.seqnum = about.seqnum;
  pdu.opnum = about.opnum;
  pdu.body = wire::cl_default_body(type);
  return pdu;
}

wire::ClPdu make_fack(const wire::ClPdu& fragment, const wire::ClAcknowledgement& received,
                      std::uint16_t window) {
  auto pdu = about_call(fragment, wire::PType::fack);
  pdu.fragnum = received.through;
  wire::ClFack body;
  body.vers = 1;
  body.window_size = window;
  body.max_tsdu = 0xFFFF;
  body.max_frag_size = static_cast<std::uint32_t>(kDgFragmentBody + wire::kClHeaderSize);
  body.serial_num = static_cast<std::uint16_t>((fragment.serial_hi << 8) | fragment.serial_lo);
  body.selack = received.selack;
  pdu.body = body;
  return pdu;
}

wire::ClPdu make_cl_cancel(const wire::ClPdu& call, std::uint32_t cancel_id) {
  auto pdu = about_call(call, wire::PType::cl_cancel);
  wire::ClCancel body;
  body.cancel_id = cancel_id;
  pdu.body = body;
  return pdu;
}

wire::ClPdu make_cancel_ack(const wire::ClPdu& cancel, std::uint32_t cancel_id, bool accepting) {
  auto pdu = about_call(cancel, wire::PType::cancel_ack);
  wire::ClCancelAck body;
  body.cancel_id = cancel_id;
  body.server_is_accepting = accepting ? 1 : 0;
  pdu.body = body;
  return pdu;
}

wire::ClPdu make_cl_status(const wire::ClPdu& call, wire::PType type, std::uint32_t status) {
  auto pdu = about_call(call, type);
  wire::ClStatus body;
  body.status = status;
  pdu.body = body;
  return pdu;
}

std::size_t dg_fragment_body(std::size_t max_datagram) {
  const std::size_t room = max_datagram > wire::kClHeaderSize * 2
                               ? max_datagram - wire::kClHeaderSize
                               : wire::kClHeaderSize;
  return std::min(kDgFragmentBody, room);
}

}  // namespace rpcfit::rpc
