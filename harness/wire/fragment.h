// Fragmentation of request and response bodies for a peer's max_xmit_frag (CO) or maximum body
// size (CL), and reassembly of fragments into whole calls within stated limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "harness/core/result.h"
#include "harness/wire/error.h"
#include "harness/wire/pdu.h"

namespace rpcfit::wire {

// Splits a whole request or response into fragments no longer than max_xmit_frag, with
// FIRST/LAST flags and alloc_hint set to the stub bytes remaining from each fragment on. Other
// flags are kept on every fragment. Authenticated PDUs are refused: their trailers are computed
// per fragment by a security provider.
Result<std::vector<CoPdu>, Error> fragment_co(const CoPdu& whole, std::uint16_t max_xmit_frag);

// Splits a CL request or response body into fragments of at most max_body bytes, numbered from
// 0, with FRAG on all and LASTFRAG on the last. A body that fits is returned whole, unflagged.
Result<std::vector<ClPdu>, Error> fragment_cl(const ClPdu& whole, std::size_t max_body);

struct CallLimits {
  // Reassembled stub bytes per call. A CL fragment also counts its kClHeaderSize header, so that
  // empty fragments are not free.
  std::size_t max_call_size = 16u << 20;
  std::size_t max_calls_in_progress = 64;
  // CL reception window: the first missing fragment of a call and the max_fragments_ahead - 1
  // after it. A fragment beyond is dropped unstored (a sender within its window never sends it;
  // it resends), which bounds a fack's selack to max_fragments_ahead / 32 words (rounded up).
  std::size_t max_fragments_ahead = 256;
};

// Reassembles CO request or response fragments of one direction of one connection, by call_id.
class CoCallReassembler {
 public:
  explicit CoCallReassembler(CallLimits limits = {}) : limits_(limits) {}
  // A whole call when `fragment` completes one; nullopt while fragments are outstanding. PDUs
  // other than request and response are whole by themselves and returned as they are; an
  // orphaned or fault PDU also drops the partial call of its call_id, since no more fragments of
  // it will come. A new first fragment for a call in progress restarts that call.
  Result<std::optional<CoPdu>, Error> add(const CoPdu& fragment);
  // Drops the partial call, e.g. when the runtime abandons it.
  void discard(std::uint32_t call_id) { calls_.erase(call_id); }
  std::size_t in_progress() const { return calls_.size(); }

 private:
  CallLimits limits_;
  std::map<std::uint32_t, CoPdu> calls_;
};

// What a fack about one call says (C706 fack body): every fragment up to `through` has arrived
// (0xFFFF: not even fragment 0), and bit i of selack word w stands for fragment through+1+32w+i.
struct ClAcknowledgement {
  std::uint16_t through = 0xFFFF;
  std::vector<std::uint32_t> selack;
};

// Reassembles CL fragments by activity, sequence number and type, in any order, ignoring
// duplicate fragments, also those that arrive after their call was delivered, and dropping
// fragments beyond the reception window (CallLimits::max_fragments_ahead).
class ClCallReassembler {
 public:
  explicit ClCallReassembler(CallLimits limits = {}) : limits_(limits) {}
  // The whole call when `fragment` completes one; nullopt while fragments are outstanding, and
  // for duplicates and fragments beyond the window, which are not stored. An error drops the
  // partial call.
  Result<std::optional<ClPdu>, Error> add(const ClPdu& fragment);
  std::size_t in_progress() const { return calls_.size(); }
  // Bytes held by all partial calls as counted against max_call_size: each stored fragment's
  // body plus kClHeaderSize.
  std::size_t held() const { return held_; }
  // The fragments of `fragment`'s call that have arrived, for a fack; a call already delivered
  // has all of them.
  ClAcknowledgement acknowledgement(const ClPdu& fragment) const;

 private:
  struct Partial {
    ClPdu first;
    std::map<std::uint16_t, Bytes> fragments;
    std::optional<std::uint16_t> last;
    std::size_t size = 0;        // counted: bodies plus kClHeaderSize per fragment
    std::size_t contiguous = 0;  // fragments 0..contiguous-1 have all arrived
  };
  using Key = std::tuple<std::string, std::uint32_t, std::uint8_t>;
  static constexpr std::size_t kRememberCompleted = 64;
  void erase(std::map<Key, Partial>::iterator it);

  CallLimits limits_;
  std::map<Key, Partial> calls_;
  std::size_t held_ = 0;
  // The last calls delivered, with their last fragment number, to recognise late duplicates.
  std::deque<std::pair<Key, std::uint16_t>> completed_;
};

}  // namespace rpcfit::wire
