#include "captures/capture_reader.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

#include "captures/packet.h"
#include "captures/pcap_source.h"
#include "captures/tcp_stream.h"
#include "harness/wire/codec.h"
#include "harness/wire/stream.h"

namespace rpcfit::captures {

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::to_server:
      return "to_server";
    case Direction::to_client:
      return "to_client";
    case Direction::unknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<bool> sent_by_client(wire::PType t) {
  using wire::PType;
  switch (t) {
    case PType::request:
    case PType::ping:
    case PType::ack:
    case PType::cl_cancel:
    case PType::bind:
    case PType::alter_context:
    case PType::auth3:
    case PType::co_cancel:
    case PType::orphaned:
      return true;
    case PType::response:
    case PType::fault:
    case PType::working:
    case PType::nocall:
    case PType::reject:
    case PType::cancel_ack:
    case PType::bind_ack:
    case PType::bind_nak:
    case PType::alter_context_resp:
    case PType::shutdown:
      return false;
    case PType::fack:
    case PType::rts:
      return std::nullopt;
  }
  return std::nullopt;
}

namespace {

using wire::PType;

bool is_smb_port(std::uint16_t port) {
  return port == 139 || port == 445;
}

using PairKey = std::pair<Endpoint, Endpoint>;  // ordered: first < second

PairKey key_of(const Endpoint& a, const Endpoint& b) {
  return a < b ? PairKey{a, b} : PairKey{b, a};
}

struct Span {
  std::uint64_t begin;
  std::uint64_t end;
  std::uint64_t frame;
};

struct Half {
  explicit Half(std::size_t max_ooo) : tcp(max_ooo) {}
  TcpDirection tcp;
  wire::StreamSplitter splitter;
  bool identified = false;
  std::uint64_t fed_to = 0;  // stream offset after the last chunk taken
  std::deque<Span> spans;    // the frames that carried the bytes the splitter holds
  bool closed = false;
};

struct Connection {
  Connection(const PairKey& k, std::size_t max_ooo) : key(k), half{Half(max_ooo), Half(max_ooo)} {}
  PairKey key;
  Half half[2];               // [0]: sent by key.first, [1]: sent by key.second
  std::optional<int> server;  // index of the server side
  bool smb = false;
  const Endpoint& side(int i) const { return i == 0 ? key.first : key.second; }
};

class Reader {
 public:
  Reader(const ReaderLimits& limits, CaptureContents& out) : limits_(limits), out_(out) {}

  void frame(const RawFrame& raw) {
    times_.push_back(raw.time);
    auto parsed = parse_packet(raw.linktype, raw.data);
    if (!parsed) {
      note(raw.number, "malformed packet: " + parsed.error());
      return;
    }
    if (const auto* skipped = std::get_if<Skipped>(&*parsed)) {
      if (skipped->reason == SkipReason::ip_fragment) {
        note(raw.number, "IP fragment not reassembled: " + skipped->detail);
      } else if (skipped->reason == SkipReason::unsupported_linktype && !warned_linktype_) {
        warned_linktype_ = true;
        note(raw.number, "link type not supported: " + skipped->detail);
      }
      return;
    }
    const auto& pkt = std::get<PacketInfo>(*parsed);
    if (pkt.payload_truncated) {
      note(raw.number, "payload cut short by the capture's snap length");
    }
    if (pkt.transport == TransportKind::udp) {
      udp(raw.number, pkt);
    } else {
      tcp(raw.number, pkt);
    }
  }

  void finish() {
    for (auto& [key, conn] : conns_)
      close_connection(conn);
    conns_.clear();
    std::stable_sort(out_.pdus.begin(), out_.pdus.end(),
                     [](const ReadPdu& a, const ReadPdu& b) { return a.frame < b.frame; });
    if (suppressed_ > 0) {
      out_.notes.push_back({0, std::to_string(suppressed_) + " further notes not shown"});
    }
  }

 private:
  void note(std::uint64_t frame, std::string text) {
    if (out_.notes.size() >= limits_.max_notes) {
      ++suppressed_;
      return;
    }
    out_.notes.push_back({frame, std::move(text)});
  }

  Timestamp time_of(std::uint64_t frame) const {
    return frame >= 1 && frame <= times_.size() ? times_[frame - 1] : Timestamp{};
  }

