#include "drivers/runtime/dg_leader.h"

namespace rpcfit::rpc {

bool LeaderTurns::take_over(bool grace_over) {
  switch (state_) {
    case Leader::none:
      state_ = Leader::receiving;
      return true;
    case Leader::receiving:
      return false;
    case Leader::running:
      if (!grace_over) return false;
      state_ = Leader::receiving;
      return true;
    case Leader::handing_over:
      state_ = Leader::receiving;
      return true;
  }
  return false;
}

std::uint64_t LeaderTurns::start_call() {
  // Only the receiving thread starts calls, so the state is receiving here.
  state_ = Leader::running;
  return ++turn_;
}

bool LeaderTurns::hand_over(std::uint64_t turn) {
  switch (state_) {
    case Leader::running:
      if (turn != turn_) return false;
      state_ = Leader::handing_over;
      return true;
    case Leader::none:
    case Leader::receiving:
    case Leader::handing_over:
      return false;
  }
  return false;
}

bool LeaderTurns::end_call(std::uint64_t turn) {
  switch (state_) {
    case Leader::running:
    case Leader::handing_over:
      if (turn != turn_) return false;
      state_ = Leader::receiving;
      return true;
    case Leader::none:
    case Leader::receiving:
      return false;
  }
  return false;
}

bool LeaderTurns::runs_call() const {
  switch (state_) {
    case Leader::running:
    case Leader::handing_over:
      return true;
    case Leader::none:
    case Leader::receiving:
      return false;
  }
  return false;
}

}  // namespace rpcfit::rpc
