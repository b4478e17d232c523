#include "drivers/runtime/async_phase.h"

namespace rpcfit::rpc {

AsyncPhase on_end(AsyncPhase p) {
  switch (p) {
    case AsyncPhase::pending:
      return AsyncPhase::completed;
    case AsyncPhase::completed:
    case AsyncPhase::taken:
      return p;
  }
  return p;
}

bool on_take(AsyncPhase& p) {
  switch (p) {
    case AsyncPhase::pending:
      return false;
    case AsyncPhase::completed:
      p = AsyncPhase::taken;
      return true;
    case AsyncPhase::taken:
      return true;
  }
  return false;
}

bool has_outcome(AsyncPhase p) {
  switch (p) {
    case AsyncPhase::pending:
      return false;
    case AsyncPhase::completed:
    case AsyncPhase::taken:
      return true;
  }
  return false;
}

}  // namespace rpcfit::rpc
