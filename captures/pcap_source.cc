#include "captures/pcap_source.h"

#include <pcap.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

namespace rpcfit::captures {

PcapSource::PcapSource(std::string name, Bytes owned, pcap* handle)
    : name_(std::move(name)),
      owned_(std::move(owned)),
      handle_(handle),
      linktype_(pcap_datalink(handle)) {}

PcapSource::~PcapSource() {
  // Closes the FILE of an in-memory source too, before owned_ goes away.
  pcap_close(handle_);
}

Result<std::unique_ptr<PcapSource>, CaptureError> PcapSource::open_file(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) return rpcfit::unexpected(CaptureError{path, 0, errbuf});
  return std::unique_ptr<PcapSource>(new PcapSource(path, {}, handle));
}

Result<std::unique_ptr<PcapSource>, CaptureError> PcapSource::open_memory(ByteView bytes,
                                                                          std::string name) {
  // An empty vector has no buffer to give fmemopen; say what libpcap says of an empty file.
  if (bytes.empty()) {
    return rpcfit::unexpected(CaptureError{
        std::move(name), 0, "truncated dump file; tried to read 4 file header bytes, only got 0"});
  }
  Bytes owned(bytes.begin(), bytes.end());
  std::FILE* file = fmemopen(owned.data(), owned.size(), "rb");
  if (file == nullptr) {
    return rpcfit::unexpected(
        CaptureError{std::move(name), 0, std::string("fmemopen: ") + std::strerror(errno)});
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle =
      pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) {
    // Unlike pcap_open_offline, the fopen variant leaves the FILE open when it fails.
    std::fclose(file);
    return rpcfit::unexpected(CaptureError{std::move(name), 0, errbuf});
  }
  // Moving the vector keeps its heap buffer, which the FILE points into.
  return std::unique_ptr<PcapSource>(new PcapSource(std::move(name), std::move(owned), handle));
}

CaptureError PcapSource::error(std::uint64_t frame, std::string reason) const {
  return CaptureError{name_, frame, std::move(reason)};
}

Result<std::optional<RawFrame>, CaptureError> PcapSource::next() {
  if (failed_) return rpcfit::unexpected(*failed_);
  if (ended_) return std::optional<RawFrame>();
  const std::uint64_t number = frames_ + 1;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int status = pcap_next_ex(handle_, &header, &data);
  if (status == PCAP_ERROR_BREAK) {
    ended_ = true;
    return std::optional<RawFrame>();
  }
  if (status != 1) {
    // libpcap's own words, e.g. "truncated dump file; tried to read 60 captured bytes, only got 7".
    failed_ =
        error(number, status == PCAP_ERROR ? pcap_geterr(handle_)
                                           : "pcap_next_ex returned " + std::to_string(status));
    return rpcfit::unexpected(*failed_);
  }
  if (header == nullptr || (data == nullptr && header->caplen != 0)) {
    failed_ = error(number, "libpcap returned a record without data");
    return rpcfit::unexpected(*failed_);
  }
  frames_ = number;
  RawFrame frame;
  frame.number = number;
  // With nanosecond precision requested, libpcap puts nanoseconds in tv_usec. A damaged pcapng
  // record can carry any 64-bit time: saturate to what nanoseconds since the epoch can hold
  // (1970 to 2262) rather than overflow.
  constexpr std::int64_t kNs = 1'000'000'000;
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNs - 1;
  const auto seconds = std::clamp<std::int64_t>(header->ts.tv_sec, 0, kMaxSeconds);
  const auto fraction = std::clamp<std::int64_t>(header->ts.tv_usec, 0, kNs - 1);
  frame.time = Timestamp{seconds * kNs + fraction};
  frame.linktype = linktype_;
  frame.data = ByteView(data, header->caplen);
  frame.wire_length = header->len;
  return std::optional<RawFrame>(frame);
}

}  // namespace rpcfit::captures
