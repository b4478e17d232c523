// Which text keys each fault kind takes; shared by the parser and validate(). Internal to
// harness/fault.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/fault/fault_spec.h"

namespace rpcfit::fault {

// Whether `key` is a key of the text form at all / of this kind (the match keys belong to all).
bool is_known_key(std::string_view key);
bool key_applies(FaultKind kind, std::string_view key);
// "delay, jitter, dir, pdu, nth, p" for messages.
std::string keys_of(FaultKind kind);
// The kind-specific keys whose fields differ from their defaults in `spec`.
std::vector<std::string_view> keys_set(const FaultSpec& spec);

}  // namespace rpcfit::fault
