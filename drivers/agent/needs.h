// What a scenario needs of a client under test, against what an agent's hello says it has
// (PROTOCOL.md, "hello"): a scenario needing a capability the agent lacks is SKIP with the
// capability named, never a FAIL.
#pragma once

#include <optional>
#include <string>

#include "drivers/agent/protocol.h"
#include "harness/model/scenario.h"

namespace rpcfit::agent {

// The first capability `scenario` needs of a client agent that `caps` lacks, as a SKIP's reason
// ("needs asynchronous calls (capability \"async\")"); nullopt when it has them all.
std::optional<std::string> client_lacks(const run::Scenario& scenario, const Capabilities& caps);

}  // namespace rpcfit::agent
