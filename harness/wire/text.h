// One-line text form of a PDU for logs and diffs, in the spirit of tshark's Info column:
//   co_cancel call_id=1 flags=LAST|PENDING_CANCEL
#pragma once

#include <string>

#include "harness/wire/pdu.h"

namespace rpcfit::wire {

std::string to_text(const CoPdu& pdu);
std::string to_text(const ClPdu& pdu);
std::string to_text(const Pdu& pdu);

// "FIRST|LAST|PENDING_CANCEL" (bind-type PDUs name 0x04 SUPPORT_HEADER_SIGN); "none" for 0.
std::string co_flags_text(PType type, std::uint8_t flags);
std::string cl_flags1_text(std::uint8_t flags1);
std::string cl_flags2_text(std::uint8_t flags2);

}  // namespace rpcfit::wire
