#include "harness/core/digest.h"

#include <cstdio>

namespace rpcfit {
namespace {

constexpr std::uint64_t kOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kPrime = 0x100000001b3ULL;

}  // namespace

std::uint64_t fnv1a64(ByteView data) {
  std::uint64_t h = kOffset;
  for (const std::uint8_t b : data) {
    h ^= b;
    h *= kPrime;
  }
  return h;
}

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = kOffset;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= kPrime;
  }
  return h;
}

std::string hex64(std::uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string digest_text(ByteView data) {
  return "fnv1a64:" + hex64(fnv1a64(data));
}

}  // namespace rpcfit
