// Datagram transport: how a runtime endpoint moves connectionless (ncadg_*) PDUs. One
// DatagramSocket sends and receives whole datagrams; a client's socket talks to one server, a
// server's socket to any number of clients. I/O failure is a value (IoResult), never an
// exception. Every datagram sent or received is teed to the CaptureSink given at creation, as UDP.
//
// Threading: any number of threads may send at once (each datagram is sent whole by one system
// call); one thread at a time receives. close() must not overlap other calls.
#pragma once

#include <memory>
#include <string>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/endpoint.h"
#include "harness/seams/transport.h"

namespace rpcfit {

// Where a datagram came from or goes to. `endpoint` is how the peer appears in captures and is
// unique per peer of one socket, so it serves as the peer's key; `address` is the transport's own
// address of the peer (opaque to callers: a socket address, a queue name).
struct DatagramPeer {
  Endpoint endpoint;
  std::string address;
  bool operator==(const DatagramPeer& other) const { return endpoint == other.endpoint; }
};

class DatagramSocket {
 public:
  virtual ~DatagramSocket() = default;
  // Sends one datagram to `to` and tees it once sent. Never blocks: a full send buffer is
  // timed_out (the datagram is lost, as on a network); `closed` when the peer is known to be
  // gone (ICMP port unreachable on a client socket, a queue that no longer exists).
  virtual IoResult send_to(ByteView datagram, const DatagramPeer& to) = 0;
  // Receives one datagram and its sender: ok, woken, timed_out, closed (the peer is known to be
  // gone, as above) or failed. A datagram longer than max_datagram() is dropped.
  virtual IoResult receive_from(Bytes& datagram, DatagramPeer& from, const Deadline& deadline,
                                const Waker* waker) = 0;
  // Stops teeing, for a socket that may outlive its capture sink. Any thread.
  virtual void detach_capture() = 0;
  virtual void close() = 0;
  // This socket as it appears in captures.
  virtual Endpoint local_endpoint() const = 0;
  // A server socket's endpoint as clients name it: a port number ("49731") or a queue name.
  virtual std::string endpoint() const = 0;
  // The longest datagram the transport carries.
  virtual std::size_t max_datagram() const = 0;
};

// Forwards every call to an inner socket: a decorator overrides what it changes (a test's lost
// datagrams, a fault driver's delays).
class DatagramDecorator : public DatagramSocket {
 public:
  explicit DatagramDecorator(std::unique_ptr<DatagramSocket> inner) : inner_(std::move(inner)) {}
  IoResult send_to(ByteView datagram, const DatagramPeer& to) override {
    return inner_->send_to(datagram, to);
  }
  IoResult receive_from(Bytes& datagram, DatagramPeer& from, const Deadline& deadline,
                        const Waker* waker) override {
    return inner_->receive_from(datagram, from, deadline, waker);
  }
  void detach_capture() override { inner_->detach_capture(); }
  void close() override { inner_->close(); }
  Endpoint local_endpoint() const override { return inner_->local_endpoint(); }
  std::string endpoint() const override { return inner_->endpoint(); }
  std::size_t max_datagram() const override { return inner_->max_datagram(); }

 protected:
  DatagramSocket& inner() { return *inner_; }

 private:
  std::unique_ptr<DatagramSocket> inner_;
};

}  // namespace rpcfit
