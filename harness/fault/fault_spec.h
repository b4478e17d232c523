// A network fault as data, and its one-line text form for `--fault` and scenario files.
//
// Text: the kind, then comma-separated keys (no spaces needed; spaces around tokens are ignored):
//   latency,delay=200ms,jitter=50ms,dir=c2s      delay drawn uniformly from delay +- jitter
//   drop,pdu=cl_cancel,nth=1                     drop,p=0.25
//   duplicate,pdu=request                        reorder,dir=c2s
//   truncate,keep=20,pdu=response                corrupt,field=frag_length,value=7,pdu=response
//   reset,after=100                              reset,pdu=co_cancel,close
//   slice,segment=4,gap=10ms                     blackhole,dir=s2c
//   bandwidth,bps=20000
// Keys every kind takes (the match): dir=c2s|s2c, pdu=<ptype name as in wire.md>, nth=N (>= 1),
// p=<probability in [0,1]>. Per kind: latency delay= (required) jitter= (<= delay); truncate keep=;
// corrupt field= value= (both required; value decimal or 0x hex, within the field's width);
// reset after=N and the bare flags rst (default) or close; slice segment= (>= 1, required) gap=;
// bandwidth bps= (1 to 10^9, required). Durations: an integer with ns, us, ms or s ("0" alone is
// zero). reset with after= counts bytes, so it takes neither pdu=, nth= nor p=.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/clock.h"
#include "harness/core/result.h"
#include "harness/wire/pdu.h"

namespace rpcfit::fault {

enum class Direction : std::uint8_t { client_to_server, server_to_client };
// 0 and 1, for arrays indexed by direction.
inline std::size_t direction_index(Direction d) {
  return d == Direction::client_to_server ? 0 : 1;
}

// "c2s" and "s2c".
std::string_view direction_name(Direction d);
std::optional<Direction> direction_from_name(std::string_view name);

enum class FaultKind : std::uint8_t {
  latency,
  drop,
  duplicate,
  reorder,
  truncate,
  corrupt,
  reset,
  slice,
  blackhole,
  bandwidth,
};
inline constexpr std::size_t kFaultKindCount = 10;
inline constexpr std::array<FaultKind, kFaultKindCount> kAllFaultKinds{
    FaultKind::latency,   FaultKind::drop,     FaultKind::duplicate, FaultKind::reorder,
    FaultKind::truncate,  FaultKind::corrupt,  FaultKind::reset,     FaultKind::slice,
    FaultKind::blackhole, FaultKind::bandwidth};

std::string_view fault_kind_name(FaultKind kind);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

// The tree's ptype names (wire::ptype_name) read back; nullopt for anything else.
std::optional<wire::PType> ptype_from_name(std::string_view name);

// Which PDUs a fault considers. A PDU matches when its direction and type agree with those given;
// nth then keeps only the nth matching PDU (1-based, counted by this fault alone), and the fault
// injects into a matching PDU with `probability`.
struct FaultMatch {
  std::optional<Direction> direction;
  std::optional<wire::PType> pdu;
  std::optional<std::uint32_t> nth;
  double probability = 1.0;
  bool operator==(const FaultMatch&) const = default;
};

// One fault. Only the fields of its kind are used; the others stay at their defaults, which is
// what parse_fault() leaves them at, so that specs compare equal after a round trip.
struct FaultSpec {
  FaultKind kind = FaultKind::drop;
  FaultMatch match;
  // latency: delay + a uniform draw from [-jitter, +jitter]; jitter <= delay.
  Duration delay{0};
  Duration jitter{0};
  // truncate: send only the first `keep` bytes (a PDU of keep bytes or fewer passes untouched).
  std::size_t keep = 0;
  // corrupt: header field name (see corrupt.h) and the value written into it.
  std::string field;
  std::uint64_t value = 0;
  // reset: with after_bytes, cut the stream once that many bytes of the direction have passed
  // (once per plan); without, cut it just before the first matched PDU. rst: TCP RST (true) or
  // an orderly close (false).
  std::optional<std::uint64_t> after_bytes;
  bool rst = true;
  // slice: send in writes of `segment` bytes, `gap` apart.
  std::size_t segment = 0;
  Duration gap{0};
  // bandwidth: the link's rate in bytes per second, 1 to 10^9.
  std::uint64_t bytes_per_second = 0;

  bool operator==(const FaultSpec&) const = default;
};

// Checks ranges and combinations (the rules in the file comment); the message names the key.
Result<bool, std::string> validate(const FaultSpec& spec);

// Parses the text form. Errors read: fault "<text>": <key>: <what is wrong>.
Result<FaultSpec, std::string> parse_fault(std::string_view text);
// The text form, in a fixed key order, which parse_fault() reads back to an equal spec.
std::string to_string(const FaultSpec& spec);

// Durations as in the text form: "200ms", "1500us", "2s", "0ms".
std::optional<Duration> parse_duration(std::string_view text);
std::string duration_text(Duration d);

}  // namespace rpcfit::fault
