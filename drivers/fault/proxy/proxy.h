// Proxy: the fault proxy for foreign clients and servers. It listens on one address, forwards
// every conversation to an upstream address, and applies a FaultPlan per PDU on the way, in the
// manner of Toxiproxy but seeded, aware of DCE/RPC PDUs, and teeing what passed to a CaptureSink.
//
// Conversations and plans: a TCP connection, or a UDP client address (ip:port) with its own
// connected upstream socket (a NAT-like mapping that expires after `udp_idle` without traffic),
// is one conversation with one plan, seeded Random(seed).fork(index).seed(), index counting
// conversations from 0 in the order they began. counters() sums the plans.
//
// TCP (tcp_proxy.cc): two pump threads per connection, client to server (c2s) and server to
// client (s2c). Each pump frames its byte stream into CO PDUs (wire::StreamSplitter) and applies
// the plan's Action in fault_plan.h's order:
//  - delay (latency, bandwidth) is measured from the moment the PDU was read; delays queue, so a
//    later PDU (or raw byte) never overtakes an earlier one, while the pump keeps reading.
//  - corrupt then truncate change the bytes; the capture shows them as sent.
//  - reset writes min(offset, size) bytes, then cuts the connection both ways: rst closes both
//    sockets with SO_LINGER 0 (the peers see a reset), close shuts them down in order (the peers
//    read end of stream). PDUs still queued in either direction are lost.
//  - slice writes the PDU in segment-byte writes, gap apart. Both sockets always have TCP_NODELAY,
//    so each write leaves as its own segment and the proxy adds no Nagle delay of its own.
//  - blackhole: the pump keeps reading that direction and discards everything (so the sender is
//    never blocked by a full window, as on a network that loses packets), and does not pass on its
//    end of stream either; the other direction goes on.
//  - bytes that do not frame as PDUs (a non-DCE/RPC peer, a broken stream) are forwarded raw and
//    unchanged from the first byte that does not frame, and that direction is decided no more.
//  - reorder is meaningless on a stream: start() refuses it.
// A connection whose upstream cannot be reached is closed on the client and counted in
// upstream_failures(); the proxy goes on.
//
// UDP (udp_proxy.cc): one thread; each datagram is decided as c2s or s2c with its mapping's plan.
// drop and blackhole discard it, corrupt and truncate change it, delay holds it back (datagrams
// may then overtake each other, as on a network), duplicate sends it twice, and reorder (hold)
// sends it right after the next datagram of that direction. reset and slice are stream faults:
// start() refuses them. Datagrams that are not DCE/RPC pass untouched.
//
// Capture: every PDU (or raw chunk, or datagram) is teed when it has left the proxy, as its
// receiver gets it, between the real endpoints, client and upstream, as if the proxy were not
// there: TCP connection_opened when the upstream connection is up, connection_closed as each side's
// end of stream is passed on or the connection is cut.
//
// Time: delays are scenario time on `clock` (a RealClock at scale 0.1 runs them ten times faster).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/fault/fault_plan.h"
#include "drivers/transport/protseq.h"
#include "harness/core/clock.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"
#include "harness/seams/capture_sink.h"

namespace rpcfit::fault {

enum class ProxyTransport : std::uint8_t { tcp, udp };

std::string_view proxy_transport_name(ProxyTransport transport);

struct ProxyOptions {
  Endpoint listen;  // port 0: any free port (listening() tells which)
  Endpoint upstream;
  ProxyTransport transport = ProxyTransport::tcp;
  std::vector<FaultSpec> faults;
  std::uint64_t seed = 0;
  // One plan for every conversation, instead of a plan per conversation from `faults` and
  // `seed`: a PDU's nth counts over the whole run, as in the in-process driver. Give `faults`
  // its specs too: start() checks those.
  std::shared_ptr<FaultPlan> shared_plan;
  // Streams over Unix sockets instead of TCP (rpcfit's ncacn_np and ncalrpc, whose endpoints
  // are socket files in a run directory): listen at `unix_listen`, connect to `unix_upstream`.
  // `upstream` is then the endpoint captures name the server by, `listen` what listening()
  // reports, and each client is named by transport's next synthesized client endpoint of
  // `unix_protseq`.
  // A blackholed TCP direction still passes its sender's end of stream on (the socket closes
  // though its bytes vanished), as the in-process fault decorators do; by default it does not,
  // as on a network that loses every packet.
  bool blackhole_keeps_close = false;
  std::filesystem::path unix_listen;
  std::filesystem::path unix_upstream;
  transport::Protseq unix_protseq = transport::Protseq::ncacn_np;
  const Clock* clock = nullptr;     // scenario time of delays; nullptr: default_clock()
  CaptureSink* capture = nullptr;   // nullptr: none; must outlive the proxy
  Duration udp_idle = seconds(60);  // a UDP mapping without traffic for this long is forgotten
  Duration connect_timeout = seconds(10);  // TCP: connecting upstream, scenario time
  // One line per conversation-level event (an upstream that could not be reached, a direction
  // that stopped framing); called from the proxy's threads, one call at a time.
  std::function<void(const std::string&)> log;
};

// Whether the faults apply to the transport: reorder does not on TCP, reset and slice do not on
// UDP; also validate() of each spec. The message names the fault and why.
Result<bool, std::string> check_faults(ProxyTransport transport,
                                       const std::vector<FaultSpec>& faults);

class Proxy {
 public:
  // Checks the faults, binds the listening socket and starts serving. Fails with a message for a
  // fault that does not apply or an address that cannot be listened on.
  static Result<std::unique_ptr<Proxy>, std::string> start(ProxyOptions options);

  virtual ~Proxy() = default;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // The address the proxy listens on, with the real port.
  virtual Endpoint listening() const = 0;
  // Stops accepting, ends every conversation (queued PDUs are lost) and joins the proxy's threads.
  // Idempotent; the counters stay readable.
  virtual void stop() = 0;
  // Waits (real time, up to `patience`) until the proxy has passed on, and teed, everything that
  // had reached it by the call: no bytes wait unread on its sockets and none read are still being
  // decided or due (a PDU a delay fault holds for later is not waited for). Whether it got there.
  // For an observer that must see what a peer sent before it said it had.
  virtual bool settle(std::chrono::milliseconds patience) = 0;

  const ProxyOptions& options() const { return options_; }
  std::uint64_t injected(FaultKind kind) const;
  // Every kind by name, zeros included, summed over the conversations.
  std::map<std::string, std::uint64_t> counters() const;
  // "latency=2 drop=1", kinds in enum order, zeros left out; "none" when nothing was injected.
  std::string describe_counters() const;
  std::uint64_t conversations() const;
  std::uint64_t upstream_failures() const;

 protected:
  explicit Proxy(ProxyOptions options);
  struct Conversation {
    std::uint64_t index = 0;  // from 0, in the order conversations began
    std::shared_ptr<FaultPlan> plan;
  };
  // The next conversation's index and plan, counted.
  Conversation next_conversation();
  void count_upstream_failure();
  void log(const std::string& line) const;

  const ProxyOptions options_;
  const Clock& clock_;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<FaultPlan>> plans_;
  std::uint64_t conversations_ = 0;
  std::uint64_t upstream_failures_ = 0;
  mutable std::mutex log_mu_;
};

}  // namespace rpcfit::fault
