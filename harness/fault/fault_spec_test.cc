#include "harness/fault/fault_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <set>

namespace rpcfit::fault {
namespace {

using namespace std::chrono_literals;

FaultSpec parsed(std::string_view text) {
  auto r = parse_fault(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  return r.ok() ? r.value() : FaultSpec{};
}

std::string error_of(std::string_view text) {
  auto r = parse_fault(text);
  EXPECT_FALSE(r.ok()) << text << " parsed";
  return r.ok() ? "" : r.error();
}

// Canonical texts, one or more per kind: each prints back exactly and re-parses to an equal spec.
TEST(FaultText, EveryKindRoundTrips) {
  const std::vector<std::string> texts{
      "latency,delay=200ms,jitter=50ms,dir=c2s",
      "latency,delay=1500us",
      "drop,pdu=cl_cancel,nth=1",
      "drop,p=0.25",
      "duplicate,pdu=request",
      "reorder,dir=c2s",
      "truncate,keep=20,pdu=response",
      "truncate,keep=0",
      "corrupt,field=frag_length,value=7,pdu=response",
      "corrupt,field=seqnum,value=4294967295,dir=s2c,p=0.125",
      "reset,after=100",
      "reset,pdu=co_cancel",
      "reset,close,pdu=co_cancel",
      "reset,after=0,close,dir=s2c",
      "slice,segment=4,gap=10ms",
      "slice,segment=1",
      "blackhole,dir=s2c",
      "blackhole,pdu=bind_ack,nth=3,p=0.5",
      "bandwidth,bps=20000",
  };
  std::set<FaultKind> kinds;
  for (const auto& text : texts) {
    const FaultSpec spec = parsed(text);
    kinds.insert(spec.kind);
    EXPECT_EQ(to_string(spec), text);
    EXPECT_EQ(parsed(to_string(spec)), spec) << text;
  }
  EXPECT_EQ(kinds.size(), kFaultKindCount);
}

TEST(FaultText, FieldsLandWhereTheyBelong) {
  FaultSpec s = parsed("latency,delay=200ms,jitter=50ms,dir=c2s");
  EXPECT_EQ(s.kind, FaultKind::latency);
  EXPECT_EQ(s.delay, 200ms);
  EXPECT_EQ(s.jitter, 50ms);
  EXPECT_EQ(s.match.direction, Direction::client_to_server);
  EXPECT_FALSE(s.match.pdu.has_value());
  EXPECT_EQ(s.match.probability, 1.0);

  s = parsed(" drop , pdu=cl_cancel , nth=1 ");
  EXPECT_EQ(s.match.pdu, wire::PType::cl_cancel);
  EXPECT_EQ(s.match.nth, 1u);

  EXPECT_EQ(parsed("drop,p=0.25").match.probability, 0.25);
  EXPECT_EQ(parsed("corrupt,field=call_id,value=0x1C00000D").value, 0x1C00000Du);

  s = parsed("reset,pdu=co_cancel,close");
  EXPECT_FALSE(s.rst);
  EXPECT_FALSE(s.after_bytes.has_value());
  s = parsed("reset,after=100,rst");
  EXPECT_TRUE(s.rst);
  EXPECT_EQ(s.after_bytes, 100u);

  s = parsed("slice,segment=4,gap=10ms");
  EXPECT_EQ(s.segment, 4u);
  EXPECT_EQ(s.gap, 10ms);
  EXPECT_EQ(parsed("bandwidth,bps=20000").bytes_per_second, 20000u);
  EXPECT_EQ(parsed("truncate,keep=20").keep, 20u);
}

TEST(FaultText, ErrorsNameTheOffendingPart) {
  EXPECT_EQ(error_of("latency,delay=x"),
            "fault \"latency,delay=x\": delay: \"x\" is not a duration such as 200ms");
  EXPECT_EQ(error_of(""),
            "fault \"\": no fault kind; expected one of latency, drop, duplicate, reorder, "
            "truncate, corrupt, reset, slice, blackhole, bandwidth");
  EXPECT_THAT(error_of("lag,delay=1ms"),
              ::testing::StartsWith("fault \"lag,delay=1ms\": \"lag\" is not a fault kind; "
                                    "expected one of latency, drop,"));
  EXPECT_EQ(error_of("drop,color=red"),
            "fault \"drop,color=red\": \"color\" is not a key; drop takes dir, pdu, nth, p");
  EXPECT_EQ(error_of("drop,keep=3"),
            "fault \"drop,keep=3\": keep: not a key of drop; drop takes dir, pdu, nth, p");
  EXPECT_EQ(error_of("drop,nth=1,nth=2"), "fault \"drop,nth=1,nth=2\": nth: given twice");
  EXPECT_EQ(error_of("drop,,p=1"), "fault \"drop,,p=1\": empty item between commas");
  EXPECT_EQ(error_of("latency"), "fault \"latency\": delay: required by latency");
  EXPECT_EQ(error_of("corrupt,field=ptype"),
            "fault \"corrupt,field=ptype\": value: required by corrupt");
  EXPECT_EQ(error_of("drop,dir=up"), "fault \"drop,dir=up\": dir: \"up\" is not c2s or s2c");
  EXPECT_EQ(error_of("drop,pdu=cancel"),
            "fault \"drop,pdu=cancel\": pdu: \"cancel\" is not a PDU type such as request or "
            "co_cancel");
  EXPECT_EQ(error_of("drop,p=1.5"),
            "fault \"drop,p=1.5\": p: \"1.5\" is not a probability in [0,1] such as 0.25");
  EXPECT_EQ(error_of("drop,nth=0"), "fault \"drop,nth=0\": nth: counts from 1");
  EXPECT_EQ(error_of("drop,nth=two"),
            "fault \"drop,nth=two\": nth: \"two\" is not a whole number from 1 to 4294967295");
  EXPECT_EQ(error_of("drop,nth="),
            "fault \"drop,nth=\": nth: \"\" is not a whole number (the value is empty) from 1 to "
            "4294967295");
  EXPECT_EQ(error_of("drop,nth"), "fault \"drop,nth\": nth: needs a value, as in nth=...");
  EXPECT_EQ(error_of("reset,close=1"), "fault \"reset,close=1\": close: a flag, it takes no value");
  EXPECT_EQ(error_of("reset,rst,close"), "fault \"reset,rst,close\": close: contradicts rst");
  EXPECT_EQ(error_of("slice,segment=0"),
            "fault \"slice,segment=0\": segment: must be at least 1 byte");
  EXPECT_EQ(error_of("bandwidth,bps=0"),
            "fault \"bandwidth,bps=0\": bps: 0 is not from 1 to 1000000000 bytes per second");
  EXPECT_EQ(error_of("latency,delay=10ms,jitter=20ms"),
            "fault \"latency,delay=10ms,jitter=20ms\": jitter: 20ms exceeds the delay of 10ms "
            "(the delay is drawn from delay +- jitter)");
  EXPECT_EQ(error_of("reset,after=10,pdu=request"),
            "fault \"reset,after=10,pdu=request\": after: counts bytes, so it cannot be combined "
            "with pdu, nth or p");
  EXPECT_EQ(error_of("corrupt,field=seqnum,value=1,pdu=co_cancel"),
            "fault \"corrupt,field=seqnum,value=1,pdu=co_cancel\": field: seqnum is not in the "
            "header of a co_cancel PDU");
  EXPECT_EQ(error_of("corrupt,field=ptype,value=256"),
            "fault \"corrupt,field=ptype,value=256\": value: 256 does not fit ptype (at most 255)");
  EXPECT_THAT(error_of("corrupt,field=activity,value=1"),
              ::testing::StartsWith("fault \"corrupt,field=activity,value=1\": field: "
                                    "\"activity\" is not a header field (rpc_vers, "));
  EXPECT_EQ(error_of("corrupt,field=call_id,value=0xZZ"),
            "fault \"corrupt,field=call_id,value=0xZZ\": value: \"0xZZ\" is not a number "
            "(decimal or 0x hex)");
}

TEST(FaultText, CorruptFieldsShareableByCoAndClTypesAreAccepted) {
  EXPECT_TRUE(parse_fault("corrupt,field=frag_length,value=7,pdu=request").ok());
  EXPECT_TRUE(parse_fault("corrupt,field=seqnum,value=7,pdu=request").ok());
  EXPECT_TRUE(parse_fault("corrupt,field=seqnum,value=7,pdu=cl_cancel").ok());
  EXPECT_FALSE(parse_fault("corrupt,field=call_id,value=7,pdu=cl_cancel").ok());
}

TEST(FaultText, Durations) {
  EXPECT_EQ(parse_duration("200ms"), Duration{200ms});
  EXPECT_EQ(parse_duration("1500us"), Duration{1500us});
  EXPECT_EQ(parse_duration("2s"), Duration{2s});
  EXPECT_EQ(parse_duration("5ns"), Duration{5ns});
  EXPECT_EQ(parse_duration("0"), Duration{0});
  for (const char* bad : {"", "ms", "10", "-5ms", "10m", "1.5s", "ms10", "99999999999s"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  EXPECT_EQ(duration_text(Duration{0}), "0ms");
  EXPECT_EQ(duration_text(2s), "2s");
  EXPECT_EQ(duration_text(1500ms), "1500ms");
  EXPECT_EQ(duration_text(1500us), "1500us");
  EXPECT_EQ(duration_text(Duration{7}), "7ns");
}

TEST(FaultText, NamesReadBack) {
  for (FaultKind k : kAllFaultKinds)
    EXPECT_EQ(fault_kind_from_name(fault_kind_name(k)), k);
  EXPECT_FALSE(fault_kind_from_name("Drop").has_value());
  for (std::uint8_t t = 0; t <= 20; ++t)
    EXPECT_EQ(ptype_from_name(wire::ptype_name(t)), static_cast<wire::PType>(t));
  EXPECT_FALSE(ptype_from_name("ptype_21").has_value());
  EXPECT_EQ(direction_from_name(direction_name(Direction::server_to_client)),
            Direction::server_to_client);
  EXPECT_EQ(direction_name(Direction::client_to_server), "c2s");
}

TEST(FaultValidate, RefusesFieldsOfAnotherKindAndBadRanges) {
  FaultSpec s;
  s.kind = FaultKind::drop;
  EXPECT_TRUE(validate(s).ok());
  s.keep = 3;
  ASSERT_FALSE(validate(s).ok());
  EXPECT_EQ(validate(s).error(), "keep: not a key of drop; drop takes dir, pdu, nth, p");

  FaultSpec p;
  p.match.probability = -0.1;
  ASSERT_FALSE(validate(p).ok());
  EXPECT_EQ(validate(p).error(), "p: -0.1 is not a probability in [0,1]");
  p.match.probability = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(validate(p).ok());

  FaultSpec n;
  n.match.nth = 0;
  EXPECT_FALSE(validate(n).ok());

  FaultSpec l;
  l.kind = FaultKind::latency;
  l.delay = -1ms;
  EXPECT_FALSE(validate(l).ok());
}

}  // namespace
}  // namespace rpcfit::fault