  void udp(std::uint64_t frame, const PacketInfo& pkt) {
    if (!wire::looks_like_cl(pkt.payload)) return;
    ReadPdu pdu = start_pdu(frame, TransportKind::udp, pkt.src, pkt.dst, pkt.payload);
    auto decoded = wire::decode_cl(pkt.payload);
    const PairKey key = key_of(pkt.src, pkt.dst);
    if (decoded) {
      if (auto client = sent_by_client(decoded->type)) {
        udp_servers_[key] = *client ? pkt.dst : pkt.src;
      }
      pdu.decoded = wire::Pdu{std::move(decoded).value()};
    } else {
      pdu.decoded = decoded.error();
    }
    if (auto it = udp_servers_.find(key); it != udp_servers_.end()) {
      pdu.direction = it->second == pkt.dst ? Direction::to_server : Direction::to_client;
    }
    out_.pdus.push_back(std::move(pdu));
  }

  ReadPdu start_pdu(std::uint64_t frame, TransportKind transport, const Endpoint& src,
                    const Endpoint& dst, ByteView bytes) const {
    ReadPdu pdu;
    pdu.frame = frame;
    pdu.time = time_of(frame);
    pdu.transport = transport;
    pdu.src = src;
    pdu.dst = dst;
    pdu.bytes.assign(bytes.begin(), bytes.end());
    return pdu;
  }

  std::string flow(const Connection& c, int from) const {
    return "tcp " + c.side(from).to_string() + " -> " + c.side(1 - from).to_string();
  }

  void tcp(std::uint64_t frame, const PacketInfo& pkt) {
    const PairKey key = key_of(pkt.src, pkt.dst);
    const std::uint8_t flags = pkt.tcp.flags;
    const bool syn = flags & tcp_flags::syn;
    const bool ack = flags & tcp_flags::ack;
    auto it = conns_.find(key);
    if (it != conns_.end() && syn && !ack &&
        (it->second.half[0].closed || it->second.half[1].closed)) {
      // A new connection on the same ports after the old one closed.
      close_connection(it->second);
      conns_.erase(it);
      it = conns_.end();
    }
    if (it == conns_.end()) {
      // The last ACK or a retransmitted FIN of a connection already closed and forgotten: not a
      // new connection (it would hide a later reuse of the same ports).
      if (pkt.payload.empty() && !syn) return;
      if (conns_.size() >= limits_.max_connections) {
        if (!warned_connections_) {
          warned_connections_ = true;
          note(frame, "more than " + std::to_string(limits_.max_connections) +
                          " TCP connections at once; further ones are not decoded");
        }
        return;
      }
      it = conns_.emplace(key, Connection(key, limits_.max_out_of_order)).first;
      Connection& fresh = it->second;
      if (is_smb_port(key.first.port) || is_smb_port(key.second.port)) {
        fresh.smb = true;
        note(frame, "tcp " + pkt.src.to_string() + " -> " + pkt.dst.to_string() +
                        ": SMB/NetBIOS port; DCE/RPC carried over SMB is not decoded");
      }
    }
    Connection& conn = it->second;
    if (conn.smb) return;
    const int from = pkt.src == key.first ? 0 : 1;
    if (syn && !conn.server) conn.server = ack ? from : 1 - from;
    Half& half = conn.half[from];
    half.tcp.segment(frame, pkt.tcp.seq, pkt.payload, syn, flags & tcp_flags::fin,
                     flags & tcp_flags::rst);
    if (ack) conn.half[1 - from].tcp.peer_ack(frame, pkt.tcp.ack);
    if (flags & (tcp_flags::fin | tcp_flags::rst)) half.closed = true;
    if (flags & tcp_flags::rst) conn.half[1 - from].closed = true;
    drain(conn, from);
    drain(conn, 1 - from);
    if (conn.half[0].closed && conn.half[1].closed) {
      close_connection(conn);
      conns_.erase(it);
    }
  }

  void close_connection(Connection& conn) {
    if (conn.smb) return;
    for (int i = 0; i < 2; ++i) {
      conn.half[i].tcp.finish();
      drain(conn, i);
      Half& h = conn.half[i];
      if (h.identified && h.splitter.buffered() > 0) {
        const std::uint64_t last = h.spans.empty() ? 0 : h.spans.back().frame;
        note(last, flow(conn, i) + ": the stream ends inside a PDU (" +
                       std::to_string(h.splitter.buffered()) + " bytes of it captured)");
      }
    }
  }

