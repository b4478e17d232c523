// Helpers shared by the CO and CL codecs (internal to harness/wire).
#pragma once

#include <string>

#include "harness/core/bytes.h"
#include "harness/wire/error.h"
#include "harness/wire/pdu.h"

namespace rpcfit::wire::detail {

inline Error make_error(ErrorCode code, std::string field, std::size_t offset, std::string detail) {
  return Error{code, std::move(field), offset, std::move(detail)};
}

// A body field that runs past the end of the body.
inline Error body_short(const ByteReader& r, const char* field, std::size_t need) {
  return make_error(ErrorCode::body_truncated, field, r.offset(),
                    "needs " + std::to_string(need) + " bytes, " + std::to_string(r.remaining()) +
                        " remain in the body");
}

bool read_uuid(ByteReader& r, Uuid& out);
void write_uuid(ByteWriter& w, const Uuid& u);
bool read_syntax(ByteReader& r, SyntaxId& out);
void write_syntax(ByteWriter& w, const SyntaxId& s);

}  // namespace rpcfit::wire::detail
