// A live capture of a network interface (the loopback one, for `rpcfit run --live-capture lo`):
// libpcap in immediate mode on a thread of its own keeps every TCP and UDP frame in memory, so
// that each scenario can take the frames of its own conversations out of what all scenarios
// running at once sent. It needs capture privileges (root or CAP_NET_RAW); start() says so when
// they are missing. Frames are kept until it goes; once `max_bytes` are used, later frames are
// dropped and counted.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"
#include "harness/seams/capture_sink.h"

struct pcap;

namespace rpcfit::captures {

// Two endpoints of one conversation, smaller first; TCP or UDP.
using ConversationKey = std::pair<Endpoint, Endpoint>;
ConversationKey conversation_key(const Endpoint& a, const Endpoint& b);

class LiveCapture {
 public:
  // Opens `interface` and starts capturing. The error says why not (no such interface, no
  // privileges), as libpcap tells it.
  static Result<std::unique_ptr<LiveCapture>, std::string> start(const std::string& interface,
                                                                 std::size_t max_bytes = 256u
                                                                                         << 20);
  ~LiveCapture();  // stops the capture thread
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // The number of frames taken so far: a mark to write from.
  std::uint64_t mark() const;
  // Waits until the frames the kernel had for this capture when called are taken (at most
  // `patience`); false when they were not.
  bool sync(std::chrono::milliseconds patience = std::chrono::milliseconds(2000));
  // Writes the frames taken since `from` whose endpoints are one of `conversations` to a pcap
  // file; returns how many.
  Result<std::size_t, std::string> write(const std::string& path,
                                         const std::set<ConversationKey>& conversations,
                                         std::uint64_t from) const;
  // Frames dropped for want of room.
  std::uint64_t dropped() const;

 private:
  struct Frame {
    Timestamp time{};
    Bytes data;
    std::uint32_t wire_length = 0;
  };
  LiveCapture(pcap* handle, int linktype, std::size_t max_bytes);
  void loop();
  void take(Timestamp time, const std::uint8_t* data, std::uint32_t caplen, std::uint32_t len);

  pcap* handle_;
  int linktype_;
  std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Frame> frames_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t drains_ = 0;  // passes that emptied libpcap's buffer
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rpcfit::captures
