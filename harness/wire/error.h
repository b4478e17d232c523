// A typed wire error: what is wrong, with the field and offset at fault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rpcfit::wire {

enum class ErrorCode : std::uint8_t {
  truncated,                    // fewer bytes than the header or a field needs
  bad_version,                  // rpc_vers is not 5 (CO) or 4 (CL)
  bad_minor_version,            // rpc_vers_minor is not 0 or 1
  unknown_ptype,                // ptype not defined for the protocol
  bad_drep,                     // byte-order nibble other than 0 or 1
  frag_length_below_header,     // frag_length smaller than the header (or the body header)
  frag_length_beyond_buffer,    // frag_length larger than the bytes there are
  auth_length_beyond_fragment,  // auth trailer does not fit in the fragment
  body_length_beyond_datagram,  // CL body_length larger than the datagram
  body_truncated,               // a body field runs past the end of the body
  trailing_bytes,               // bytes after frag_length in a buffer holding one PDU
  limit_exceeded,               // a reassembly limit would be exceeded
  sequence,                     // fragments out of sequence (missing first, mismatched call)
  unsupported,                  // a request the codec cannot honour (e.g. a too small fragment)
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::truncated;
  std::string field;       // e.g. "frag_length"
  std::size_t offset = 0;  // byte offset of that field within the PDU or stream
  std::string detail;      // e.g. "12 is below the 16-byte header"

  // "frag_length_below_header: frag_length at offset 8: 12 is below the 16-byte header"
  std::string to_string() const;
};

}  // namespace rpcfit::wire
