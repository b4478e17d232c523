// The wire part of check(): exact, ordered and absent expectations over encoded PDUs.
#include <gtest/gtest.h>

#include "harness/check/check_test_util.h"
#include "harness/check/checks.h"
#include "harness/check/wire_fields.h"
#include "harness/wire/codec.h"
#include "harness/wire/text.h"

namespace rpcfit::run {
namespace {

using std::chrono::milliseconds;
using testing::dump;
using testing::line;
using wire::PType;
using Dumps = std::vector<std::string>;

constexpr std::uint8_t kFL = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;

WirePdu co(Duration at, bool out, PType type, std::uint8_t flags, std::uint32_t call_id,
           wire::CoBody body) {
  wire::CoPdu p;
  p.type = type;
  p.flags = flags;
  p.call_id = call_id;
  p.body = std::move(body);
  return WirePdu{at, out, TransportKind::tcp, wire::encode(p)};
}

WireExpect expect(bool out, std::string pdu, int at_line) {
  WireExpect e;
  e.out = out;
  e.pdu = std::move(pdu);
  e.loc = line(at_line);
  return e;
}

// The hung-server timeline of design.md: bind, request, co_cancel at 100ms, orphaned at 2.1s.
struct WireFixture {
  Scenario scenario;
  Observation observed;
  WireFixture() {
    Step call;
    scenario.steps.push_back(call);
    Step cancel;
    cancel.kind = StepKind::cancel;
    cancel.at = milliseconds(100);
    scenario.steps.push_back(cancel);

    wire::CoBind bind{5840, 5840, 0, {{0, {wire::ndr_syntax().uuid, 1}, {wire::ndr_syntax()}}}, {}};
    wire::CoBindAck ack{5840, 5840, 0x77, "135", true, {{0, 0, wire::ndr_syntax()}}, {}};
    observed.wire = {
        co(Duration{0}, true, PType::bind, kFL, 1, bind),
        co(milliseconds(2), false, PType::bind_ack, kFL, 1, ack),
        co(milliseconds(3), true, PType::request, kFL, 1,
           wire::CoRequest{64, 0, 1, std::nullopt, Bytes(64, 0x11)}),
        co(milliseconds(105), true, PType::co_cancel,
           wire::pfc::kLastFrag | wire::pfc::kPendingCancel, 1, wire::CoOpaque{}),
        co(milliseconds(2110), true, PType::orphaned, kFL, 1, wire::CoOpaque{}),
    };

    WireExpectations w;
    w.loc = line(30);
    w.pdus = {expect(true, "bind", 31), expect(false, "bind_ack", 32), expect(true, "request", 33),
              expect(true, "co_cancel", 34), expect(true, "orphaned", 35)};
    w.pdus[2].fields = {{"opnum", "1"}, {"stub_length", "64"}};
    w.pdus[3].fields = {{"flags", "LAST|PENDING_CANCEL"}, {"call_id", "1"}};
    w.pdus[3].field_locs = {{"flags", line(34, 30)}};
    w.pdus[3].at = ExpectedTime{milliseconds(100), line(34, 50)};
    w.pdus[4].at = ExpectedTime{milliseconds(2100), line(35, 50)};
    scenario.expect.wire = w;
  }
  WireExpectations& wire() { return *scenario.expect.wire; }
  // "#3 at 105ms: out co_cancel call_id=1 flags=LAST|PENDING_CANCEL"
  std::string line_of(std::size_t i) const {
    const WirePdu& p = observed.wire[i];
    return "#" + std::to_string(i) + " at " + format_instant(p.at) + ": " +
           (p.out ? "out " : "in ") + wire::to_text(*wire::decode(p.bytes));
  }
  Dumps run() const { return dump(check(scenario, observed, TimingSettings{})); }
};

TEST(CheckWireExact, PassWhenEveryPduMatches) {
  EXPECT_EQ(WireFixture().run(), Dumps{});
}

TEST(CheckWireExact, LengthListsTheActualSequence) {
  WireFixture f;
  f.wire().pdus.pop_back();
  EXPECT_EQ(f.run(), Dumps{"wire length | 4 | 5 | s.yaml:30:3 | out bind, in bind_ack, "
                           "out request, out co_cancel, out orphaned"});
}

TEST(CheckWireExact, LengthWithNothingOnTheWire) {
  WireFixture f;
  f.observed.wire.clear();
  EXPECT_EQ(f.run(), Dumps{"wire length | 5 | 0 | s.yaml:30:3 | nothing"});
}

TEST(CheckWireExact, EmptyListMeansNothingOnTheWire) {
  WireFixture f;
  f.wire().pdus.clear();
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.run()[0].rfind("wire length | 0 | 5 |", 0), 0u) << f.run()[0];
}

TEST(CheckWireExact, Direction) {
  WireFixture f;
  f.wire().pdus[1].out = true;
  EXPECT_EQ(f.run(), Dumps{"wire[1] dir | out | in | s.yaml:32:3 | " + f.line_of(1)});
}

TEST(CheckWireExact, WrongTypeSkipsFieldsAndTime) {
  WireFixture f;
  f.wire().pdus[3].pdu = "orphaned";
  EXPECT_EQ(f.run(), Dumps{"wire[3] pdu | orphaned | co_cancel | s.yaml:34:3 | " + f.line_of(3)});
}

TEST(CheckWireExact, FlagsInAnyOrder) {
  WireFixture f;
  f.wire().pdus[3].fields["flags"] = "PENDING_CANCEL | LAST";
  EXPECT_EQ(f.run(), Dumps{});
  f.wire().pdus[3].fields["flags"] = "LAST";
  EXPECT_EQ(f.run(),
            Dumps{"wire[3] flags | LAST | LAST|PENDING_CANCEL | s.yaml:34:30 | " + f.line_of(3)});
  f.wire().pdus[3].fields["flags"] = "LAST|PENDING_CANCEL|FIRST";
  EXPECT_EQ(f.run().size(), 1u);
}

TEST(CheckWireExact, FieldValueWithoutFieldLocation) {
  WireFixture f;
  f.wire().pdus[2].fields["opnum"] = "2";
  EXPECT_EQ(f.run(), Dumps{"wire[2] opnum | 2 | 1 | s.yaml:33:3 | " + f.line_of(2)});
}

TEST(CheckWireExact, FieldThePduDoesNotHave) {
  WireFixture f;
  f.wire().pdus[3].fields["cancel_count"] = "1";
  EXPECT_EQ(f.run(), Dumps{"wire[3] cancel_count | 1 | (absent) | s.yaml:34:3 | " + f.line_of(3)});
}

TEST(CheckWireExact, TimeOfAPdu) {
  WireFixture f;
  f.wire().pdus[4].at->at = milliseconds(2500);
  // interval 2.4s from the cancel: tolerance 120ms
  EXPECT_EQ(f.run(), Dumps{"wire[4] at | 2.500s | 2.110s | s.yaml:35:50 | tolerance 0.120s; " +
                           f.line_of(4)});
  f.wire().pdus[4].at->at = milliseconds(2200);
  EXPECT_EQ(f.run(), Dumps{});
}

TEST(CheckWireExact, UndecodablePdu) {
  WireFixture f;
  f.observed.wire[3].bytes.resize(10);
  const std::string error = pdu_fields(f.observed.wire[3].bytes).error();
  EXPECT_EQ(f.run(), Dumps{"wire[3] pdu | co_cancel | undecodable | s.yaml:34:3 | #3 at 105ms: "
                           "out undecodable 10 bytes: " +
                           error});
}

TEST(CheckWireExact, StatusByNameOrNumber) {
  WireFixture f;
  f.observed.wire[4] = co(milliseconds(2110), false, PType::fault, kFL, 1,
                          wire::CoFault{0, 0, 1, 0, nca::kFaultCancel, 0, {}});
  WireExpect& e = f.wire().pdus[4];
  e.out = false;
  e.pdu = "fault";
  e.fields = {{"status", "0x1c00000d"}, {"cancel_count", "1"}};
  EXPECT_EQ(f.run(), Dumps{});
  e.fields["status"] = "nca_s_fault_unspec";
  EXPECT_EQ(f.run(), Dumps{"wire[4] status | nca_s_fault_unspec | nca_s_fault_cancel | "
                           "s.yaml:35:3 | " +
                           f.line_of(4)});
}

TEST(CheckWireOrdered, PassWithPdusBetween) {
  WireFixture f;
  f.wire().match = WireMatch::ordered;
  auto& p = f.wire().pdus;
  p.erase(p.begin(), p.begin() + 2);  // request, co_cancel, orphaned
  EXPECT_EQ(f.run(), Dumps{});
  p.erase(p.begin() + 1);  // request, orphaned
  EXPECT_EQ(f.run(), Dumps{});
}

TEST(CheckWireOrdered, OutOfOrder) {
  WireFixture f;
  f.wire().match = WireMatch::ordered;
  f.wire().pdus = {expect(true, "co_cancel", 40), expect(true, "request", 41)};
  EXPECT_EQ(f.run(),
            Dumps{"wire[1] | out request | not found after #3 | s.yaml:41:3 | after #3: out "
                  "orphaned"});
}

TEST(CheckWireOrdered, FirstNotFoundListsEverything) {
  WireFixture f;
  f.wire().match = WireMatch::ordered;
  f.wire().pdus = {expect(true, "cl_cancel", 40)};
  EXPECT_EQ(f.run(), Dumps{"wire[0] | out cl_cancel | not found | s.yaml:40:3 | seen: out bind, "
                           "in bind_ack, out request, out co_cancel, out orphaned"});
}

TEST(CheckWireOrdered, FieldsNarrowTheMatch) {
  WireFixture f;
  f.wire().match = WireMatch::ordered;
  f.wire().pdus = {expect(true, "request", 40), expect(true, "co_cancel", 41)};
  f.wire().pdus[1].fields = {{"call_id", "2"}, {"flags", "LAST|PENDING_CANCEL"}};
  EXPECT_EQ(f.run(), Dumps{"wire[1] | out co_cancel call_id=2 flags=LAST|PENDING_CANCEL | "
                           "not found after #2 | s.yaml:41:3 | after #2: out co_cancel, out "
                           "orphaned"});
}

TEST(CheckWireOrdered, OneMissingPduIsOneMismatch) {
  WireFixture f;
  f.wire().match = WireMatch::ordered;
  f.wire().pdus = {expect(true, "request", 40), expect(true, "shutdown", 41),
                   expect(true, "orphaned", 42), expect(false, "orphaned", 43)};
  EXPECT_EQ(f.run(),
            (Dumps{"wire[1] | out shutdown | not found after #2 | s.yaml:41:3 | after #2: out "
                   "co_cancel, out orphaned",
                   "wire[3] | in orphaned | not found after #4 | s.yaml:43:3 | after #4: "
                   "nothing"}));
}

TEST(CheckWireOrdered, TimeOfTheMatchedPdu) {
  WireFixture f;
  f.wire().match = WireMatch::ordered;
  f.wire().pdus = {expect(true, "co_cancel", 40)};
  f.wire().pdus[0].at = ExpectedTime{milliseconds(300), line(40, 30)};
  // interval 200ms from the cancel: tolerance 50ms
  EXPECT_EQ(f.run(),
            Dumps{"wire[0] at | 300ms | 105ms | s.yaml:40:30 | tolerance 50ms; " + f.line_of(3)});
}

TEST(CheckWireAbsent, MatchingPduIsAMismatch) {
  WireFixture f;
  f.wire().absent = {expect(true, "co_cancel", 50), expect(false, "co_cancel", 51),
                     expect(true, "fault", 52)};
  EXPECT_EQ(f.run(), Dumps{"wire absent[0] | no out co_cancel | #3 at 105ms | s.yaml:50:3 | "
                           "out co_cancel call_id=1 flags=LAST|PENDING_CANCEL"});
}

TEST(CheckWireAbsent, FieldsNarrowWhatIsAbsent) {
  WireFixture f;
  f.wire().absent = {expect(true, "request", 50)};
  f.wire().absent[0].fields = {{"opnum", "2"}};
  EXPECT_EQ(f.run(), Dumps{});
  f.wire().absent[0].fields = {{"opnum", "1"}};
  EXPECT_EQ(f.run(), Dumps{"wire absent[0] | no out request opnum=1 | #2 at 3ms | s.yaml:50:3 | "
                           "out request call_id=1 flags=FIRST|LAST ctx=0 opnum=1 alloc_hint=64 "
                           "stub=64"});
}

TEST(CheckWireAbsent, EveryMatchIsReported) {
  WireFixture f;
  f.wire().absent = {expect(true, "request", 50)};
  f.observed.wire.push_back(f.observed.wire[2]);
  f.observed.wire.back().at = milliseconds(2500);
  f.wire().pdus.clear();  // absent alone: no sequence
  EXPECT_EQ(f.run().size(), 2u);
  EXPECT_EQ(f.run()[1].rfind("wire absent[0] | no out request | #5 at 2.500s |", 0), 0u);
}

TEST(CheckWire, Datagrams) {
  WireFixture f;
  wire::ClPdu request;
  request.type = PType::request;
  request.flags1 = wire::clf1::kIdempotent;
  request.seqnum = 7;
  request.activity = *wire::Uuid::parse("a0b1c2d3-e4f5-0617-2839-4a5b6c7d8e9f");
  request.body = wire::ClRaw{Bytes(16, 1)};
  wire::ClPdu cancel = request;
  cancel.type = PType::cl_cancel;
  cancel.flags1 = 0;
  cancel.body = wire::ClCancel{true, 0, 1, {}};
  f.observed.wire = {WirePdu{milliseconds(1), true, TransportKind::udp, wire::encode(request)},
                     WirePdu{milliseconds(101), true, TransportKind::udp, wire::encode(cancel)}};
  f.wire().pdus = {expect(true, "request", 40), expect(true, "cl_cancel", 41)};
  f.wire().pdus[0].fields = {{"seqnum", "7"},
                             {"activity", "A0B1C2D3-E4F5-0617-2839-4A5B6C7D8E9F"},
                             {"flags", "IDEMPOTENT"},
                             {"flags2", "none"}};
  f.wire().pdus[1].fields = {{"cancel_id", "1"}, {"seqnum", "7"}};
  EXPECT_EQ(f.run(), Dumps{});
  f.wire().pdus[1].fields["cancel_id"] = "2";
  EXPECT_EQ(f.run(), Dumps{"wire[1] cancel_id | 2 | 1 | s.yaml:41:3 | " + f.line_of(1)});
}

}  // namespace
}  // namespace rpcfit::run
