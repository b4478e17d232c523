#include "drivers/runtime/dg_flow.h"

#include <algorithm>

namespace rpcfit::rpc {
namespace {
// Larger windows from a peer are capped: a fack cannot make us flood the socket buffer.
constexpr std::uint16_t kMaxWindow = 64;

// Serial numbers wrap around: `a` came before `b` when a - b, as a 16-bit signed difference, is
// negative.
bool serial_before(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b)) < 0;
}
}  // namespace

DgSender::DgSender(std::vector<wire::ClPdu> fragments, std::uint16_t window)
    : fragments_(std::move(fragments)),
      sent_(fragments_.size(), false),
      acked_(fragments_.size(), false),
      sent_serial_(fragments_.size(), 0),
      window_(std::clamp<std::uint16_t>(window, 1, kMaxWindow)) {}

bool DgSender::fragmented() const {
  return !fragments_.empty() && (fragments_.front().flags1 & wire::clf1::kFrag) != 0;
}

bool DgSender::acknowledged() const {
  return std::all_of(acked_.begin(), acked_.end(), [](bool a) { return a; });
}

std::size_t DgSender::in_flight() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < fragments_.size(); ++i) {
    if (sent_[i] && !acked_[i]) ++n;
  }
  return n;
}

void DgSender::acknowledge(std::size_t index) {
  if (index < acked_.size()) acked_[index] = true;
}

void DgSender::acknowledge_all() {
  std::fill(acked_.begin(), acked_.end(), true);
}

void DgSender::restart() {
  std::fill(sent_.begin(), sent_.end(), false);
  std::fill(acked_.begin(), acked_.end(), false);
}

std::vector<wire::ClPdu> DgSender::burst(const std::vector<std::size_t>& indexes) {
  std::vector<wire::ClPdu> out;
  out.reserve(indexes.size());
  for (std::size_t k = 0; k < indexes.size(); ++k) {
    wire::ClPdu pdu = fragments_[indexes[k]];
    sent_[indexes[k]] = true;
    if (fragmented()) {
      const bool asks_fack = k + 1 == indexes.size();
      pdu.flags1 = static_cast<std::uint8_t>(asks_fack ? pdu.flags1 & ~wire::clf1::kNoFack
                                                       : pdu.flags1 | wire::clf1::kNoFack);
    }
    sent_serial_[indexes[k]] = serial_;
    pdu.serial_hi = static_cast<std::uint8_t>(serial_ >> 8);
    pdu.serial_lo = static_cast<std::uint8_t>(serial_ & 0xFF);
    ++serial_;
    out.push_back(std::move(pdu));
  }
  return out;
}

std::vector<wire::ClPdu> DgSender::start() {
  std::vector<std::size_t> next;
  for (std::size_t i = 0; i < fragments_.size() && next.size() < window_; ++i) {
    if (!acked_[i]) next.push_back(i);
  }
  return burst(next);
}

std::vector<wire::ClPdu> DgSender::on_fack(const wire::ClPdu& fack) {
  if (!fragmented()) return {};
  const auto* body = std::get_if<wire::ClFack>(&fack.body);
  if (body && !body->has_body) body = nullptr;
  if (body) {
    window_ = std::clamp<std::uint16_t>(body->window_size, 1, kMaxWindow);
    // Bit i of word w stands for fragment through + 1 + 32w + i.
    const std::size_t base = static_cast<std::uint16_t>(fack.fragnum + 1);
    for (std::size_t w = 0; w < body->selack.size(); ++w) {
      for (std::size_t bit = 0; bit < 32; ++bit) {
        if (body->selack[w] & (1u << bit)) acknowledge(base + w * 32 + bit);
      }
    }
  }
  if (fack.fragnum != 0xFFFF) {
    for (std::size_t i = 0; i <= fack.fragnum && i < acked_.size(); ++i)
      acknowledge(i);
  }
  std::vector<std::size_t> next;
  if (body) {
    // The receiver has the fragment sent with the echoed serial: a fragment below the highest
    // acknowledged one that was last sent before it is lost; resend it first. One sent after it
    // may still arrive.
    std::size_t highest = 0;
    for (std::size_t i = 0; i < acked_.size(); ++i) {
      if (acked_[i]) highest = i;
    }
    for (std::size_t i = 0; i < highest && next.size() < window_; ++i) {
      if (sent_[i] && !acked_[i] && serial_before(sent_serial_[i], body->serial_num)) {
        next.push_back(i);
      }
    }
  }
  // The resent gaps are in flight too, so with the new ones there are at most window_ in all.
  std::size_t flying = in_flight();
  for (std::size_t i = 0; i < fragments_.size() && flying < window_; ++i) {
    if (!sent_[i] && !acked_[i]) {
      next.push_back(i);
      ++flying;
    }
  }
  return burst(next);
}

std::vector<wire::ClPdu> DgSender::on_timer() {
  for (std::size_t i = 0; i < fragments_.size(); ++i) {
    if (!acked_[i]) return burst({i});
  }
  return {};
}

std::vector<wire::ClPdu> DgSender::on_ping() {
  if (fragments_.empty()) return {};
  auto again = on_timer();
  if (again.empty()) again = burst({fragments_.size() - 1});
  return again;
}

}  // namespace rpcfit::rpc
