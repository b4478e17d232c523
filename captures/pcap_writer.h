// PcapWriter: a CaptureSink that writes every teed PDU to a pcap file (Ethernet link type,
// nanosecond timestamps) inside synthesized TCP or UDP framing, so that Wireshark finds and decodes
// the DCE/RPC traffic as if it had been captured on the wire.
//
// TCP is modelled per connection, keyed by the unordered endpoint pair:
//  - connection_opened writes SYN, SYN-ACK, ACK at the given instant (SYN and SYN-ACK carry an MSS
//    option equal to max_segment).
//  - pdu() writes one segment per max_segment bytes, ACK on all and PSH on the last, so PSH marks
//    the PDU boundary. A pdu() on a pair with no open connection first synthesizes the handshake
//    at the PDU's instant with the PDU's sender as the client: a sink attached after connect, or a
//    runtime that does not report connects, still yields a capture Wireshark can follow.
//  - The receiver acknowledges only when it sends data or closes, except that before a segment
//    would fill its 65535-byte window it writes a pure ACK: a real sender never has more than the
//    window in flight, and Wireshark marks a segment that exactly fills it as "window full".
//  - connection_opened on a pair already open is a duplicate report and writes nothing; on a
//    half-closed pair it first finishes the old connection (the pair is being reused).
//  - connection_closed writes FIN|ACK from the closer and ACK from the peer; once both sides have
//    closed the connection is forgotten and a later PDU on the same pair starts a new one.
//    connection_closed on a pair with no connection, or from a side that already closed, writes
//    nothing: several endpoints teeing into one sink may report the same event twice.
// Initial sequence numbers and IPv4 ids come from per-writer counters, so two runs that see the
// same events write byte-identical files.
// Thread safety: all members may be called from several threads; one mutex serialises them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "captures/capture_error.h"
#include "harness/core/result.h"
#include "harness/seams/capture_sink.h"

// libpcap's handle types, declared here so that users of the writer do not include <pcap.h>.
struct pcap;
struct pcap_dumper;

namespace rpcfit::captures {

struct PcapWriterOptions {
  // TCP payload per segment; a PDU larger than this is split over several segments. Must be from
  // 16 (a whole DCE/RPC header, so that readers find where PDUs start) to 65495 (what fits one IPv4
  // packet after the MSS-free 20-byte TCP header).
  std::uint16_t max_segment = 1460;
};

class PcapWriter final : public CaptureSink {
 public:
  // Creates (truncates) the file and writes its header. Fails on a bad option or when the file
  // cannot be created.
  static Result<std::unique_ptr<PcapWriter>, CaptureError> open(const std::string& path,
                                                                PcapWriterOptions options = {});
  ~PcapWriter() override;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) override;
  void pdu(const CapturedPdu& pdu) override;
  void connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) override;

  // Closes the connections still open (FIN exchange, closed by the client, at the time of the last
  // frame written), flushes and closes the file. Returns true when this call closed the file and
  // false when it was already closed; the first error otherwise, here and on later calls: a frame
  // that could not be built (e.g. a datagram too large for one packet; it is left out and the rest
  // is written) or a write that failed (e.g. disk full). Sink calls after close() are ignored.
  Result<bool, CaptureError> close();

  std::uint64_t frames_written() const;

 private:
  struct TcpSide {
    Endpoint endpoint;
    std::uint32_t next_seq = 0;
    std::uint32_t ack_sent = 0;  // acknowledgement number of this side's last segment
    bool fin_sent = false;
  };
  struct TcpConnection {
    TcpSide client;
    TcpSide server;
  };
  using PairKey = std::pair<Endpoint, Endpoint>;

  PcapWriter(std::string path, PcapWriterOptions options, pcap* handle, pcap_dumper* dumper);

  static PairKey key_of(const Endpoint& a, const Endpoint& b);
  TcpConnection& open_locked(Timestamp time, const Endpoint& client, const Endpoint& server);
  void close_side_locked(Timestamp time, const Endpoint& closer, const Endpoint& peer);
  void segment_locked(Timestamp time, TcpSide& from, TcpSide& to, std::uint8_t flags,
                      ByteView payload, std::uint16_t mss = 0);
  void write_frame_locked(Timestamp time, Result<Bytes, std::string> frame);
  void fail_locked(std::uint64_t frame, std::string reason);

  const std::string path_;
  const PcapWriterOptions options_;
  mutable std::mutex mu_;
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  std::map<PairKey, TcpConnection> connections_;
  std::uint32_t connections_opened_ = 0;
  std::uint16_t next_ip_id_ = 0;
  std::uint64_t frames_ = 0;
  Timestamp last_time_{};
  bool closed_ = false;
  std::optional<CaptureError> error_;
};

}  // namespace rpcfit::captures
