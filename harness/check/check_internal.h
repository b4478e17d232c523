// Shared pieces of the expectation checks (checks.h), split over checks.cc, check_server.cc and
// check_wire.cc. Not part of the module's interface.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/check/checks.h"
#include "harness/check/witness.h"

namespace rpcfit::run::internal {

// The tolerance of `check` in the unit describe() writes it in: seconds beside instants of a
// second or more ("0.105s"), format_instant() otherwise.
std::string format_tolerance(const TimingCheck& check);

// `primary` unless the loader left it unset.
const SourceLoc& loc_or(const SourceLoc& primary, const SourceLoc& fallback);
// "RPC_S_CALL_CANCELLED", or the number for a status without a name.
std::string status_text(RpcStatus status);
std::string bool_text(bool value);

// A mismatch on `field` when `actual` misses `expected` by more than the tolerance; its
// expected and actual are instants and its detail the tolerance.
std::optional<Mismatch> timing_mismatch(const std::string& field, const ExpectedTime& expected,
                                        Duration actual, const Scenario& scenario,
                                        const TimingSettings& settings);

// Names the rules `claim` breaks on every mismatch of `out` from `from` on.
void name_rules(const Scenario& scenario, const Claim& claim, std::vector<Mismatch>& out,
                std::size_t from);

// The cancels a scenario aims at a synchronous call, each with the timeout that applies to it
// (RpcCancelThread's from RpcMgmtSetCancelTimeout, CS-MGMT-2), and the earliest deadline; empty
// when none does.
std::string applied_timeouts(const Scenario& scenario, const std::string& call);

void check_steps(const Scenario& scenario, const Observation& observed,
                 const TimingSettings& settings, std::vector<Mismatch>& out);
void check_calls(const Scenario& scenario, const Observation& observed,
                 const TimingSettings& settings, std::vector<Mismatch>& out);
void check_server(const Scenario& scenario, const Observation& observed,
                  const TimingSettings& settings, std::vector<Mismatch>& out);
void check_wire(const Scenario& scenario, const Observation& observed,
                const TimingSettings& settings, std::vector<Mismatch>& out);

}  // namespace rpcfit::run::internal
