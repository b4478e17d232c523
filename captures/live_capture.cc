#include "captures/live_capture.h"

#include <pcap/pcap.h>
#include <poll.h>

#include <algorithm>
#include <chrono>

#include "captures/packet.h"

namespace rpcfit::captures {
namespace {

constexpr int kSnapLength = 65535;
constexpr int kPollMs = 20;
constexpr int kKernelBuffer = 8 << 20;

std::string pcap_problem(pcap* handle, int status, const std::string& interface) {
  std::string text = "cannot capture on " + interface + ": ";
  switch (status) {
    case PCAP_ERROR_PERM_DENIED:
      text += "no capture privileges (run as root, or give the binary CAP_NET_RAW)";
      break;
    case PCAP_ERROR_NO_SUCH_DEVICE:
      text += "no such interface";
      break;
    default:
      text += pcap_statustostr(status);
      break;
  }
  const char* detail = pcap_geterr(handle);
  if (detail != nullptr && *detail != '\0') text += std::string(" (") + detail + ")";
  return text;
}

}  // namespace

ConversationKey conversation_key(const Endpoint& a, const Endpoint& b) {
  return a < b ? ConversationKey{a, b} : ConversationKey{b, a};
}

Result<std::unique_ptr<LiveCapture>, std::string> LiveCapture::start(const std::string& interface,
                                                                     std::size_t max_bytes) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* handle = pcap_create(interface.c_str(), errbuf);
  if (handle == nullptr) return unexpected("cannot capture on " + interface + ": " + errbuf);
  pcap_set_snaplen(handle, kSnapLength);
  pcap_set_immediate_mode(handle, 1);  // frames as they come, not when a buffer fills
  pcap_set_buffer_size(handle, kKernelBuffer);
  const int status = pcap_activate(handle);
  if (status < 0) {
    std::string problem = pcap_problem(handle, status, interface);
    pcap_close(handle);
    return unexpected(problem);
  }
  bpf_program filter{};
  if (pcap_compile(handle, &filter, "tcp or udp", 1, PCAP_NETMASK_UNKNOWN) != 0 ||
      pcap_setfilter(handle, &filter) != 0 || pcap_setnonblock(handle, 1, errbuf) != 0 ||
      pcap_get_selectable_fd(handle) < 0) {
    std::string problem = "cannot capture on " + interface + ": " + pcap_geterr(handle);
    pcap_freecode(&filter);
    pcap_close(handle);
    return unexpected(problem);
  }
  pcap_freecode(&filter);
  return std::unique_ptr<LiveCapture>(new LiveCapture(handle, pcap_datalink(handle), max_bytes));
}

LiveCapture::LiveCapture(pcap* handle, int linktype, std::size_t max_bytes)
    : handle_(handle), linktype_(linktype), max_bytes_(max_bytes) {
  thread_ = std::thread([this] { loop(); });
}

LiveCapture::~LiveCapture() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  thread_.join();
  pcap_close(handle_);
}

void LiveCapture::take(Timestamp time, const std::uint8_t* data, std::uint32_t caplen,
                       std::uint32_t len) {
  std::lock_guard lock(mu_);
  if (bytes_ + caplen > max_bytes_) {
    ++dropped_;
    return;
  }
  bytes_ += caplen;
  frames_.push_back(Frame{time, Bytes(data, data + caplen), len});
}

void LiveCapture::loop() {
  const int fd = pcap_get_selectable_fd(handle_);
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, kPollMs);
    // Everything libpcap holds now, until it has nothing more.
    for (;;) {
      const int n = pcap_dispatch(
          handle_, -1,
          [](u_char* self, const pcap_pkthdr* h, const u_char* bytes) {
            const Timestamp at =
                std::chrono::seconds(h->ts.tv_sec) + std::chrono::microseconds(h->ts.tv_usec);
            reinterpret_cast<LiveCapture*>(self)->take(at, bytes, h->caplen, h->len);
          },
          reinterpret_cast<u_char*>(this));
      if (n <= 0) break;
    }
    std::lock_guard lock(mu_);
    ++drains_;
    cv_.notify_all();
  }
}

std::uint64_t LiveCapture::mark() const {
  std::lock_guard lock(mu_);
  return frames_.size();
}

bool LiveCapture::sync(std::chrono::milliseconds patience) {
  std::unique_lock lock(mu_);
  // A whole pass that began after this call: what the kernel had then is taken.
  const std::uint64_t target = drains_ + 2;
  return cv_.wait_for(lock, patience, [&] { return drains_ >= target; });
}

std::uint64_t LiveCapture::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

Result<std::size_t, std::string> LiveCapture::write(const std::string& path,
                                                    const std::set<ConversationKey>& conversations,
                                                    std::uint64_t from) const {
  pcap* dead = pcap_open_dead(linktype_, kSnapLength);
  if (dead == nullptr) return unexpected(std::string("pcap_open_dead failed"));
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    std::string problem = path + ": " + pcap_geterr(dead);
    pcap_close(dead);
    return unexpected(problem);
  }
  std::size_t written = 0;
  {
    std::lock_guard lock(mu_);
    // Frames are kept in order and never removed, so a mark is an index (once the room is used
    // up, every later frame is dropped: none is missing from the middle).
    for (std::size_t i = static_cast<std::size_t>(std::min<std::uint64_t>(from, frames_.size()));
         i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      auto parsed = parse_packet(linktype_, f.data);
      if (!parsed || !std::holds_alternative<PacketInfo>(*parsed)) continue;
      const PacketInfo& info = std::get<PacketInfo>(*parsed);
      if (!conversations.count(conversation_key(info.src, info.dst))) continue;
      pcap_pkthdr h{};
      h.ts.tv_sec =
          static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(f.time).count());
      h.ts.tv_usec = static_cast<suseconds_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(f.time).count() % 1000000);
      h.caplen = static_cast<bpf_u_int32>(f.data.size());
      h.len = f.wire_length;
      pcap_dump(reinterpret_cast<u_char*>(dumper), &h, f.data.data());
      ++written;
    }
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return written;
}

}  // namespace rpcfit::captures
