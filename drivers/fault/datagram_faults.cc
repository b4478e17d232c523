#include "drivers/fault/datagram_faults.h"

#include <stdexcept>
#include <utility>

#include "drivers/fault/stream_faults.h"

namespace rpcfit::fault {

FaultyDatagrams::FaultyDatagrams(std::unique_ptr<DatagramSocket> inner,
                                 std::shared_ptr<FaultPlan> plan, bool client_side,
                                 const Clock& clock)
    : DatagramDecorator(std::move(inner)),
      plan_(std::move(plan)),
      direction_(client_side ? Direction::client_to_server : Direction::server_to_client),
      clock_(clock) {}

FaultyDatagrams::~FaultyDatagrams() {
  stop_timer();
}

IoResult FaultyDatagrams::send_to(ByteView datagram, const DatagramPeer& to) {
  auto facts = facts_of(direction_, datagram);
  if (!facts) return inner().send_to(datagram, to);
  const Duration now = clock_.now();
  const Action action = plan_->decide(*facts, now);
  if (action.blackhole || action.drop) return {};
  Pending pending{Bytes(datagram.begin(), datagram.end()), to, action.copies, action.hold};
  edit_pdu(pending.bytes, action);
  std::lock_guard lock(mu_);
  if (action.delay <= Duration{0}) return emit(pending);
  if (stopping_) return {};  // closing: lost
  delayed_.emplace(now + action.delay, std::move(pending));
  if (!timer_.joinable()) timer_ = std::thread([this] { run_timer(); });
  cv_.notify_all();
  return {};
}

IoResult FaultyDatagrams::emit(const Pending& pending) {
  if (pending.hold) {
    held_.push_back(pending);
    return {};
  }
  IoResult first;
  for (unsigned copy = 0; copy < pending.copies; ++copy) {
    auto sent = inner().send_to(pending.bytes, pending.to);
    if (copy == 0) first = sent;
  }
  auto held = std::move(held_);
  held_.clear();
  for (const auto& h : held) {
    for (unsigned copy = 0; copy < h.copies; ++copy)
      (void)inner().send_to(h.bytes, h.to);
  }
  return first;
}

void FaultyDatagrams::run_timer() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (delayed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const Duration due = delayed_.begin()->first;
    if (clock_.now() < due) {
      cv_.wait_until(lock, clock_.to_steady(due));
      continue;
    }
    auto node = delayed_.extract(delayed_.begin());
    (void)emit(node.mapped());
  }
}

void FaultyDatagrams::stop_timer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    delayed_.clear();
    held_.clear();
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

void FaultyDatagrams::close() {
  stop_timer();
  DatagramDecorator::close();
}

std::function<std::unique_ptr<DatagramSocket>(std::unique_ptr<DatagramSocket>)>
datagram_decorator_for(std::shared_ptr<FaultPlan> plan, const Clock& clock, bool client_side) {
  if (!plan) throw std::invalid_argument("datagram_decorator_for: no plan");
  return [plan = std::move(plan), &clock,
          client_side](std::unique_ptr<DatagramSocket> inner) -> std::unique_ptr<DatagramSocket> {
    return std::make_unique<FaultyDatagrams>(std::move(inner), plan, client_side, clock);
  };
}

}  // namespace rpcfit::fault
