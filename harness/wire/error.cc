#include "harness/wire/error.h"

namespace rpcfit::wire {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::truncated:
      return "truncated";
    case ErrorCode::bad_version:
      return "bad_version";
    case ErrorCode::bad_minor_version:
      return "bad_minor_version";
    case ErrorCode::unknown_ptype:
      return "unknown_ptype";
    case ErrorCode::bad_drep:
      return "bad_drep";
    case ErrorCode::frag_length_below_header:
      return "frag_length_below_header";
    case ErrorCode::frag_length_beyond_buffer:
      return "frag_length_beyond_buffer";
    case ErrorCode::auth_length_beyond_fragment:
      return "auth_length_beyond_fragment";
    case ErrorCode::body_length_beyond_datagram:
      return "body_length_beyond_datagram";
    case ErrorCode::body_truncated:
      return "body_truncated";
    case ErrorCode::trailing_bytes:
      return "trailing_bytes";
    case ErrorCode::limit_exceeded:
      return "limit_exceeded";
    case ErrorCode::sequence:
      return "sequence";
    case ErrorCode::unsupported:
      return "unsupported";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out = error_code_name(code);
  out += ": ";
  if (!field.empty()) out += field + " at offset " + std::to_string(offset) + ": ";
  out += detail;
  return out;
}

}  // namespace rpcfit::wire
