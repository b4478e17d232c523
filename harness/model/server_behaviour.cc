#include "harness/model/server_behaviour.h"

namespace rpcfit::server {

Bytes answer_to(const BehaviourSpec& spec, ByteView input) {
  if (spec.kind == BehaviourKind::normal && spec.response_size) {
    return counting_bytes(*spec.response_size);
  }
  return Bytes(input.begin(), input.end());
}

}  // namespace rpcfit::server
