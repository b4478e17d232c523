#include "harness/cli/capture_example.h"

#include "captures/pcap_writer.h"
#include "harness/core/status.h"
#include "harness/wire/codec.h"

namespace rpcfit::cli {
namespace {

using namespace std::chrono_literals;
using wire::PType;

constexpr std::uint8_t kFirstLast = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;

wire::CoPdu co(PType type, std::uint8_t flags, std::uint32_t call_id, wire::CoBody body) {
  wire::CoPdu p;
  p.type = type;
  p.flags = flags;
  p.call_id = call_id;
  p.body = std::move(body);
  return p;
}

wire::ClPdu cl(PType type, std::uint32_t seqnum, wire::ClBody body) {
  wire::ClPdu p;
  p.type = type;
  p.interface_id = *wire::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab");
  p.activity = *wire::Uuid::parse("a0b1c2d3-e4f5-4617-8839-4a5b6c7d8e9f");
  p.server_boot = 1767225600;
  p.interface_version = 1;
  p.seqnum = seqnum;
  p.opnum = 1;
  p.flags1 = type == PType::request ? wire::clf1::kIdempotent : 0;
  p.body = std::move(body);
  return p;
}

}  // namespace

Result<std::uint64_t, captures::CaptureError> write_capture_example(const std::string& path) {
  auto opened = captures::PcapWriter::open(path);
  if (!opened) return unexpected(opened.error());
  captures::PcapWriter& w = **opened;
  // A fixed start (2026-01-01T00:00:00Z) so that the file is the same on every run.
  const Timestamp t0 = std::chrono::seconds(1767225600);
  const Endpoint client{IpAddress::loopback_v4(), 49152};
  const Endpoint server{IpAddress::loopback_v4(), 49153};
  auto send = [&](Timestamp t, const Endpoint& from, const Endpoint& to, const wire::CoPdu& pdu) {
    w.pdu(CapturedPdu{t, TransportKind::tcp, from, to, wire::encode(pdu)});
  };
  const wire::SyntaxId iface{*wire::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 1};

  // Call 1: cancelled with a timeout; the cancel-aware server faults it with nca_s_fault_cancel.
  w.connection_opened(t0, client, server);
  send(t0 + 1ms, client, server,
       co(PType::bind, kFirstLast, 1,
          wire::CoBind{5840, 5840, 0, {{0, iface, {wire::ndr_syntax()}}}, {}}));
  send(t0 + 2ms, server, client,
       co(PType::bind_ack, kFirstLast, 1,
          wire::CoBindAck{5840, 5840, 0x5a11, "49153", true, {{0, 0, wire::ndr_syntax()}}, {}}));
  send(t0 + 3ms, client, server,
       co(PType::request, kFirstLast, 2, wire::CoRequest{8, 0, 1, std::nullopt, Bytes(8, 0x11)}));
  send(t0 + 103ms, client, server,
       co(PType::co_cancel, wire::pfc::kLastFrag | wire::pfc::kPendingCancel, 2, wire::CoOpaque{}));
  send(t0 + 150ms, server, client,
       co(PType::fault, kFirstLast, 2, wire::CoFault{0, 0, 1, 0, nca::kFaultCancel, 0, {}}));
  // Call 2: the server never returns; after the 2 s cancel timeout the client orphans the call
  // and closes the connection.
  send(t0 + 200ms, client, server,
       co(PType::request, kFirstLast, 3, wire::CoRequest{8, 0, 1, std::nullopt, Bytes(8, 0x22)}));
  send(t0 + 300ms, client, server,
       co(PType::co_cancel, wire::pfc::kLastFrag | wire::pfc::kPendingCancel, 3, wire::CoOpaque{}));
  send(t0 + 2300ms, client, server, co(PType::orphaned, kFirstLast, 3, wire::CoOpaque{}));
  w.connection_closed(t0 + 2300ms, client, server);
  w.connection_closed(t0 + 2301ms, server, client);

  // A datagram call cancelled with cl_cancel and acknowledged.
  const Endpoint dg_client{IpAddress::loopback_v4(), 49154};
  const Endpoint dg_server{IpAddress::loopback_v4(), 49155};
  auto dgram = [&](Timestamp t, const Endpoint& from, const Endpoint& to, const wire::ClPdu& pdu) {
    w.pdu(CapturedPdu{t, TransportKind::udp, from, to, wire::encode(pdu)});
  };
  dgram(t0 + 3s, dg_client, dg_server, cl(PType::request, 0, wire::ClRaw{Bytes(8, 0x33)}));
  dgram(t0 + 3s + 100ms, dg_client, dg_server,
        cl(PType::cl_cancel, 0, wire::ClCancel{true, 0, 1, {}}));
  dgram(t0 + 3s + 101ms, dg_server, dg_client,
        cl(PType::cancel_ack, 0, wire::ClCancelAck{0, 1, 1, {}}));
  dgram(t0 + 3s + 150ms, dg_server, dg_client,
        cl(PType::fault, 0, wire::ClStatus{nca::kFaultCancel, {}}));

  auto closed = w.close();
  if (!closed) return unexpected(closed.error());
  return w.frames_written();
}

}  // namespace rpcfit::cli
