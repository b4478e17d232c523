// Reassembly of one direction of a TCP connection into an in-order byte stream, pure (no I/O).
//
// The frame attached to each delivered byte decides in which capture frame a DCE/RPC PDU is
// reported, and that must match Wireshark: the frame holding the PDU's last byte after reassembly.
// Hence the rules:
//  - in-order bytes are delivered at once with the frame of the segment that carried them;
//  - bytes already delivered are dropped (retransmission); overlapping buffered out-of-order copies
//    are merged, the first copy winning;
//  - out-of-order bytes wait (bounded) for the hole before them; the segment that fills the hole
//    delivers every newly contiguous byte with its own frame, as Wireshark completes reassembly
//    there;
//  - a hole is given up on when the peer acknowledges beyond its start (the receiver got bytes the
//    capture missed), when the out-of-order buffer would exceed its bound, when the direction is
//    closed (FIN or RST), or at finish(). The bytes after a given-up hole keep the frames that
//    carried them, since Wireshark, which does not wait on holes, reports them there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "harness/core/bytes.h"

namespace rpcfit::captures {

struct StreamChunk {
  // Stream offset of data[0], counted from the first payload byte of the direction (the byte after
  // the SYN's sequence number, or the first segment seen when the capture starts mid-connection).
  // An offset beyond the end of the previous chunk means the bytes in between were given up on.
  std::uint64_t offset = 0;
  Bytes data;
  std::uint64_t frame = 0;  // the capture frame Wireshark reports these bytes in
  // First chunk after a restart (a SYN with a new ISN on a closed direction): offsets start again
  // at zero and the consumer must reset its parser before using this chunk.
  bool restart = false;
};

class TcpDirection {
 public:
  explicit TcpDirection(std::size_t max_out_of_order_bytes = std::size_t{4} << 20);

  // One segment of this direction, seen in capture frame `frame`. The payload is copied. An RST's
  // payload is a diagnostic, not stream data, and is ignored.
  void segment(std::uint64_t frame, std::uint32_t seq, ByteView payload, bool syn, bool fin,
               bool rst);
  // An ACK sent by the other direction (call it only when the ACK flag is set), seen in frame
  // `frame`: the receiver has this direction's bytes up to `ack`.
  void peer_ack(std::uint64_t frame, std::uint32_t ack);
  // End of capture: give up on every hole and deliver what is buffered.
  void finish();

  // Chunks that became deliverable since the last call, in stream order.
  std::vector<StreamChunk> take();

  std::uint64_t lost_bytes() const { return lost_; }
  // How many times a SYN with a new ISN restarted the stream; each restart also marks the first
  // chunk of the new stream (StreamChunk::restart).
  std::uint64_t restarts() const { return restarts_; }
  // Offset of the next byte expected in order.
  std::uint64_t next_offset() const { return next_; }
  std::size_t buffered_bytes() const { return buffered_bytes_; }

 private:
  struct Piece {
    Bytes data;
    std::uint64_t frame = 0;
  };

  // 64-bit stream offset of a sequence number, taking the value nearest the next expected byte so
  // that 32-bit wrap-around is invisible; negative before the start of the stream.
  std::int64_t offset_of(std::uint32_t seq) const;
  void start(std::uint32_t first_byte_seq);
  void restart(std::uint32_t first_byte_seq);
  void add(std::uint64_t frame, std::int64_t offset, ByteView data);
  void buffer(std::uint64_t frame, std::uint64_t offset, ByteView data);
  // Delivers the buffered pieces contiguous with the next expected byte, all with the frame of the
  // filling segment, or each with its own frame when none is given.
  void deliver_contiguous(std::optional<std::uint64_t> filler);
  void give_up_first_hole();
  bool over_bound() const;
  void emit(std::uint64_t offset, ByteView data, std::uint64_t frame);

  std::size_t max_buffered_;
  bool started_ = false;
  std::uint32_t base_seq_ = 0;  // sequence number of stream offset 0
  std::uint64_t next_ = 0;
  bool closed_ = false;  // FIN, RST or finish(): holes are no longer waited on
  bool has_peer_ack_ = false;
  std::uint64_t peer_acked_ = 0;
  std::map<std::uint64_t, Piece> pieces_;  // out-of-order bytes by offset, never overlapping
  std::size_t buffered_bytes_ = 0;
  std::vector<StreamChunk> ready_;
  std::uint64_t lost_ = 0;
  std::uint64_t restarts_ = 0;
  bool pending_restart_ = false;
};

}  // namespace rpcfit::captures
