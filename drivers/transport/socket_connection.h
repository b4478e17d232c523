// The StreamConnection of every protocol sequence: a connected, non-blocking stream socket (TCP or
// Unix-domain) whose received bytes are framed by the wire stream splitter.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "drivers/transport/fd_util.h"
#include "harness/core/clock.h"
#include "harness/seams/capture_sink.h"
#include "harness/seams/transport.h"
#include "harness/wire/stream.h"

namespace rpcfit::transport::internal {

// Which end of the connection this object is; decides how connection_opened names the client.
enum class Side : std::uint8_t { client, server };

// Threading: one sender thread (queue, flush, bytes_written) and one receiver thread (receive,
// try_receive) may run at the same time; the two paths share no unsynchronized state. interrupt()
// may be called from any thread while they run. close() and destruction must not overlap any other
// call except interrupt(). The capture sink is called from both paths, so it must be thread-safe.
class SocketConnection final : public StreamConnection {
 public:
  // Takes a connected socket and tees connection_opened.
  SocketConnection(Fd fd, const Clock& clock, CaptureSink* capture, Endpoint local, Endpoint peer,
                   Side side, std::size_t max_fragment);
  ~SocketConnection() override;
  SocketConnection(const SocketConnection&) = delete;
  SocketConnection& operator=(const SocketConnection&) = delete;

  void queue(Bytes pdu) override;
  IoResult flush(const Deadline& deadline, const Waker* waker) override;
  std::size_t bytes_written() const override { return bytes_written_.load(); }
  IoResult receive(Bytes& pdu, const Deadline& deadline, const Waker* waker) override;
  IoResult try_receive(Bytes& pdu) override;
  void interrupt() override;
  void abort() override;
  void close() override;
  void detach_capture() override;
  Endpoint local_endpoint() const override { return local_; }
  Endpoint peer_endpoint() const override { return peer_; }

 private:
  // Outcome of the receive path without blocking: a frame, a final state, or nullopt when more
  // bytes are needed.
  std::optional<IoResult> take_frame(Bytes& pdu);
  // One non-blocking recv into the splitter; records end of stream or an error for take_frame.
  void read_some();
  IoResult fail_send(int err) const;
  void tee_closed(const Endpoint& closer, const Endpoint& other);
  // Tees the bytes received that make no PDU (a bad header, a PDU its peer did not finish).
  void tee_unframed();

  const Clock& clock_;
  std::mutex capture_mu_;  // serialises tees with detach_capture()
  CaptureSink* capture_;   // guarded by capture_mu_
  template <class Fn>
  void tee(Fn&& fn) {
    std::lock_guard lock(capture_mu_);
    if (capture_ != nullptr) fn(*capture_);
  }
  const Endpoint local_;
  const Endpoint peer_;

  // Written only by close() under fd_mu_; interrupt() reads it under the lock so that it never
  // shuts down a descriptor number that close() has released for reuse.
  mutable std::mutex fd_mu_;
  Fd fd_;
  int raw_fd_;  // fd_.get() as created; the I/O paths read it without the lock
  std::atomic<bool> closed_{false};
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> close_teed_{false};

  // Send path.
  std::deque<Bytes> send_queue_;
  std::size_t send_offset_ = 0;  // bytes of send_queue_.front() already written
  std::atomic<std::size_t> bytes_written_{0};

  // Receive path.
  wire::StreamSplitter splitter_;
  Bytes recv_buffer_;
  bool eof_ = false;
  std::string recv_error_;                   // sticky once set
  IoStatus recv_status_ = IoStatus::failed;  // of recv_error_
};

}  // namespace rpcfit::transport::internal
