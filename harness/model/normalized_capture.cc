#include "harness/model/normalized_capture.h"

#include <cstdio>

namespace rpcfit::run {

std::string NormalizedPdu::key() const {
  return std::to_string(conversation) + (to_server ? " > " : " < ") + text;
}

std::string NormalizedCapture::digest() const {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const NormalizedPdu& p : pdus) {
    for (const char c : p.key() + "\n") {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace rpcfit::run
