#include "drivers/transport/socket_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace rpcfit::transport::internal {
namespace {

// One read's worth: a whole maximum-size fragment fits, so a large PDU needs few calls.
constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

SocketConnection::SocketConnection(Fd fd, const Clock& clock, CaptureSink* capture, Endpoint local,
                                   Endpoint peer, Side side, std::size_t max_fragment)
    : clock_(clock),
      capture_(capture),
      local_(local),
      peer_(peer),
      fd_(std::move(fd)),
      raw_fd_(fd_.get()),
      splitter_(wire::StreamLimits{max_fragment}) {
  tee([&](CaptureSink& sink) {
    if (side == Side::client) {
      sink.connection_opened(clock_.wall_now(), local_, peer_);
    } else {
      sink.connection_opened(clock_.wall_now(), peer_, local_);
    }
  });
}

void SocketConnection::detach_capture() {
  std::lock_guard lock(capture_mu_);
  capture_ = nullptr;
}

SocketConnection::~SocketConnection() {
  close();
}

void SocketConnection::queue(Bytes pdu) {
  send_queue_.push_back(std::move(pdu));
}

IoResult SocketConnection::fail_send(int err) const {
  if (interrupted_.load()) return {IoStatus::failed, "connection interrupted"};
  if (err == EPIPE || err == ECONNRESET) return {IoStatus::failed, "connection reset"};
  return {IoStatus::failed, errno_text("send", err)};
}

IoResult SocketConnection::flush(const Deadline& deadline, const Waker* waker) {
  while (!send_queue_.empty()) {
    if (closed_.load()) return {IoStatus::failed, "connection is closed"};
    const Bytes& front = send_queue_.front();
    ssize_t n = 0;
    {
      // The write that completes a PDU and its tee happen under the capture lock, which the
      // receive side takes to tee: a reply to this PDU, read by another thread, is teed after it.
      std::lock_guard lock(capture_mu_);
      n = ::send(raw_fd_, front.data() + send_offset_, front.size() - send_offset_,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0 && send_offset_ + static_cast<std::size_t>(n) == front.size() &&
          capture_ != nullptr) {
        capture_->pdu(CapturedPdu{clock_.wall_now(), TransportKind::tcp, local_, peer_, front});
      }
    }
    if (n >= 0) {
      send_offset_ += static_cast<std::size_t>(n);
      bytes_written_.fetch_add(static_cast<std::size_t>(n));
      if (send_offset_ == front.size()) {
        send_queue_.pop_front();
        send_offset_ = 0;
      }
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return fail_send(errno);
    IoResult waited = wait_result(wait_fd(raw_fd_, POLLOUT, waker, clock_, deadline), "poll");
    if (!waited.ok()) return waited;
  }
  return {};
}

void SocketConnection::tee_closed(const Endpoint& closer, const Endpoint& other) {
  if (close_teed_.exchange(true)) return;
  tee([&](CaptureSink& sink) { sink.connection_closed(clock_.wall_now(), closer, other); });
}

void SocketConnection::tee_unframed() {
  // They were on the wire, so they are in the capture, where a reader finds them malformed.
  if (splitter_.buffered() == 0) return;
  const ByteView rest = splitter_.pending();
  tee([&](CaptureSink& sink) {
    sink.pdu(CapturedPdu{clock_.wall_now(), TransportKind::tcp, peer_, local_,
                         Bytes(rest.begin(), rest.end())});
  });
}

std::optional<IoResult> SocketConnection::take_frame(Bytes& pdu) {
  if (!recv_error_.empty()) return IoResult{recv_status_, recv_error_};
  if (auto next = splitter_.next()) {
    if (!next->ok()) {
      recv_error_ = next->error().to_string();
      recv_status_ = IoStatus::malformed;
      tee_unframed();
      return IoResult{recv_status_, recv_error_};
    }
    pdu = std::move(next->value().bytes);
    tee([&](CaptureSink& sink) {
      sink.pdu(CapturedPdu{clock_.wall_now(), TransportKind::tcp, peer_, local_, pdu});
    });
    return IoResult{};
  }
  if (!eof_) return std::nullopt;
  // Our own shutdown also reads as end of stream; the peer did not close, so nothing is teed and
  // close() records who ended the connection.
  if (interrupted_.load()) {
    recv_error_ = "connection interrupted";
    return IoResult{IoStatus::failed, recv_error_};
  }
  tee_unframed();
  tee_closed(peer_, local_);
  if (splitter_.buffered() > 0) {
    recv_error_ = "connection closed inside a PDU (" + std::to_string(splitter_.buffered()) +
                  " bytes of it received)";
    return IoResult{IoStatus::failed, recv_error_};
  }
  return IoResult{IoStatus::closed, {}};
}

void SocketConnection::read_some() {
  if (eof_ || !recv_error_.empty()) return;
  if (recv_buffer_.empty()) recv_buffer_.resize(kReadChunk);
  for (;;) {
    const ssize_t n = ::recv(raw_fd_, recv_buffer_.data(), recv_buffer_.size(), MSG_DONTWAIT);
    if (n > 0) {
      splitter_.feed(ByteView(recv_buffer_.data(), static_cast<std::size_t>(n)));
      return;
    }
    if (n == 0) {
      eof_ = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return;
    if (interrupted_.load()) {
      recv_error_ = "connection interrupted";
    } else if (errno == ECONNRESET) {
      recv_error_ = "connection reset";
    } else {
      recv_error_ = errno_text("recv", errno);
    }
    return;
  }
}

IoResult SocketConnection::receive(Bytes& pdu, const Deadline& deadline, const Waker* waker) {
  for (;;) {
    if (auto done = take_frame(pdu)) return *done;
    if (closed_.load()) return {IoStatus::failed, "connection is closed"};
    IoResult waited = wait_result(wait_fd(raw_fd_, POLLIN, waker, clock_, deadline), "poll");
    if (!waited.ok()) return waited;
    read_some();
  }
}

IoResult SocketConnection::try_receive(Bytes& pdu) {
  if (auto done = take_frame(pdu)) return *done;
  if (closed_.load()) return {IoStatus::failed, "connection is closed"};
  read_some();
  if (auto done = take_frame(pdu)) return *done;
  return {IoStatus::timed_out, {}};
}

void SocketConnection::interrupt() {
  std::lock_guard lock(fd_mu_);
  if (!fd_.valid()) return;
  interrupted_.store(true);
  ::shutdown(fd_.get(), SHUT_RDWR);
}

void SocketConnection::abort() {
  std::lock_guard lock(fd_mu_);
  if (!fd_.valid()) return;
  interrupted_.store(true);
  // Lingering 0 s makes the close() that follows send an RST on TCP. Shutting down only the
  // reading side wakes a blocked receive without sending a FIN first, so the peer sees the reset
  // and not an orderly end. (A Unix socket refuses nothing here and just ends at close().)
  linger abortive{1, 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ::shutdown(fd_.get(), SHUT_RD);
}

void SocketConnection::close() {
  {
    std::lock_guard lock(fd_mu_);
    if (!fd_.valid()) return;
    closed_.store(true);
    fd_.reset();
  }
  tee_closed(local_, peer_);
}

}  // namespace rpcfit::transport::internal
