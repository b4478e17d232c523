// The cancel state of one client call (spec sections 2 and 4), as a pure state machine: the call
// thread and cancelling threads feed it events under the call's lock, with the time read from the
// Clock, and it answers what to put on the wire and when the call is orphaned. Tested with plain
// numbers, no threads.
#pragma once

#include <cstdint>

#include "harness/core/clock.h"

namespace rpcfit::rpc {

// clang-format off
// Transitions (state, event -> state: effect [rule]):
//   before_first  post(c, T)        -> before_first  counted; T remembered, a later post replaces
//                                                    it [CS-IDLE-1]; a finite T also bounds the
//                                                    setup at c + T, the earliest bound winning
//                                                    (decision, README)
//   before_first  carry_pending(T)  -> before_first  as post, but the setup stays unbounded: the
//                                                    timer waits for the first fragment [CS-PEND-1]
//   before_first  first_fragment(t) -> sent          PENDING_CANCEL on it if a cancel was posted or
//                                                    carried, and no co_cancel owed for it; the
//                                                    deadline is t + the latest T [CS-PEND-1]
//   before_first  expire_setup()    -> orphaned      the setup bound passed; nothing was sent
//   sent          post(c, T)        -> sent          one more co_cancel owed [CS-FWD-1]; deadline
//                                                    = min(deadline, c + T) for finite T
//                                                    [CS-TMO-2, CS-TMO-3, CS-TMO-4]
//   sent          orphan()          -> orphaned      at or after the deadline [CS-TMO-2, CS-TMO-3]
//   orphaned      post(c, T)        -> orphaned      refused: the thread keeps it pending
//                                                    [CS-IDLE-1]
//   finished      post(c, T)        -> finished      refused likewise
//   any           finish()          -> finished      the call ended
//   any           take_forwards()   -> unchanged     hands out the co_cancel PDUs owed (only a
//                                                    post in sent adds to them; orphaned keeps
//                                                    those not taken yet)
//   Every other pair (first_fragment after before_first, orphan outside sent, expire_setup and
//   carry_pending outside before_first) changes nothing.
// clang-format on
enum class CancelPhase : std::uint8_t { before_first, sent, orphaned, finished };

class CallCancel {
 public:
  // A cancel posted at `now` with timeout `timeout_s` seconds (-1: infinite). Returns false when
  // the call has finished or been orphaned (the caller then keeps the cancel pending on the
  // thread, CS-IDLE-1).
  bool post(Duration now, long timeout_s);
  // A cancel left pending on the thread, carried into this call as it begins: like a post, but
  // its timer starts only with the first fragment (CS-PEND-1), so it does not bound the setup.
  void carry_pending(long timeout_s);
  // The first request fragment leaves at `now`; returns whether it carries PFC_PENDING_CANCEL.
  bool first_fragment(Duration now);
  // co_cancel PDUs owed now; resets the count.
  int take_forwards();
  // While the connection is being set up (before the first fragment): when a cancel posted then
  // with a finite timeout ends the call (decision, README); nullopt when none did.
  Deadline setup_deadline() const { return setup_deadline_; }
  // That deadline passed before the request was sent: the cancel is consumed.
  void expire_setup();
  // When the call must be orphaned; nullopt while no finite timeout applies.
  Deadline deadline() const { return deadline_; }
  bool due(Duration now) const { return deadline_ && now >= *deadline_; }
  void orphan();
  void finish();

  CancelPhase phase() const { return phase_; }
  // Cancels the server has been told about: co_cancel PDUs sent, plus one for a first fragment
  // that carried PFC_PENDING_CANCEL.
  int forwarded() const { return forwarded_; }
  bool told_server() const { return forwarded_ > 0 || carried_on_first_; }
  int posted() const { return posted_; }
  // Cancels posted after the first fragment and not yet sent as co_cancel.
  int owed() const { return owed_; }
  // The timeout of the latest cancel, for a cancel left pending on the thread (CS-RES-3).
  long last_timeout() const { return last_timeout_; }
  // CS-RES-3: the reply shows the server did not see every cancel.
  bool server_missed(bool reply_pending_cancel, std::uint8_t reply_cancel_count) const;

 private:
  static void arm(Deadline& deadline, Duration start, long timeout_s);

  CancelPhase phase_ = CancelPhase::before_first;
  int posted_ = 0;
  int owed_ = 0;
  int forwarded_ = 0;
  bool carried_on_first_ = false;
  long last_timeout_ = -1;
  Deadline deadline_;
  Deadline setup_deadline_;
};

}  // namespace rpcfit::rpc
