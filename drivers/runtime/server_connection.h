// One server connection: its thread reads PDUs, answers binds, reassembles requests and runs each
// call's manager routine; ServerCall reads from it while a routine runs.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/runtime/server_core.h"
#include "harness/wire/fragment.h"

namespace rpcfit::rpc {

class ServerConnection final : public ServerCallHost,
                               public ServerWorker,
                               public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(std::shared_ptr<Server::Core> core, std::unique_ptr<StreamConnection> io,
                   transport::Protseq protseq, std::string endpoint);
  ~ServerConnection();

  void run();                 // the connection thread
  void interrupt() override;  // from stop(): unblocks the thread's socket waits
  void abandon() override;  // from stop(): the routine runs on unobserved, its PDUs no longer teed

  // Reads what has arrived for the connection while `call` runs: its co_cancel and orphaned PDUs
  // update the call; other PDUs wait in the backlog. With a deadline, waits until a cancel for
  // the call arrives, the deadline passes or the server stops; without, never blocks and gives
  // way if another thread is reading.
  void read_during_call(ServerCall& call, const std::optional<Deadline>& wait) override;

  Server::Core& core() const override { return *core_; }
  transport::Protseq protseq() const override { return protseq_; }

 private:
  std::optional<wire::CoPdu> next_pdu();
  void read_locked(ServerCall& call, const std::optional<Deadline>& wait);  // read_mu_ held
  // Files a PDU read during a call; false when the bytes were not a valid PDU.
  bool route_during_call(const Bytes& bytes, ServerCall& call);
  void handle_bind(const wire::CoPdu& pdu);
  void handle_request(const wire::CoPdu& fragment);
  void execute(const wire::CoPdu& request);
  // `opnum` for the fault_sent event: 0 where the request is not whole yet.
  void send_fault(std::uint32_t call_id, std::uint32_t status, std::uint8_t flags,
                  std::uint8_t cancel_count, std::uint16_t opnum = 0);
  void send(const wire::CoPdu& whole);
  wire::CoPdu make_response(std::uint32_t call_id, std::uint16_t context_id, Bytes output,
                            std::uint8_t flags, std::uint8_t cancel_count) const;
  // ServerCrash: writes the first `after_bytes` bytes of `reply` and ends the connection.
  void crash(const wire::CoPdu& reply, std::size_t after_bytes);

  std::shared_ptr<Server::Core> core_;
  std::unique_ptr<StreamConnection> io_;
  const transport::Protseq protseq_;
  const std::string endpoint_;

  std::mutex read_mu_;  // one reader at a time: this thread, or a routine's cancel test
  std::deque<wire::CoPdu> backlog_;
  bool dead_ = false;  // the peer closed, reset or sent garbage; guarded by read_mu_
  // Events found while reading for a call, reported once read_mu_ is released (an observer may
  // itself test for a cancel); guarded by read_mu_.
  std::vector<ServerEventKind> found_;

  std::mutex io_mu_;  // orders interrupt() against the final close
  bool closed_ = false;

  // Connection thread only.
  wire::CoCallReassembler reassembler_;
  std::map<std::uint16_t, std::shared_ptr<const InterfaceRegistration>> contexts_;
  std::uint16_t max_xmit_ = 0;  // longest fragment we may send
  std::uint16_t max_recv_ = 0;  // longest fragment the client may send us
  struct Early {
    bool pending_on_first = false;
    int co_cancels = 0;
  };
  std::map<std::uint32_t, Early> early_;  // cancels for calls whose fragments are arriving
};

}  // namespace rpcfit::rpc
