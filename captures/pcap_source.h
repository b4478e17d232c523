// Frames of a pcap or pcapng capture, read through libpcap: the only libpcap user on the read side.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "captures/capture_error.h"
#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"

struct pcap;  // libpcap's handle (pcap_t); its header stays out of this one

namespace rpcfit::captures {

struct RawFrame {
  std::uint64_t number = 0;  // 1-based, as Wireshark numbers frames
  Timestamp time{};
  int linktype = 0;  // pcap LINKTYPE_ value
  ByteView data;     // the captured bytes; valid until the next call to next()
  std::uint32_t wire_length = 0;
};

class PcapSource {
 public:
  // Errors in the file header (not a capture, empty, truncated) are reported as frame 0.
  static Result<std::unique_ptr<PcapSource>, CaptureError> open_file(const std::string& path);
  // The bytes are copied, so the source owns them; `name` stands for the path in errors.
  static Result<std::unique_ptr<PcapSource>, CaptureError> open_memory(
      ByteView bytes, std::string name = "<memory>");

  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  // The next frame; nullopt at a clean end of file; an error naming the file and the frame number
  // for a truncated or corrupt record. After an error or the end, every call returns the same.
  Result<std::optional<RawFrame>, CaptureError> next();

  int linktype() const { return linktype_; }

 private:
  PcapSource(std::string name, Bytes owned, pcap* handle);

  CaptureError error(std::uint64_t frame, std::string reason) const;

  std::string name_;
  Bytes owned_;  // the in-memory capture libpcap reads through fmemopen; outlives handle_
  pcap* handle_ = nullptr;
  int linktype_ = 0;
  std::uint64_t frames_ = 0;
  std::optional<CaptureError> failed_;
  bool ended_ = false;
};

}  // namespace rpcfit::captures
