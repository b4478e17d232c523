// The reference server: rpcfit's own runtime serving the test interface (rpc::test_interface_id())
// with a scenario's server behaviours, and recording what each manager routine saw (ServerBook).
// It can be opened alone: against a client under test (a foreign runtime) it is the other side,
// and its own view of the wire is the evidence of what that client sent. The in-process driver
// opens it with the reference client (reference_client.h).
//
// It serves a routine for every opnum a call step of the scenario uses and every opnum of
// `server.ops`: that opnum's behaviour, else the scenario's `server.behaviour`; `server.deaf`
// makes its runtime cancel-deaf. It listens on the scenario's protocol sequence: TCP and UDP on
// 127.0.0.1 (any free port), Unix sockets and queues in the run directory.
//
// Lifetime: the server's threads hold the book and the recorder, never the ReferenceServer, so a
// routine that Server::stop abandoned may go on recording after it is gone.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drivers/inproc/server_book.h"
#include "drivers/inproc/wire_sink.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/server.h"
#include "drivers/server/behaviour.h"
#include "drivers/transport/protseq.h"
#include "harness/core/result.h"
#include "harness/model/scenario.h"

namespace rpcfit::inproc {

struct ReferenceServerSetup {
  const run::Scenario* scenario = nullptr;  // its server, protocol sequence and call steps
  Clock* clock = nullptr;
  std::filesystem::path run_dir;  // Unix sockets and queues
  // Keep the server's own view of the wire (wire()): for a client that is not rpcfit's.
  bool keep_wire = false;
  // With keep_wire: also tee the server's PDUs here (the run's capture), or null.
  CaptureSink* capture = nullptr;
  // Faults on what the server sends (RuntimeOptions): empty for none.
  decltype(rpc::RuntimeOptions::stream_decorator) stream_decorator;
  decltype(rpc::RuntimeOptions::datagram_decorator) datagram_decorator;
};

class ReferenceServer {
 public:
  // Listening; the error says what could not be done (a protocol sequence the runtime does not
  // speak, an endpoint that cannot be listened on).
  static Result<std::unique_ptr<ReferenceServer>, std::string> open(
      const ReferenceServerSetup& setup);
  ~ReferenceServer();  // stops the server if stop() was not called
  ReferenceServer(const ReferenceServer&) = delete;
  ReferenceServer& operator=(const ReferenceServer&) = delete;

  transport::Protseq protseq() const { return protseq_; }
  // The string binding a client reaches it at, e.g. "ncacn_ip_tcp:127.0.0.1[40123]".
  const std::string& binding() const { return binding_; }

  // What each routine invocation saw, in the order they started.
  std::vector<run::ServerCallRecord> calls() const { return book_->records(); }
  // Until `done(calls())` holds; false after `patience` (real time).
  bool wait_calls(const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done,
                  std::chrono::milliseconds patience) const;
  // The PDUs as the server saw them (out: sent by the client), with keep_wire; else empty.
  std::vector<run::WirePdu> wire() const;

  // Stops listening and ends the routines, abandoning those still running after `bound`
  // (scenario time): Server::stop. Returns how many were abandoned. Idempotent.
  std::size_t stop(Duration bound);

 private:
  ReferenceServer() = default;

  transport::Protseq protseq_ = transport::Protseq::ncacn_ip_tcp;
  std::string binding_;
  std::shared_ptr<WireSink> sink_;  // with keep_wire
  std::shared_ptr<ServerBook> book_;
  std::shared_ptr<server::EventRecorder> recorder_;
  // Declared before the server, so that the server goes first.
  std::unique_ptr<rpc::Runtime> runtime_;
  std::unique_ptr<rpc::Server> server_;
  bool stopped_ = false;
  std::size_t abandoned_ = 0;
};

}  // namespace rpcfit::inproc
