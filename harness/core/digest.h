// FNV-1a, 64 bits: the one digest of the tree (capture digests, stub digests, seeds from ids).
// Not cryptographic: it tells apart what differs by accident, which is all its users ask.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/core/bytes.h"

namespace rpcfit {

std::uint64_t fnv1a64(ByteView data);
std::uint64_t fnv1a64(std::string_view text);
// 16 lowercase hex digits.
std::string hex64(std::uint64_t value);
// "fnv1a64:0123456789abcdef", the form scenario files write a digest in (output_digest).
std::string digest_text(ByteView data);

}  // namespace rpcfit
