#include "captures/tcp_stream.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace rpcfit::captures {
namespace {

// Each buffered piece costs a map node besides its bytes; a flood of one-byte segments must not
// turn the byte bound into a much larger memory bound.
constexpr std::size_t kMaxPieces = 65536;

}  // namespace

TcpDirection::TcpDirection(std::size_t max_out_of_order_bytes)
    : max_buffered_(max_out_of_order_bytes) {}

std::int64_t TcpDirection::offset_of(std::uint32_t seq) const {
  const auto relative = static_cast<std::uint32_t>(seq - base_seq_);
  const auto distance = static_cast<std::int32_t>(relative - static_cast<std::uint32_t>(next_));
  return static_cast<std::int64_t>(next_) + distance;
}

void TcpDirection::start(std::uint32_t first_byte_seq) {
  started_ = true;
  base_seq_ = first_byte_seq;
}

void TcpDirection::restart(std::uint32_t first_byte_seq) {
  while (!pieces_.empty()) {
    give_up_first_hole();
  }
  start(first_byte_seq);
  next_ = 0;
  closed_ = false;
  has_peer_ack_ = false;
  peer_acked_ = 0;
  ++restarts_;
  pending_restart_ = true;
}

void TcpDirection::segment(std::uint64_t frame, std::uint32_t seq, ByteView payload, bool syn,
                           bool fin, bool rst) {
  if (rst) payload = {};
  if (syn) {
    // The SYN takes one sequence number; its payload, if any, starts after it.
    const auto first = static_cast<std::uint32_t>(seq + 1);
    if (!started_) {
      start(first);
    } else if (first != base_seq_) {
      // A new ISN on an open direction is another sequence space we cannot place: a port reused
      // while the capture missed the close. Only a closed direction may start over.
      if (!closed_) return;
      restart(first);
    }
    seq = first;
  } else if (!started_) {
    start(seq);
  }
  if (!payload.empty()) add(frame, offset_of(seq), payload);
  if (fin || rst) closed_ = true;
  // The peer has acknowledged bytes beyond the next one expected: the hole will never be filled.
  // (peer_ack() applies the same rule, so the order of ACK and segment does not matter.)
  while (!pieces_.empty() && (closed_ || over_bound() || (has_peer_ack_ && peer_acked_ > next_))) {
    give_up_first_hole();
  }
}

void TcpDirection::peer_ack(std::uint64_t /*frame*/, std::uint32_t ack) {
  if (!started_) return;
  const std::int64_t acked = offset_of(ack);
  if (acked <= 0) return;
  const auto offset = static_cast<std::uint64_t>(acked);
  if (!has_peer_ack_ || offset > peer_acked_) peer_acked_ = offset;
  has_peer_ack_ = true;
  while (!pieces_.empty() && peer_acked_ > next_) {
    give_up_first_hole();
  }
}

void TcpDirection::finish() {
  closed_ = true;
  while (!pieces_.empty()) {
    give_up_first_hole();
  }
}

std::vector<StreamChunk> TcpDirection::take() {
  return std::exchange(ready_, {});
}

void TcpDirection::add(std::uint64_t frame, std::int64_t offset, ByteView data) {
  const auto next = static_cast<std::int64_t>(next_);
  const std::int64_t end = offset + static_cast<std::int64_t>(data.size());
  if (end <= next) return;  // retransmission of delivered bytes
  if (offset < next) {
    data = data.subspan(static_cast<std::size_t>(next - offset));
    offset = next;
  }
  const auto at = static_cast<std::uint64_t>(offset);
  const bool clear_ahead = pieces_.empty() || pieces_.begin()->first >= at + data.size();
  if (at == next_ && clear_ahead) {
    emit(at, data, frame);
    next_ = at + data.size();
  } else {
    buffer(frame, at, data);
  }
  // The segment that completes a run of bytes is where Wireshark finishes reassembling them.
  deliver_contiguous(frame);
}

void TcpDirection::buffer(std::uint64_t frame, std::uint64_t offset, ByteView data) {
  const std::uint64_t end = offset + data.size();
  std::uint64_t cursor = offset;
  auto it = pieces_.upper_bound(offset);
  if (it != pieces_.begin()) {
    const auto& before = *std::prev(it);
    cursor = std::max(cursor, before.first + before.second.data.size());
  }
  // Only the gaps between pieces already held are filled: the first copy of a byte wins.
  while (cursor < end) {
    const std::uint64_t stop = it == pieces_.end() ? end : std::min(end, it->first);
    if (stop > cursor) {
      const ByteView part = data.subspan(cursor - offset, stop - cursor);
      pieces_.emplace_hint(it, cursor, Piece{Bytes(part.begin(), part.end()), frame});
      buffered_bytes_ += part.size();
    }
    if (it == pieces_.end()) break;
    cursor = std::max(cursor, it->first + it->second.data.size());
    ++it;
  }
}

void TcpDirection::give_up_first_hole() {
  const std::uint64_t resume = pieces_.begin()->first;
  if (resume > next_) {
    lost_ += resume - next_;
    next_ = resume;
  }
  // Each piece keeps the frame that carried it: Wireshark, not waiting on the hole, shows it there.
  deliver_contiguous(std::nullopt);
}

void TcpDirection::deliver_contiguous(std::optional<std::uint64_t> filler) {
  while (!pieces_.empty() && pieces_.begin()->first <= next_) {
    auto node = pieces_.extract(pieces_.begin());
    const Piece& piece = node.mapped();
    buffered_bytes_ -= piece.data.size();
    const std::uint64_t end = node.key() + piece.data.size();
    if (end > next_) {
      emit(next_, ByteView(piece.data).subspan(next_ - node.key()), filler.value_or(piece.frame));
      next_ = end;
    }
  }
}

bool TcpDirection::over_bound() const {
  return buffered_bytes_ > max_buffered_ || pieces_.size() > kMaxPieces;
}

void TcpDirection::emit(std::uint64_t offset, ByteView data, std::uint64_t frame) {
  if (data.empty()) return;
  if (!pending_restart_ && !ready_.empty()) {
    StreamChunk& last = ready_.back();
    if (last.frame == frame && last.offset + last.data.size() == offset) {
      last.data.insert(last.data.end(), data.begin(), data.end());
      return;
    }
  }
  ready_.push_back(StreamChunk{offset, Bytes(data.begin(), data.end()), frame, pending_restart_});
  pending_restart_ = false;
}

}  // namespace rpcfit::captures
