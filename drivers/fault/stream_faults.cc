#include "drivers/fault/stream_faults.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "harness/fault/corrupt.h"

namespace rpcfit::fault {
namespace {

constexpr const char* kResetDetail = "connection reset (fault)";

Direction other(Direction d) {
  switch (d) {
    case Direction::client_to_server:
      return Direction::server_to_client;
    case Direction::server_to_client:
      return Direction::client_to_server;
  }
  return d;
}

Deadline earliest(const Deadline& a, const Deadline& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

void edit_pdu(Bytes& pdu, const Action& action) {
  // A corruption the header refuses leaves the bytes as they were; the plan already skips
  // fields the PDU's header lacks, so this only guards against surprises.
  for (const auto& c : action.corruptions)
    (void)corrupt_field(pdu, c.field, c.value);
  if (action.truncate_to && *action.truncate_to < pdu.size()) pdu.resize(*action.truncate_to);
}

FaultyStream::FaultyStream(std::unique_ptr<StreamConnection> inner, std::shared_ptr<FaultPlan> plan,
                           bool client_side, const Clock& clock, bool sending_only)
    : inner_(std::move(inner)),
      plan_(std::move(plan)),
      send_dir_(client_side ? Direction::client_to_server : Direction::server_to_client),
      receive_dir_(other(send_dir_)),
      sending_only_(sending_only),
      clock_(clock),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
}

FaultyStream::~FaultyStream() {
  ::close(wake_fd_);
}

void FaultyStream::add_writes(Bytes bytes, const Action& action, Duration due) {
  if (!action.slice || action.slice->segment >= bytes.size()) {
    steps_.push_back(Step{StepKind::write, std::move(bytes), 0, due, Duration{0}, std::nullopt});
    return;
  }
  const std::size_t segment = std::max<std::size_t>(action.slice->segment, 1);
  for (std::size_t at = 0; at < bytes.size(); at += segment) {
    const std::size_t end = std::min(bytes.size(), at + segment);
    Bytes chunk(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                bytes.begin() + static_cast<std::ptrdiff_t>(end));
    steps_.push_back(Step{StepKind::write, std::move(chunk), 0, due,
                          at == 0 ? Duration{0} : action.slice->gap, std::nullopt});
  }
}

void FaultyStream::queue(Bytes pdu) {
  const Duration now = clock_.now();
  auto facts = facts_of(send_dir_, pdu);
  if (!facts) {
    steps_.push_back(Step{StepKind::write, std::move(pdu), 0, now, Duration{0}, std::nullopt});
    return;
  }
  const Action action = plan_->decide(*facts, now);
  if (action.blackhole || action.drop) {
    steps_.push_back(Step{StepKind::swallow, {}, pdu.size(), now, Duration{0}, std::nullopt});
    return;
  }
  edit_pdu(pdu, action);
  const Duration due = now + action.delay;
  if (action.reset) {
    pdu.resize(std::min(action.reset->offset, pdu.size()));
    if (!pdu.empty()) add_writes(std::move(pdu), action, due);
    steps_.push_back(Step{StepKind::cut, {}, 0, due, Duration{0}, std::nullopt, action.reset->rst});
    return;
  }
  for (unsigned copy = 1; copy < action.copies; ++copy)
    add_writes(pdu, action, due);
  add_writes(std::move(pdu), action, due);
}

IoResult FaultyStream::flush(const Deadline& deadline, const Waker* waker) {
  for (;;) {
    if (cut_.load()) return {IoStatus::failed, kResetDetail};
    if (inner_pending_) {
      auto written = inner_->flush(deadline, waker);
      if (!written.ok()) return written;
      inner_pending_ = false;
    }
    if (steps_.empty()) return {};
    Step& step = steps_.front();
    if (!step.ready) step.ready = std::max(step.due, clock_.now() + step.gap);
    if (clock_.now() < *step.ready) {
      auto waited = wait_until(*step.ready, deadline, waker);
      if (!waited.ok()) return waited;
    }
    Step taken = std::move(step);
    steps_.pop_front();
    switch (taken.kind) {
      case StepKind::write:
        inner_->queue(std::move(taken.bytes));
        inner_pending_ = true;
        break;
      case StepKind::swallow:
        swallowed_ += taken.swallowed;
        break;
      case StepKind::cut:
        cut(taken.rst);
        return {IoStatus::failed, kResetDetail};
    }
  }
}

std::size_t FaultyStream::bytes_written() const {
  return inner_->bytes_written() + swallowed_.load();
}

IoResult FaultyStream::wait_until(Deadline until, const Deadline& deadline,
                                  const Waker* waker) const {
  for (;;) {
    const Duration now = clock_.now();
    if (until && now >= *until) return {};
    if (deadline && now >= *deadline) return {IoStatus::timed_out, {}};
    auto remaining = clock_.real_remaining(earliest(until, deadline));
    timespec limit{};
    if (remaining) {
      limit.tv_sec = static_cast<time_t>(remaining->count() / 1'000'000'000);
      limit.tv_nsec = static_cast<long>(remaining->count() % 1'000'000'000);
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {waker ? waker->fd() : -1, POLLIN, 0}};
    const int n = ::ppoll(fds, 2, remaining ? &limit : nullptr, nullptr);
    if (n < 0 && errno != EINTR) return {IoStatus::failed, "ppoll failed"};
    if (n <= 0) continue;
    if ((fds[1].revents & POLLIN) != 0) return {IoStatus::woken, {}};
    if ((fds[0].revents & POLLIN) != 0) {
      return {IoStatus::failed, cut_.load() ? kResetDetail : "connection interrupted"};
    }
  }
}

std::optional<IoResult> FaultyStream::receive_step(Bytes& pdu, const Deadline* deadline,
                                                   const Waker* waker) {
  if (cut_.load()) return IoResult{IoStatus::failed, kResetDetail};
  if (!held_.empty()) {
    if (held_.front().due <= clock_.now()) {
      pdu = std::move(held_.front().bytes);
      held_.pop_front();
      return IoResult{};
    }
    if (deadline == nullptr) return IoResult{IoStatus::timed_out, {}};
    auto waited = wait_until(held_.front().due, *deadline, waker);
    if (!waited.ok()) return waited;
    return std::nullopt;
  }
  if (receive_blackholed_) {
    if (deadline == nullptr) return IoResult{IoStatus::timed_out, {}};
    return wait_until(std::nullopt, *deadline, waker);  // never ok: nothing more arrives
  }
  Bytes got;
  auto read = deadline ? inner_->receive(got, *deadline, waker) : inner_->try_receive(got);
  if (!read.ok()) return read;
  if (sending_only_) {  // the sending side's decorator decided this PDU
    pdu = std::move(got);
    return IoResult{};
  }
  const Duration now = clock_.now();
  auto facts = facts_of(receive_dir_, got);
  if (!facts) {
    pdu = std::move(got);
    return IoResult{};
  }
  const Action action = plan_->decide(*facts, now);
  if (action.blackhole) {
    receive_blackholed_ = true;
    return std::nullopt;
  }
  if (action.drop) return std::nullopt;
  if (action.reset) {
    cut(action.reset->rst);
    return IoResult{IoStatus::failed, kResetDetail};
  }
  edit_pdu(got, action);
  if (action.delay <= Duration{0} && action.copies <= 1) {
    pdu = std::move(got);
    return IoResult{};
  }
  for (unsigned copy = 1; copy < action.copies; ++copy)
    held_.push_back(Held{got, now + action.delay});
  held_.push_back(Held{std::move(got), now + action.delay});
  return std::nullopt;
}

IoResult FaultyStream::receive(Bytes& pdu, const Deadline& deadline, const Waker* waker) {
  for (;;) {
    if (auto done = receive_step(pdu, &deadline, waker)) return *done;
  }
}

IoResult FaultyStream::try_receive(Bytes& pdu) {
  for (;;) {
    if (auto done = receive_step(pdu, nullptr, nullptr)) return *done;
  }
}

void FaultyStream::cut(bool rst) {
  cut_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (rst) {
    inner_->abort();
  } else {
    inner_->interrupt();
  }
}

void FaultyStream::abort() {
  cut(true);
}

void FaultyStream::interrupt() {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  inner_->interrupt();
}

void FaultyStream::close() {
  steps_.clear();
  inner_->close();
}

std::function<std::unique_ptr<StreamConnection>(std::unique_ptr<StreamConnection>, bool)>
stream_decorator_for(std::shared_ptr<FaultPlan> plan, const Clock& clock, bool sending_only) {
  if (!plan) throw std::invalid_argument("stream_decorator_for: no plan");
  if (plan->uses(FaultKind::reorder)) {
    throw std::invalid_argument("reorder is a datagram fault; a stream cannot apply it");
  }
  return [plan = std::move(plan), &clock, sending_only](
             std::unique_ptr<StreamConnection> inner,
             bool client_side) -> std::unique_ptr<StreamConnection> {
    return std::make_unique<FaultyStream>(std::move(inner), plan, client_side, clock, sending_only);
  };
}

}  // namespace rpcfit::fault
