// Transport: how a runtime endpoint moves connection-oriented PDUs. One StreamConnection is one
// connection; a StreamListener accepts them. I/O failure is a value (IoResult), never an
// exception. Every PDU sent or received is teed to the CaptureSink given at creation.
//
// Threading: one thread at a time sends (queue/flush) and one thread at a time receives; the two
// may be different threads. interrupt() and the Waker may be used from any thread.
#pragma once

#include <memory>
#include <string>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/endpoint.h"

namespace rpcfit {

// Wakes a thread blocked in a transport wait from another thread (an eventfd). Wakes are sticky:
// a wake() before the wait makes the wait return at once; consume() clears it.
class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  void wake() const;
  // Clears pending wakes; returns whether there was one.
  bool consume() const;
  // Whether a wake is pending, leaving it so: a Waker that is never consumed serves as a latch
  // (a stop that every later wait sees), and this asks whether it has been set.
  bool pending() const;
  int fd() const { return fd_; }

 private:
  int fd_;
};

enum class IoStatus : std::uint8_t {
  ok,         // done
  woken,      // the Waker fired first; progress is kept, call again to continue
  timed_out,  // the deadline passed first; progress is kept
  closed,     // the peer closed the connection (orderly end of stream)
  failed,     // reset or I/O error
  malformed,  // the peer sent bytes that are not a valid PDU stream
};

struct IoResult {
  IoStatus status = IoStatus::ok;
  std::string detail;  // for failed: what went wrong ("connection reset", "frag_length 7 < 16")
  bool ok() const { return status == IoStatus::ok; }
};

class StreamConnection {
 public:
  virtual ~StreamConnection() = default;
  // Appends one whole PDU to the send queue. flush() tees it to the capture sink when its last
  // byte has been written; a PDU never written whole is not teed.
  virtual void queue(Bytes pdu) = 0;
  // Writes queued bytes until none are left (ok), or woken / timed_out / closed / failed.
  virtual IoResult flush(const Deadline& deadline, const Waker* waker) = 0;
  // Whether any byte of the PDUs queued so far has been written.
  virtual std::size_t bytes_written() const = 0;
  // Reads one whole PDU into `pdu` (ok), or woken / timed_out / closed / failed. Frames are
  // checked (stream splitter) before their length is trusted.
  virtual IoResult receive(Bytes& pdu, const Deadline& deadline, const Waker* waker) = 0;
  // As receive() but never blocks: timed_out when no whole PDU is available yet.
  virtual IoResult try_receive(Bytes& pdu) = 0;
  // Shuts the socket down in both directions so blocked operations in other threads return.
  virtual void interrupt() = 0;
  // Ends the connection abortively: a blocked receive returns now, later calls fail, and the
  // close() that follows resets a TCP peer (RST) rather than ending the stream in order (a
  // Unix-socket peer, having no such thing, sees the end). Any thread.
  virtual void abort() = 0;
  // Closes the connection (tees the close to the capture sink once).
  virtual void close() = 0;
  // Stops teeing, for a connection that may outlive its capture sink. Any thread.
  virtual void detach_capture() = 0;
  // Endpoints as they appear in captures (synthesized TCP endpoints for Unix-socket transports).
  virtual Endpoint local_endpoint() const = 0;
  virtual Endpoint peer_endpoint() const = 0;
};

class StreamListener {
 public:
  virtual ~StreamListener() = default;
  // Waits for the next connection; nullptr with `result` set when woken, timed out or failed.
  virtual std::unique_ptr<StreamConnection> accept(const Deadline& deadline, const Waker* waker,
                                                   IoResult& result) = 0;
  // The endpoint clients connect to: a port number for TCP ("49731"), a pipe name or endpoint
  // name for Unix-socket transports.
  virtual std::string endpoint() const = 0;
  virtual void close() = 0;
};

}  // namespace rpcfit
