#include "captures/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "captures/frame_builder.h"

namespace rpcfit::captures {
namespace {

constexpr std::uint16_t kMaxSegmentLimit = 65495;  // 65535 - IPv4 header - TCP header
constexpr std::uint16_t kWindow = 65535;
constexpr int kSnapLength = 262144;
constexpr std::int64_t kNanosPerSecond = 1000000000;

// Spreads consecutive connection numbers over the sequence space (Knuth's multiplicative hash) so
// that sequence numbers in a capture look like ISNs, while staying a pure function of the count.
std::uint32_t initial_sequence(std::uint32_t n) {
  return (n + 1) * 0x9e3779b9u;
}

}  // namespace

Result<std::unique_ptr<PcapWriter>, CaptureError> PcapWriter::open(const std::string& path,
                                                                   PcapWriterOptions options) {
  // Below 16 bytes no segment could start with a whole DCE/RPC header, and neither Wireshark's
  // heuristic nor rpcfit's reader would find the PDUs.
  if (options.max_segment < 16 || options.max_segment > kMaxSegmentLimit) {
    return unexpected(CaptureError{path, 0,
                                   "max_segment must be 16.." + std::to_string(kMaxSegmentLimit) +
                                       ", got " + std::to_string(options.max_segment)});
  }
  pcap_t* handle =
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, kSnapLength, PCAP_TSTAMP_PRECISION_NANO);
  if (handle == nullptr) {
    return unexpected(CaptureError{path, 0, "pcap_open_dead_with_tstamp_precision failed"});
  }
  pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    std::string reason = pcap_geterr(handle);
    pcap_close(handle);
    return unexpected(CaptureError{path, 0, "cannot create: " + reason});
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(path, options, handle, dumper));
}

PcapWriter::PcapWriter(std::string path, PcapWriterOptions options, pcap* handle,
                       pcap_dumper* dumper)
    : path_(std::move(path)), options_(options), handle_(handle), dumper_(dumper) {}

PcapWriter::~PcapWriter() {
  static_cast<void>(close());
}

PcapWriter::PairKey PcapWriter::key_of(const Endpoint& a, const Endpoint& b) {
  return a < b ? PairKey{a, b} : PairKey{b, a};
}

void PcapWriter::connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  auto it = connections_.find(key_of(client, server));
  if (it != connections_.end()) {
    const TcpConnection& old = it->second;
    // Both ends reporting the same connect: one handshake is enough.
    if (!old.client.fin_sent && !old.server.fin_sent) return;
    // A half-closed connection whose other close was never reported, and the pair is in use
    // again: finish the old one so the new handshake starts from a clean state.
    const TcpSide& open_side = old.client.fin_sent ? old.server : old.client;
    const TcpSide& closed_side = old.client.fin_sent ? old.client : old.server;
    const Endpoint closer = open_side.endpoint;
    const Endpoint peer = closed_side.endpoint;
    close_side_locked(time, closer, peer);
  }
  open_locked(time, client, server);
}

void PcapWriter::pdu(const CapturedPdu& pdu) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  switch (pdu.transport) {
    case TransportKind::udp: {
      auto frame = build_udp_frame(pdu.src, pdu.dst, pdu.bytes, next_ip_id_);
      if (!pdu.src.address.v6) ++next_ip_id_;
      write_frame_locked(pdu.time, std::move(frame));
      return;
    }
    case TransportKind::tcp:
      break;
  }
  // An empty segment would read as a duplicate ACK, and an empty PDU puts nothing on the wire.
  if (pdu.bytes.empty()) return;
  auto it = connections_.find(key_of(pdu.src, pdu.dst));
  if (it != connections_.end()) {
    const TcpConnection& old = it->second;
    const bool sender_is_client = old.client.endpoint == pdu.src;
    if ((sender_is_client ? old.client : old.server).fin_sent) {
      // The sender already closed its end, so this PDU travels on a new connection over the
      // same ports: finish the old one (its other end is still open, or it would be gone).
      const Endpoint other = (sender_is_client ? old.server : old.client).endpoint;
      close_side_locked(pdu.time, other, pdu.src);
      it = connections_.find(key_of(pdu.src, pdu.dst));
    }
  }
  TcpConnection& conn =
      it != connections_.end() ? it->second : open_locked(pdu.time, pdu.src, pdu.dst);
  const bool from_client = conn.client.endpoint == pdu.src;
  TcpSide& from = from_client ? conn.client : conn.server;
  TcpSide& to = from_client ? conn.server : conn.client;
  const ByteView data(pdu.bytes);
  for (std::size_t offset = 0; offset < data.size();) {
    const std::size_t n = std::min<std::size_t>(options_.max_segment, data.size() - offset);
    const ByteView chunk = data.subspan(offset, n);
    offset += n;
    // Unsigned wrap-around gives the distance in sequence space even across 2^32.
    const std::uint32_t in_flight = from.next_seq + static_cast<std::uint32_t>(n) - to.ack_sent;
    if (in_flight >= kWindow) segment_locked(pdu.time, to, from, kTcpAck, {});
    const std::uint8_t flags = offset == data.size() ? kTcpPsh | kTcpAck : kTcpAck;
    segment_locked(pdu.time, from, to, flags, chunk);
  }
}

