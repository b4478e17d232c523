// Whose turn it is to receive on a datagram endpoint (leader/followers, dg_call.h): the state of
// the receiving thread, as DgEndpoint keeps it under pool_mu_. Pure: the endpoint reads the
// clocks, waits and wakes, and asks this what each event does. Tested with plain numbers.
//
// The followers' side is counts and one flag of DgEndpoint, each independent of this state (a
// count of waiting threads is not what the receiving thread does), all under pool_mu_:
//   idle_       + 1 as a thread enters follow(), - 1 as it leaves it (to lead, or on stop)
//   finishing_  + 1 in complete(), before the reply goes out, so the client's next call finds a
//               follower; - 1 as that thread leads on or retires (serve()), or enters follow()
//               in the same step as idle_ + 1
//   watching_   one follower waits with a timeout: while a call runs on the receiving thread
//               (until its grace ends) or within kBusy of the last call started there (waking
//               every kGrace, so starting a call needs no wake-up); the others wait untimed
// Back from a call and not receiving, a thread retires when idle_ >= kIdleThreads. The
// receiving thread about to run a call (ensure_follower()) starts a thread unless
// idle_ + finishing_ > 0: while it receives, no follower leaves follow() but on stop, and a
// finishing thread retires only when idle_ > 0, so the count holds.
#pragma once

#include <cstdint>

namespace rpcfit::rpc {

// clang-format off
// Transitions (state, event -> state: effect [rule]):
//   none          follower looks              -> receiving     the first thread to follow leads
//   receiving     start_call()                -> running       a datagram completed a call; the
//                                                              receiving thread runs its routine
//                                                              in the next turn, and wakes a
//                                                              follower to watch unless one does
//   running       hand_over(its turn)         -> handing_over  the routine looks at its cancels:
//                                                              a follower is woken [CS-DG-2]
//   running       follower looks, grace over  -> receiving     the follower leads; the thread
//                                                              running the call follows or
//                                                              retires after it
//   handing_over  follower looks              -> receiving     the follower leads at once
//   running       end_call(its turn)          -> receiving     no follower took over: the thread
//   handing_over  end_call(its turn)          -> receiving     that ran the call leads on
//   Every other pair changes nothing: a follower looking at receiving (or at running within its
//   grace) waits on; hand_over of another turn or outside running, and end_call of another turn
//   (a follower took over, and may run a later call) or outside a call, are ignored.
// clang-format on
enum class Leader : std::uint8_t { none, receiving, running, handing_over };

class LeaderTurns {
 public:
  Leader state() const { return state_; }
  // A follower looks (follow()); `grace_over`: the call running on the receiving thread has had
  // its grace. Whether the follower now receives.
  bool take_over(bool grace_over);
  // The turn of the call the receiving thread starts.
  std::uint64_t start_call();
  // Whether a follower must be woken to take over.
  bool hand_over(std::uint64_t turn);
  // Whether the thread that ran the call of `turn` still receives.
  bool end_call(std::uint64_t turn);
  bool runs_call() const;

 private:
  Leader state_ = Leader::none;
  std::uint64_t turn_ = 0;  // calls started on the receiving thread
};

}  // namespace rpcfit::rpc
