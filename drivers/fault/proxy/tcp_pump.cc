#include "drivers/fault/proxy/tcp_pump.h"

#include <sys/ioctl.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "harness/fault/corrupt.h"

namespace rpcfit::fault::proxy_internal {

using transport::internal::wait_fd;
using transport::internal::wait_wake;
using transport::internal::WaitOutcome;
using transport::internal::WaitResult;

namespace {

constexpr std::size_t kReadSize = 65536;
// Bytes waiting (delayed, paced, sliced) beyond which the pump stops reading its sender until
// some have gone: a fast sender behind a long delay holds its own TCP buffers, not our memory.
constexpr std::size_t kMaxQueued = std::size_t{16} << 20;

std::size_t held_by(const Bytes& bytes, const Bytes& teed) {
  return bytes.size() + teed.size();
}

}  // namespace

void TcpLink::cut_connection(bool with_reset) {
  bool expected = false;
  if (cut.compare_exchange_strong(expected, true)) rst.store(with_reset);
  waker.wake();
}

void TcpLink::tee_pdu(Direction direction, const Bytes& bytes) {
  if (capture == nullptr || bytes.empty()) return;
  const bool c2s = direction == Direction::client_to_server;
  capture->pdu(CapturedPdu{clock.wall_now(), TransportKind::tcp, c2s ? client_ep : upstream_ep,
                           c2s ? upstream_ep : client_ep, bytes});
}

void TcpLink::set_upstream(Fd fd) {
  std::lock_guard lock(fd_mu);
  upstream = std::move(fd);
}

void TcpLink::begin_closing() {
  std::lock_guard lock(fd_mu);
  closing = true;
}

bool TcpLink::settled() const {
  std::lock_guard lock(fd_mu);  // the sockets stay open while they are read
  if (closing) return true;
  for (const Fd* fd : {&client, &upstream}) {
    int unread = 0;
    if (fd->valid() && ::ioctl(fd->get(), FIONREAD, &unread) == 0 && unread > 0) return false;
  }
  return !busy[0].load() && !busy[1].load();
}

void TcpLink::tee_opened() {
  std::lock_guard lock(tee_mu);
  if (capture != nullptr) capture->connection_opened(clock.wall_now(), client_ep, upstream_ep);
}

void TcpLink::tee_closed(Direction from) {
  std::lock_guard lock(tee_mu);
  bool& closed = closed_[direction_index(from)];
  if (closed) return;
  closed = true;
  if (capture == nullptr) return;
  const bool c2s = from == Direction::client_to_server;
  capture->connection_closed(clock.wall_now(), c2s ? client_ep : upstream_ep,
                             c2s ? upstream_ep : client_ep);
}

TcpPump::TcpPump(TcpLink& link, Direction direction, FaultPlan& plan, std::string name,
                 std::function<void(const std::string&)> log)
    : link_(link),
      direction_(direction),
      plan_(plan),
      name_(std::move(name)),
      log_(std::move(log)),
      src_(direction == Direction::client_to_server ? link.client.get() : link.upstream.get()),
      dst_(direction == Direction::client_to_server ? link.upstream.get() : link.client.get()) {}

void TcpPump::run() {
  Bytes buffer(kReadSize);
  for (;;) {
    if (!run_due_steps()) return;
    if (src_eof_ && steps_.empty()) {
      finish();
      return;
    }
    std::optional<Duration> until;
    if (!steps_.empty()) until = ready_time(steps_.front());
    const bool reading = !src_eof_ && queued_ < kMaxQueued;
    std::atomic<bool>& busy = link_.busy[static_cast<int>(direction_)];
    busy.store(until && *until <= link_.clock.now());  // a step due now is being written
    const WaitResult waited = reading ? wait_fd(src_, POLLIN, &link_.waker, link_.clock, until)
                                      : wait_wake(link_.waker, link_.clock, until);
    busy.store(true);
    switch (waited.outcome) {
      case WaitOutcome::woken:
      case WaitOutcome::failed:  // the wait itself failed: end as on a stop rather than spin
        return;
      case WaitOutcome::timed_out:
        continue;
      case WaitOutcome::ready:
        break;
    }
    const ssize_t n = ::recv(src_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      take(ByteView(buffer.data(), static_cast<std::size_t>(n)));
    } else if (n == 0) {
      end_of_stream();
    } else if (errno != EAGAIN && errno != EINTR) {
      link_.cut_connection(true);  // the sender reset its end: pass the reset on
      return;
    }
  }
}

void TcpPump::take(ByteView data) {
  if (blackholed_ || cut_queued_) return;
  const Duration now = link_.clock.now();
  if (raw_) {
    enqueue_raw(Bytes(data.begin(), data.end()), now);
    return;
  }
  splitter_.feed(data);
  unframed_.insert(unframed_.end(), data.begin(), data.end());
  std::size_t consumed = 0;
  for (;;) {
    auto next = splitter_.next();
    if (!next) break;
    if (!next->ok()) {
      raw_ = true;
      if (log_) {
        log_(name_ + ": bytes from stream offset " + std::to_string(splitter_.position()) +
             " do not frame as DCE/RPC PDUs (" + next->error().to_string() +
             "); forwarding the rest of this direction raw, without faults");
      }
      enqueue_raw(Bytes(unframed_.begin() + static_cast<std::ptrdiff_t>(consumed), unframed_.end()),
                  now);
      consumed = unframed_.size();
      break;
    }
    wire::StreamFrame& frame = next->value();
    consumed += frame.bytes.size();
    decide(std::move(frame.bytes), now);
    if (blackholed_ || cut_queued_) {
      consumed = unframed_.size();
      break;
    }
  }
  unframed_.erase(unframed_.begin(), unframed_.begin() + static_cast<std::ptrdiff_t>(consumed));
}

void TcpPump::decide(Bytes pdu, Duration now) {
  const auto facts = facts_of(direction_, pdu);
  if (!facts) {
    enqueue_raw(std::move(pdu), now);
    return;
  }
  const Action action = plan_.decide(*facts, now);
  if (action.blackhole) {
    blackholed_ = true;
    return;
  }
  if (action.drop) return;
  for (const auto& c : action.corruptions)
    (void)corrupt_field(pdu, c.field, c.value);  // a field the PDU lacks is left alone
  if (action.truncate_to && *action.truncate_to < pdu.size()) pdu.resize(*action.truncate_to);
  const Duration due = std::max(now + action.delay, last_due_);
  last_due_ = due;
  if (action.reset) {
    pdu.resize(std::min(action.reset->offset, pdu.size()));
    if (!pdu.empty()) add_writes(pdu, action.slice, due);
    Step cut;
    cut.kind = StepKind::cut;
    cut.due = due;
    cut.rst = action.reset->rst;
    steps_.push_back(std::move(cut));
    cut_queued_ = true;
    return;
  }
  for (unsigned i = 0; i < action.copies; ++i)
    add_writes(pdu, action.slice, due);
}

void TcpPump::enqueue_raw(Bytes bytes, Duration now) {
  if (bytes.empty()) return;
  last_due_ = std::max(now, last_due_);
  add_writes(bytes, std::nullopt, last_due_);
}

void TcpPump::add_writes(const Bytes& pdu, const std::optional<Slicing>& slice, Duration due) {
  const std::size_t segment = slice ? std::max<std::size_t>(slice->segment, 1) : pdu.size();
  for (std::size_t offset = 0; offset < pdu.size(); offset += segment) {
    const std::size_t end = std::min(pdu.size(), offset + segment);
    Step step;
    step.bytes.assign(pdu.begin() + static_cast<std::ptrdiff_t>(offset),
                      pdu.begin() + static_cast<std::ptrdiff_t>(end));
    step.due = due;
    step.gap = offset == 0 || !slice ? Duration{0} : slice->gap;
    if (end == pdu.size()) {
      step.tee = true;
      if (offset != 0) step.teed = pdu;  // a slice: the whole PDU is teed with its last piece
    }
    queued_ += held_by(step.bytes, step.teed);
    steps_.push_back(std::move(step));
  }
}

void TcpPump::end_of_stream() {
  src_eof_ = true;
  // A PDU cut short by the sender's close still goes on, as the bytes it sent.
  if (!raw_ && !blackholed_ && !cut_queued_ && !unframed_.empty()) {
    enqueue_raw(std::move(unframed_), link_.clock.now());
    unframed_.clear();
  }
}

void TcpPump::finish() {
  // A hung network passes no end of stream either, unless asked to.
  if (blackholed_ && !link_.blackhole_keeps_close) return;
  ::shutdown(dst_, SHUT_WR);
  link_.tee_closed(direction_);
}

Duration TcpPump::ready_time(const Step& step) const {
  if (step.gap > Duration{0} && last_write_) return std::max(step.due, *last_write_ + step.gap);
  return step.due;
}

bool TcpPump::run_due_steps() {
  while (!steps_.empty()) {
    const Step& step = steps_.front();
    if (link_.clock.now() < ready_time(step)) return true;
    switch (step.kind) {
      case StepKind::write:
        switch (write(step)) {
          case WriteOutcome::written:
            break;
          case WriteOutcome::stopped:
            return false;
          case WriteOutcome::failed:
            link_.cut_connection(true);  // the receiver is gone: reset the sender too
            return false;
        }
        last_write_ = link_.clock.now();
        break;
      case StepKind::cut:
        link_.cut_connection(step.rst);
        return false;
    }
    queued_ -= std::min(queued_, held_by(step.bytes, step.teed));
    steps_.pop_front();
  }
  return true;
}

TcpPump::WriteOutcome TcpPump::write(const Step& step) {
  std::size_t offset = 0;
  while (offset < step.bytes.size()) {
    if (link_.is_cut()) return WriteOutcome::stopped;
    ssize_t n = 0;
    {
      // The write that completes a PDU and its tee are one step for the other pump's tees: a
      // reply to this PDU cannot be teed before it.
      std::unique_lock lock(link_.tee_mu, std::defer_lock);
      if (step.tee) lock.lock();
      n = ::send(dst_, step.bytes.data() + offset, step.bytes.size() - offset, MSG_NOSIGNAL);
      if (n > 0) {
        offset += static_cast<std::size_t>(n);
        if (offset == step.bytes.size() && step.tee) {
          link_.tee_pdu(direction_, step.teed.empty() ? step.bytes : step.teed);
        }
      }
    }
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      switch (wait_fd(dst_, POLLOUT, &link_.waker, link_.clock, std::nullopt).outcome) {
        case WaitOutcome::ready:
        case WaitOutcome::timed_out:
          continue;
        case WaitOutcome::woken:
        case WaitOutcome::failed:  // as in run()
          return WriteOutcome::stopped;
      }
    }
    return WriteOutcome::failed;
  }
  return WriteOutcome::written;
}

}  // namespace rpcfit::fault::proxy_internal
