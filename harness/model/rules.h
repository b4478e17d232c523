// The rules of spec/cancel-semantics.md by ID, with their level: what scenario files may name in
// `spec:` and what coverage is counted against. A test keeps this table and the spec in step.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "harness/model/scenario.h"

namespace rpcfit::run {

struct Rule {
  std::string_view id;  // "CS-TMO-2"
  Level level;
  // The spec section it belongs to: client-api (2, RpcCancelThreadEx), mgmt (3, RpcCancelThread
  // and RpcMgmtSetCancelTimeout), co-call (4), datagram (5), server (6), async (7), never (8).
  std::string_view area;
  std::string_view summary;
};

std::span<const Rule> all_rules();
const Rule* find_rule(std::string_view id);

}  // namespace rpcfit::run
