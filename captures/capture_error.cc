#include "captures/capture_error.h"

namespace rpcfit::captures {

std::string CaptureError::to_string() const {
  std::string where = frame == 0 ? "file header" : "frame " + std::to_string(frame);
  return file + ": " + where + ": " + reason;
}

}  // namespace rpcfit::captures
