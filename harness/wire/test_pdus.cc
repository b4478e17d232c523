#include "harness/wire/test_pdus.h"

#include <stdexcept>

namespace rpcfit::wire::testing {
namespace {

std::array<std::uint8_t, 4> co_drep(ByteOrder order) {
  return {order == ByteOrder::big ? kDrepBig : kDrepLittle, 0, 0, 0};
}

CoPdu co(PType type, std::uint8_t flags, std::uint32_t call_id, CoBody body, ByteOrder order) {
  CoPdu p;
  p.type = type;
  p.flags = flags;
  p.call_id = call_id;
  p.drep = co_drep(order);
  p.body = std::move(body);
  return p;
}

}  // namespace

Bytes hex(const char* text) {
  Bytes out;
  if (!from_hex(text, out)) throw std::invalid_argument(text);
  return out;
}

std::vector<CoPdu> sample_co_pdus(ByteOrder order) {
  const Uuid netlogon = *Uuid::parse("12345678-1234-abcd-ef00-01234567cffb");
  const Uuid object = *Uuid::parse("00112233-4455-6677-8899-aabbccddeeff");
  constexpr std::uint8_t kFL = pfc::kFirstFrag | pfc::kLastFrag;
  std::vector<CoPdu> v;

  CoBind bind{5840, 5840, 0x1234, {{0, {netlogon, 1}, {ndr_syntax()}}}, {}};
  v.push_back(co(PType::bind, kFL | pfc::kPendingCancel, 1, bind, order));
  CoBindAck ack{5840, 5840, 0x1234, "49154", true, {{0, 0, ndr_syntax()}}, {}};
  v.push_back(co(PType::bind_ack, kFL, 1, ack, order));
  v.push_back(co(PType::bind_nak, kFL, 1, CoBindNak{4, {{5, 0}, {5, 1}}, {}}, order));
  v.push_back(co(PType::alter_context, kFL, 2, bind, order));
  CoBindAck alter_resp{5840, 5840, 0x1234, "", false, {{0, 0, ndr_syntax()}}, {}};
  v.push_back(co(PType::alter_context_resp, kFL, 2, alter_resp, order));
  CoPdu auth3 = co(PType::auth3, kFL, 3, CoOpaque{{0, 0, 0, 0}}, order);
  auth3.auth = AuthTrailer{10, 6, 0, 0, 7, Bytes(24, 0x5a)};
  v.push_back(auth3);
  v.push_back(co(PType::request, kFL, 4, CoRequest{8, 0, 5, std::nullopt, {1, 2, 3, 4, 5, 6, 7, 8}},
                 order));
  v.push_back(co(PType::request, kFL | pfc::kObjectUuid, 5,
                 CoRequest{4, 1, 9, object, {9, 9, 9, 9}}, order));
  CoPdu signed_request =
      co(PType::request, kFL, 6, CoRequest{3, 0, 1, std::nullopt, {1, 2, 3}}, order);
  signed_request.auth = AuthTrailer{9, 5, 5, 0, 1, Bytes(16, 0xa5)};
  v.push_back(signed_request);
  v.push_back(co(PType::response, kFL | pfc::kPendingCancel, 4,
                 CoResponse{4, 0, 2, 0, {0, 0, 0, 0}}, order));
  v.push_back(co(PType::fault, kFL | pfc::kDidNotExecute, 4, CoFault{0, 0, 1, 0, 0x1C00000D, 0, {}},
                 order));
  v.push_back(co(PType::shutdown, kFL, 0, CoOpaque{}, order));
  v.push_back(co(PType::co_cancel, pfc::kLastFrag | pfc::kPendingCancel, 4, CoOpaque{}, order));
  v.push_back(co(PType::orphaned, kFL, 4, CoOpaque{}, order));
  v.push_back(co(PType::rts, kFL, 0, CoOpaque{{0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 1, 0}}, order));
  return v;
}

std::vector<ClPdu> sample_cl_pdus(ByteOrder order) {
  ClPdu base;
  base.drep = {order == ByteOrder::big ? kDrepBig : kDrepLittle, 0, 0};
  base.interface_id = *Uuid::parse("6bffd098-a112-3610-9833-46c3f87e345a");
  base.activity = *Uuid::parse("a0b1c2d3-e4f5-0617-2839-4a5b6c7d8e9f");
  base.server_boot = 0x5f000001;
  base.interface_version = 1;
  base.seqnum = 42;
  base.opnum = 3;
  base.serial_lo = 1;
  std::vector<ClPdu> v;
  auto add = [&](PType type, std::uint8_t flags1, ClBody body) {
    ClPdu p = base;
    p.type = type;
    p.flags1 = flags1;
    p.body = std::move(body);
    v.push_back(std::move(p));
  };
  add(PType::request, clf1::kIdempotent, ClRaw{{1, 2, 3, 4, 5}});
  add(PType::ping, 0, ClRaw{});
  add(PType::response, clf1::kNoFack, ClRaw{{6, 7}});
  add(PType::fault, 0, ClStatus{0x1C00000D, {}});
  add(PType::working, 0, ClRaw{});
  add(PType::nocall, 0, ClRaw{});
  add(PType::reject, 0, ClStatus{0x1C010003, {}});
  add(PType::ack, 0, ClRaw{});
  add(PType::cl_cancel, 0, ClCancel{true, 0, 7, {}});
  add(PType::fack, 0, ClFack{0, 0, 16, 4096, 1464, 1, {0x5}, {}});
  add(PType::cancel_ack, 0, ClCancelAck{0, 7, 1, {}});
  v.back().flags2 = clf2::kCancelPending;
  return v;
}

}  // namespace rpcfit::wire::testing
