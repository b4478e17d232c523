// Test scaffolding for the runtime: an in-memory capture, a server event log, a call running on
// its own client thread, and a client/server pair on one protocol sequence. Waits are on events
// with generous deadlines, never sleeps.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drivers/runtime/client.h"
#include "drivers/runtime/server.h"
#include "drivers/runtime/test_interface.h"
#include "harness/core/clock.h"
#include "harness/seams/capture_direction.h"
#include "harness/seams/capture_sink.h"

namespace rpcfit::rpc::testing {

// Generous bound for anything that should happen "soon" on a loaded machine (real time).
inline constexpr auto kPatience = std::chrono::seconds(20);
// Timing tolerance in scenario time for a Pair's clock at scale 0.1: generous for loaded machines.
inline constexpr auto kLate = std::chrono::milliseconds(2500);

struct SeenPdu {
  Duration at;            // scenario time
  bool outbound;          // sent by the client
  std::string type;       // "co_cancel"
  std::uint8_t flags;     // pfc_flags, or flags1 of a datagram
  std::uint32_t call_id;  // call_id, or seqnum of a datagram
  Bytes bytes;
  std::uint8_t flags2 = 0;  // of a datagram
};

// Records the PDUs of the client's connections and datagram sockets, each with its direction.
class MemoryCapture : public CaptureSink {
 public:
  explicit MemoryCapture(const Clock& clock) : clock_(clock) {}
  void connection_opened(Timestamp time, const Endpoint& client, const Endpoint& server) override;
  void pdu(const CapturedPdu& pdu) override;
  void connection_closed(Timestamp time, const Endpoint& closer, const Endpoint& peer) override;

  std::vector<SeenPdu> pdus() const;
  // "out bind", "in bind_ack", ... in order.
  std::vector<std::string> sequence() const;
  std::size_t count(const std::string& type) const;
  // PDUs of `type` the client sent so far; waiting until it has sent `n` (false after kPatience).
  std::size_t count_sent(const std::string& type) const;
  bool wait_sent(const std::string& type, std::size_t n = 1) const;
  // Waits until `pred(pdus)` holds; false after kPatience.
  bool wait_until(const std::function<bool(const std::vector<SeenPdu>&)>& pred) const;
  // The same with a stated real-time bound, for asserting that something does not happen.
  bool wait_until_for(const std::function<bool(const std::vector<SeenPdu>&)>& pred,
                      std::chrono::milliseconds bound) const;
  int opened() const;
  int closed() const;
  // Waits until `n` connection closes were seen; false after kPatience.
  bool wait_closed(int n) const;

 private:
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<SeenPdu> pdus_;
  CaptureDirection direction_;
  int opened_ = 0;
  int closed_ = 0;
};

// The PDUs of `type` in one direction, pointing into `pdus` (so not into a temporary: keep the
// vector, e.g. `const auto pdus = capture.pdus();`; MemoryCapture::count_sent counts).
std::vector<const SeenPdu*> of_type(const std::vector<SeenPdu>& pdus, const std::string& type,
                                    bool outbound);
std::vector<const SeenPdu*> of_type(std::vector<SeenPdu>&& pdus, const std::string& type,
                                    bool outbound) = delete;

// Records server events.
class EventLog {
 public:
  std::function<void(const ServerEvent&)> observer();
  bool wait_for(ServerEventKind kind, int count = 1) const;
  int count(ServerEventKind kind) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ServerEvent> events_;
};

struct Outcome {
  bool returned = false;
  Bytes output;
  RpcStatus raised = status::kOk;
  std::string what;
  Duration ended{};
};

// One synchronous call on its own thread.
class CallThread {
 public:
  CallThread(Runtime& runtime, std::shared_ptr<Binding> binding, std::uint16_t opnum, Bytes input,
             std::function<void()> before_call = {});
  ~CallThread();
  ThreadId thread_id() const { return id_; }
  // Waits for the call to end; fails the test after kPatience.
  Outcome finish();

 private:
  std::thread thread_;
  ThreadId id_ = 0;
  std::future<Outcome> outcome_;
};

// An opnum Pair adds to the test interface: its routine echoes its input once the test opens the
// gate, ignoring cancels, so a test controls exactly how long a call runs.
inline constexpr std::uint16_t kGated = 10;

// A server with the test interface and a client binding to it on one protocol sequence.
class Pair {
 public:
  explicit Pair(transport::Protseq protseq, double scale = 0.1, RuntimeOptions client_extra = {},
                RuntimeOptions server_extra = {}, BindingOptions binding_options = {},
                ServerOptions server_options = {});
  ~Pair();

  RealClock clock;
  MemoryCapture capture;
  EventLog events;
  std::string run_dir;
  std::unique_ptr<Runtime> client;
  std::unique_ptr<Runtime> server_runtime;
  std::unique_ptr<Server> server;
  std::string endpoint;
  std::string string_binding;
  std::shared_ptr<Binding> binding;

  // A cancel from this thread; the handle is opened with `access`.
  RpcStatus cancel(ThreadId target, long timeout, std::uint32_t access = access::kThreadAllAccess);
  // Lets kGated calls return (once; later calls then return at once).
  void open_gate();

 private:
  std::promise<void> gate_;
  std::shared_future<void> gated_ = gate_.get_future().share();
  std::once_flag gate_opened_;
};

// The status `fn` raised as RpcException; RPC_S_OK when it returned.
RpcStatus raised_by(const std::function<void()>& fn);

std::string make_run_dir();
void remove_run_dir(const std::string& dir);

}  // namespace rpcfit::rpc::testing