void PcapWriter::connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  close_side_locked(time, closer, peer);
}

Result<bool, CaptureError> PcapWriter::close() {
  std::lock_guard lock(mu_);
  if (closed_) {
    if (error_) return unexpected(*error_);
    return false;
  }
  while (!connections_.empty()) {
    const TcpConnection& conn = connections_.begin()->second;
    const bool client_closes = !conn.client.fin_sent;
    const Endpoint closer = client_closes ? conn.client.endpoint : conn.server.endpoint;
    const Endpoint peer = client_closes ? conn.server.endpoint : conn.client.endpoint;
    close_side_locked(last_time_, closer, peer);
  }
  // errno is only meaningful when the flush itself failed; an earlier failed write leaves just
  // the stream's error flag.
  errno = 0;
  if (pcap_dump_flush(dumper_) != 0 || std::ferror(pcap_dump_file(dumper_)) != 0) {
    const int err = errno;
    fail_locked(frames_, std::string("cannot write: ") +
                             (err != 0 ? std::strerror(err) : "an earlier write failed"));
  }
  pcap_dump_close(dumper_);
  pcap_close(handle_);
  dumper_ = nullptr;
  handle_ = nullptr;
  closed_ = true;
  if (error_) return unexpected(*error_);
  return true;
}

std::uint64_t PcapWriter::frames_written() const {
  std::lock_guard lock(mu_);
  return frames_;
}

PcapWriter::TcpConnection& PcapWriter::open_locked(Timestamp time, const Endpoint& client,
                                                   const Endpoint& server) {
  const std::uint32_t n = connections_opened_++;
  TcpConnection& conn = connections_[key_of(client, server)];
  conn = TcpConnection{TcpSide{client, initial_sequence(2 * n), 0, false},
                       TcpSide{server, initial_sequence(2 * n + 1), 0, false}};
  segment_locked(time, conn.client, conn.server, kTcpSyn, {}, options_.max_segment);
  segment_locked(time, conn.server, conn.client, kTcpSyn | kTcpAck, {}, options_.max_segment);
  segment_locked(time, conn.client, conn.server, kTcpAck, {});
  return conn;
}

void PcapWriter::close_side_locked(Timestamp time, const Endpoint& closer, const Endpoint& peer) {
  auto it = connections_.find(key_of(closer, peer));
  if (it == connections_.end()) return;
  TcpConnection& conn = it->second;
  const bool client_closes = conn.client.endpoint == closer;
  TcpSide& from = client_closes ? conn.client : conn.server;
  TcpSide& to = client_closes ? conn.server : conn.client;
  if (from.fin_sent) return;
  segment_locked(time, from, to, kTcpFin | kTcpAck, {});
  // The peer's ACK of the FIN; when the peer had closed first this is the final ACK.
  segment_locked(time, to, from, kTcpAck, {});
  if (to.fin_sent) connections_.erase(it);
}

void PcapWriter::segment_locked(Timestamp time, TcpSide& from, TcpSide& to, std::uint8_t flags,
                                ByteView payload, std::uint16_t mss) {
  TcpSegmentSpec spec;
  spec.src = from.endpoint;
  spec.dst = to.endpoint;
  spec.seq = from.next_seq;
  spec.ack = (flags & kTcpAck) != 0 ? to.next_seq : 0;
  spec.flags = flags;
  spec.window = kWindow;
  spec.payload = payload;
  spec.mss = mss;
  spec.ip_id = next_ip_id_;
  if (!from.endpoint.address.v6) ++next_ip_id_;
  if ((flags & kTcpAck) != 0) from.ack_sent = spec.ack;
  // SYN and FIN each take one sequence number.
  const std::uint32_t control =
      ((flags & kTcpSyn) != 0 ? 1u : 0u) + ((flags & kTcpFin) != 0 ? 1u : 0u);
  from.next_seq += static_cast<std::uint32_t>(payload.size()) + control;
  if ((flags & kTcpFin) != 0) from.fin_sent = true;
  write_frame_locked(time, build_tcp_frame(spec));
}

void PcapWriter::write_frame_locked(Timestamp time, Result<Bytes, std::string> frame) {
  if (!frame) {
    fail_locked(frames_ + 1, "frame not written: " + frame.error());
    return;
  }
  const std::int64_t ns = time.count();
  std::int64_t seconds = ns / kNanosPerSecond;
  std::int64_t fraction = ns % kNanosPerSecond;
  if (fraction < 0) {
    fraction += kNanosPerSecond;
    --seconds;
  }
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(seconds);
  // With nanosecond precision libpcap reads tv_usec as nanoseconds.
  header.ts.tv_usec = static_cast<suseconds_t>(fraction);
  header.caplen = static_cast<bpf_u_int32>(frame->size());
  header.len = header.caplen;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame->data());
  ++frames_;
  last_time_ = std::max(last_time_, time);
}

void PcapWriter::fail_locked(std::uint64_t frame, std::string reason) {
  if (!error_) error_ = CaptureError{path_, frame, std::move(reason)};
}

}  // namespace rpcfit::captures
