#include "drivers/runtime/call_cancel.h"

#include <algorithm>

#include "harness/core/status.h"

namespace rpcfit::rpc {

namespace {
constexpr long kLongestTimeout = 9'000'000'000L;
}  // namespace

void CallCancel::arm(Deadline& deadline, Duration start, long timeout_s) {
  if (timeout_s == kCancelInfiniteTimeout) return;
  // A timeout beyond what the clock can count (about 290 years) waits forever.
  if (timeout_s > kLongestTimeout) return;
  auto at = start + seconds(timeout_s);
  deadline = deadline ? std::min(*deadline, at) : at;
}

bool CallCancel::post(Duration now, long timeout_s) {
  switch (phase_) {
    case CancelPhase::before_first:
      ++posted_;
      last_timeout_ = timeout_s;
      arm(setup_deadline_, now, timeout_s);
      return true;
    case CancelPhase::sent:
      ++posted_;
      ++owed_;
      last_timeout_ = timeout_s;
      arm(deadline_, now, timeout_s);
      return true;
    case CancelPhase::orphaned:
    case CancelPhase::finished:
      return false;
  }
  return false;
}

void CallCancel::carry_pending(long timeout_s) {
  if (phase_ != CancelPhase::before_first) return;
  ++posted_;
  last_timeout_ = timeout_s;
}

bool CallCancel::first_fragment(Duration now) {
  switch (phase_) {
    case CancelPhase::before_first:
      phase_ = CancelPhase::sent;
      if (posted_ == 0) return false;
      carried_on_first_ = true;
      arm(deadline_, now, last_timeout_);
      return true;
    case CancelPhase::sent:
    case CancelPhase::orphaned:
    case CancelPhase::finished:
      return false;
  }
  return false;
}

int CallCancel::take_forwards() {
  int n = owed_;
  owed_ = 0;
  forwarded_ += n;
  return n;
}

void CallCancel::orphan() {
  if (phase_ == CancelPhase::sent) phase_ = CancelPhase::orphaned;
}

void CallCancel::finish() {
  phase_ = CancelPhase::finished;
}

void CallCancel::expire_setup() {
  if (phase_ == CancelPhase::before_first) phase_ = CancelPhase::orphaned;
}

bool CallCancel::server_missed(bool reply_pending_cancel, std::uint8_t reply_cancel_count) const {
  if (!told_server()) return false;
  return reply_pending_cancel || static_cast<int>(reply_cancel_count) < forwarded_;
}

}  // namespace rpcfit::rpc
