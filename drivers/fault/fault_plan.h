// FaultPlan: the pure decider. Given the faults, a seed and each PDU's facts in the order the
// decorator sees them, it says what to do with that PDU. Decisions are a function of (specs, seed,
// the sequence of (PduFacts, now)) and nothing else: no clock is read, and each spec draws from
// its own stream, forked from the seed by the spec's text (plus its rank among identical specs),
// so adding, removing or reordering a fault leaves the decisions of the others as they were.
//
// One plan models one conversation: one connection, or one datagram association. A proxy serving
// several connections makes one plan per connection with seed Random(seed).fork(index).seed().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/random.h"
#include "harness/fault/fault_spec.h"

namespace rpcfit::fault {

// What the decorator knows about a PDU from its header.
struct PduFacts {
  Direction direction = Direction::client_to_server;
  wire::PType type = wire::PType::request;
  std::size_t size = 0;         // bytes of the whole PDU (CO fragment or CL datagram)
  bool connectionless = false;  // rpc_vers 4; says which header a corrupt field lives in
  bool operator==(const PduFacts&) const = default;
};

// Facts from the bytes of one whole PDU; nullopt when they do not start a CO or CL header
// (such bytes pass the plan by; the decorator forwards them untouched).
std::optional<PduFacts> facts_of(Direction direction, ByteView pdu);

struct Corruption {
  std::string field;
  std::uint64_t value = 0;
  bool operator==(const Corruption&) const = default;
};

struct ResetAt {
  std::size_t offset = 0;  // bytes of this PDU to send before the cut: 0 = before it, size = after
  bool rst = true;         // true: TCP RST (SO_LINGER 0); false: orderly shutdown and close
  bool operator==(const ResetAt&) const = default;
};

struct Slicing {
  std::size_t segment = 1;  // bytes per write
  Duration gap{0};          // between writes
  bool operator==(const Slicing&) const = default;
};

// Everything to do with one PDU. The decorator applies it in this order:
//  1. blackhole: keep the PDU forever and report success to the sender; nothing else applies, and
//     every later PDU of this direction comes back with blackhole too (a hung network).
//  2. drop: discard it and report success; nothing else is set.
//  3. corruptions, in order, with corrupt_field() (corrupt.h); then truncate_to: cut the bytes to
//     that size (always smaller than the PDU).
//  4. wait `delay` of scenario time (the decorator's Clock) from the moment it called decide().
//     On a stream, delays queue: a later PDU never overtakes an earlier one.
//  5. reset: send the first min(offset, bytes left) bytes (sliced if slice is set), then cut the
//     connection with RST or a close; nothing more passes on it, in either direction.
//  6. hold (reorder): keep the PDU back and send it right after the next PDU of this direction
//     that is sent; a held PDU still held when the conversation ends is lost.
//  7. send `copies` copies (2 for duplicate), each sliced if slice is set: writes of
//     slice->segment bytes with slice->gap between them (TCP_NODELAY, so they leave as segments).
// reorder and slice are datagram and stream faults respectively; see FaultPlan::uses().
struct Action {
  bool blackhole = false;
  bool drop = false;
  unsigned copies = 1;
  Duration delay{0};  // latency (+- jitter) plus bandwidth pacing
  bool hold = false;
  std::optional<std::size_t> truncate_to;
  std::vector<Corruption> corruptions;
  std::optional<ResetAt> reset;
  std::optional<Slicing> slice;

  // Nothing to do: send it as it is, now.
  bool untouched() const { return *this == Action{}; }
  bool operator==(const Action&) const = default;
};

// One line of text for logs: "drop", "delay=200ms copies=2", "untouched".
std::string to_string(const Action& action);

// How specs that fire on the same PDU combine: blackhole wins over everything; then a reset
// (which also stops a drop, and a duplicate: one copy); then drop. The rest combine: latency
// delays add up, bandwidth pacing adds the largest of the links' waits, the smallest truncation,
// the smallest slice segment with the largest gap, all corruptions in spec order, the earliest
// reset. A corrupt whose field the PDU's header lacks, a truncate not shorter than the PDU and a
// reset that has fired once before inject nothing.
//
// Bandwidth is a virtual clock per spec and direction: a PDU that leaves with n bytes (after
// truncation, times copies) occupies the link for n/bps from max(now, the end of the previous
// PDU's slot), and its delay is the end of its slot minus now. `now` is the decorator's scenario
// time at decide(), non-decreasing.
//
// Byte counts for reset,after=N are the bytes the sender offered in that direction (PDU sizes as
// given), not counting PDUs held by a blackhole.
//
// Counters count PDUs: a PDU on which a kind was injected adds one to that kind, however many
// specs of the kind fired on it; every PDU held by a blackhole counts as one blackhole.
class FaultPlan {
 public:
  // Throws std::invalid_argument for a spec validate() refuses (a caller bug: parsed specs are
  // valid).
  FaultPlan(std::vector<FaultSpec> specs, std::uint64_t seed);

  // Thread-safe; the order of calls is the order of decisions.
  Action decide(const PduFacts& facts, Duration now);

  std::uint64_t seed() const { return seed_; }
  const std::vector<FaultSpec>& specs() const { return specs_; }
  // Whether any spec is of this kind (a stream decorator may refuse reorder, a datagram one slice
  // and reset).
  bool uses(FaultKind kind) const;
  // "seed=42 faults=drop,p=0.25; latency,delay=200ms", for the run's log and report.
  std::string describe() const;

  std::uint64_t injected(FaultKind kind) const;
  // Every kind by name, zeros included: for JSON reports.
  std::map<std::string, std::uint64_t> counters() const;
  // "drop=3 latency=12", kinds in enum order, zeros left out; "none" when nothing was injected.
  std::string describe_counters() const;

 private:
  // A spec with its own random stream and the state its matching needs.
  struct Armed {
    FaultSpec spec;
    Random random;
    std::uint64_t matched = 0;            // PDUs that passed dir and pdu, for nth
    bool spent = false;                   // a reset that has fired
    std::array<Duration, 2> link_free{};  // bandwidth: end of the last slot, per direction
  };
  struct Fired;
  void fire(Armed& armed, const PduFacts& facts, std::uint64_t bytes_before, Fired& fired);
  Action combine(const PduFacts& facts, Duration now, Fired& fired);

  std::vector<FaultSpec> specs_;
  std::uint64_t seed_;
  mutable std::mutex mu_;
  std::vector<Armed> armed_;
  std::array<bool, 2> blackholed_{};
  std::array<std::uint64_t, 2> bytes_{};
  std::array<std::uint64_t, kFaultKindCount> counts_{};
};

}  // namespace rpcfit::fault
