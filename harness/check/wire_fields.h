// The fields of one PDU as text, by the names scenario files use in `expect.wire` (the
// `capture dump --json` names): type, flags (pfc_flags, or flags1 of a datagram, as
// "FIRST|LAST"), flags2, call_id (CO) or seqnum, fragnum and activity (CL), and where the PDU has
// them context_id, opnum, alloc_hint, cancel_count, status (a name where wire.md has one, else
// 0x hex), cancel_id, server_is_accepting, stub_length. Numbers are decimal.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>

#include "harness/core/bytes.h"
#include "harness/core/result.h"

namespace rpcfit::run {

using PduFields = std::map<std::string, std::string>;

// Every field name pdu_fields() can produce.
inline constexpr std::array<std::string_view, 15> kPduFieldNames{
    "type",         "flags",
    "flags2",       "call_id",
    "seqnum",       "fragnum",
    "activity",     "context_id",
    "opnum",        "alloc_hint",
    "cancel_count", "status",
    "cancel_id",    "server_is_accepting",
    "stub_length"};

// The fields of the CO or CL PDU in `pdu`; an error naming the field and offset for bytes that do
// not decode.
Result<PduFields, std::string> pdu_fields(ByteView pdu);

// Whether `name` is a field pdu_fields() can produce (for the loader's unknown-key messages).
bool is_pdu_field(const std::string& name);
// "type, flags, ..." for messages.
std::string pdu_field_names();

}  // namespace rpcfit::run
