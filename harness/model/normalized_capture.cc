#include "harness/model/normalized_capture.h"

#include "harness/core/digest.h"

namespace rpcfit::run {

std::string NormalizedPdu::key() const {
  return std::to_string(conversation) + (to_server ? " > " : " < ") + text;
}

std::string NormalizedCapture::digest() const {
  std::string keys;
  for (const NormalizedPdu& p : pdus)
    keys += p.key() + "\n";
  return hex64(fnv1a64(keys));
}

}  // namespace rpcfit::run