  void drain(Connection& conn, int from) {
    Half& h = conn.half[from];
    for (StreamChunk& chunk : h.tcp.take()) {
      if (chunk.restart) {
        h.closed = false;
        h.splitter.resync(chunk.offset);
        h.identified = false;
        h.spans.clear();
        h.fed_to = chunk.offset;
      }
      if (chunk.offset != h.fed_to) {
        if (h.identified && h.splitter.buffered() > 0) {
          note(chunk.frame, flow(conn, from) + ": " + std::to_string(chunk.offset - h.fed_to) +
                                " bytes missing from the capture; the PDU in progress is lost");
        }
        h.identified = false;
      }
      h.fed_to = chunk.offset + chunk.data.size();
      if (!h.identified) {
        // PDUs are looked for where a segment starts, as Wireshark's heuristic does.
        if (!wire::looks_like_co(chunk.data)) continue;
        h.identified = true;
        h.splitter.resync(chunk.offset);
        h.spans.clear();
      }
      h.spans.push_back({chunk.offset, h.fed_to, chunk.frame});
      h.splitter.feed(chunk.data);
      pull(conn, from);
    }
  }

  void pull(Connection& conn, int from) {
    Half& h = conn.half[from];
    while (auto next = h.splitter.next()) {
      if (!next->ok()) {
        const std::uint64_t frame = h.spans.empty() ? 0 : h.spans.back().frame;
        note(frame, flow(conn, from) + ": no DCE/RPC header where the next PDU should start (" +
                        next->error().to_string() + ")");
        h.identified = false;
        h.splitter.resync(h.fed_to);
        h.spans.clear();
        return;
      }
      wire::StreamFrame& f = next->value();
      std::uint64_t frame = 0;
      while (!h.spans.empty() && h.spans.front().end <= f.begin)
        h.spans.pop_front();
      for (const Span& s : h.spans) {
        if (s.begin >= f.end) break;
        frame = std::max(frame, s.frame);
      }
      emit_co(conn, from, frame, f.bytes);
    }
  }

  void emit_co(Connection& conn, int from, std::uint64_t frame, const Bytes& bytes) {
    ReadPdu pdu = start_pdu(frame, TransportKind::tcp, conn.side(from), conn.side(1 - from), bytes);
    auto decoded = wire::decode_co(bytes);
    if (decoded) {
      if (!conn.server) {
        if (auto client = sent_by_client(decoded->type)) conn.server = *client ? 1 - from : from;
      }
      pdu.decoded = wire::Pdu{std::move(decoded).value()};
    } else {
      pdu.decoded = decoded.error();
    }
    if (conn.server)
      pdu.direction = *conn.server == from ? Direction::to_client : Direction::to_server;
    out_.pdus.push_back(std::move(pdu));
  }

  const ReaderLimits& limits_;
  CaptureContents& out_;
  std::map<PairKey, Connection> conns_;
  std::map<PairKey, Endpoint> udp_servers_;
  std::vector<Timestamp> times_;
  std::size_t suppressed_ = 0;
  bool warned_linktype_ = false;
  bool warned_connections_ = false;
};

CaptureContents read_all(Result<std::unique_ptr<PcapSource>, CaptureError> opened,
                         const ReaderLimits& limits) {
  CaptureContents out;
  if (!opened) {
    out.error = opened.error();
    return out;
  }
  PcapSource& source = **opened;
  Reader reader(limits, out);
  for (;;) {
    auto next = source.next();
    if (!next) {
      out.error = next.error();
      break;
    }
    if (!next->has_value()) break;
    if (++out.frames == 1) out.first_time = (*next)->time;
    reader.frame(**next);
  }
  reader.finish();
  return out;
}

}  // namespace

CaptureContents read_capture_file(const std::string& path, const ReaderLimits& limits) {
  return read_all(PcapSource::open_file(path), limits);
}

CaptureContents read_capture_memory(ByteView bytes, const std::string& name,
                                    const ReaderLimits& limits) {
  return read_all(PcapSource::open_memory(bytes, name), limits);
}

}  // namespace rpcfit::captures
