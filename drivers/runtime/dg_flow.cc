#include "drivers/runtime/dg_flow.h"

#include <algorithm>

namespace rpcfit::rpc {
namespace {
// Larger windows from a peer are capped: a fack cannot make us flood the socket buffer.
constexpr std::uint16_t kMaxWindow = 64;
}  // namespace

DgSender::DgSender(std::vector<wire::ClPdu> fragments, std::uint16_t window)
    : fragments_(std::move(fragments)),
      sent_(fragments_.size(), false),
      acked_(fragments_.size(), false),
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
  if (const auto* body = std::get_if<wire::ClFack>(&fack.body)) {
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
  // A fragment sent before one the receiver has is lost: resend it first.
  std::size_t highest = 0;
  for (std::size_t i = 0; i < acked_.size(); ++i) {
    if (acked_[i]) highest = i;
  }
  std::vector<std::size_t> next;
  for (std::size_t i = 0; i < highest; ++i) {
    if (sent_[i] && !acked_[i]) next.push_back(i);
  }
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

}  // namespace rpcfit::rpc
