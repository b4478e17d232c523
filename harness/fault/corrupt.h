// Writing a chosen value into one header field of an encoded PDU, for the `corrupt` fault. Fields
// carry the names of spec/wire.md:
//   CO (rpc_vers 5): rpc_vers, rpc_vers_minor, ptype, pfc_flags, drep, frag_length, auth_length,
//                    call_id
//   CL (rpc_vers 4): rpc_vers, ptype, flags1, flags2, drep, serial_hi, seqnum, len (the body
//                    length), fragnum
// Integers are written in the PDU's own byte order (its drep, read before the write). drep itself
// is a byte array and takes the value as its bytes in wire order, most significant first, so
// value=0x00000000 marks a little-endian CO PDU as big-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/core/bytes.h"
#include "harness/core/result.h"

namespace rpcfit::fault {

struct HeaderField {
  std::size_t offset = 0;
  std::size_t width = 0;    // bytes: 1, 2, 3 or 4
  bool byte_array = false;  // drep: bytes in wire order, not an integer in the PDU's byte order
};

// The field's place in a CO / CL header; nullopt when that kind of PDU has no such field.
std::optional<HeaderField> co_header_field(std::string_view name);
std::optional<HeaderField> cl_header_field(std::string_view name);
// Whether `name` is a field of either header, and the largest value it holds in any of them.
bool is_header_field(std::string_view name);
std::uint64_t header_field_max(std::string_view name);
// "rpc_vers, rpc_vers_minor, ..." for messages.
std::string header_field_names();

// Writes `value` into header field `field` of the CO (rpc_vers 5) or CL (rpc_vers 4) PDU in
// `pdu`. Refuses, leaving the bytes as they were, a PDU shorter than its header, one that is
// neither CO nor CL, a field that PDU kind lacks, and a value too wide for the field.
Result<bool, std::string> corrupt_field(Bytes& pdu, std::string_view field, std::uint64_t value);

}  // namespace rpcfit::fault
