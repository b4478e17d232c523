// The runtime: its options (clock, capture sink, run directory, platform profile), the client
// threads it knows, and the Win32 client-side cancel API (spec sections 1-3).
//
// Win32 names are kept so code reads as it would against rpcrt4: OpenThread, CloseHandle,
// RpcCancelThreadEx, RpcCancelThread, RpcMgmtSetCancelTimeout. Server-side calls (RpcTestCancel,
// RpcServerTestCancel) are in server.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "drivers/runtime/call_cancel.h"
#include "drivers/runtime/rpc.h"
#include "drivers/transport/datagram.h"
#include "drivers/transport/protseq.h"
#include "harness/core/clock.h"
#include "harness/core/random.h"
#include "harness/seams/capture_sink.h"
#include "harness/seams/datagram.h"
#include "harness/seams/transport.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

struct RuntimeOptions {
  Clock* clock = nullptr;          // default: the real clock at scale 1
  CaptureSink* capture = nullptr;  // every PDU this runtime's endpoints send or receive
  std::filesystem::path run_dir;   // Unix sockets; empty: transport::default_run_dir()
  bool legacy_platform = false;    // the MS-DOS / Windows 3.x client profile (CS-PLT-1)
  // The kind of queue ncadg_mq endpoints create (transport/datagram.h).
  transport::MqBackend mq_backend = transport::MqBackend::automatic;
  // Wraps every datagram socket the runtime's clients and servers open, e.g. a decorator that
  // loses, duplicates or reorders datagrams; empty: none.
  std::function<std::unique_ptr<DatagramSocket>(std::unique_ptr<DatagramSocket>)>
      datagram_decorator;
  // Wraps every stream connection the runtime's clients open (client_side true, right after the
  // connect) and its servers accept (client_side false, before the connection's thread starts),
  // e.g. a decorator that delays, drops or cuts PDUs (fault/stream_faults.h); empty: none.
  std::function<std::unique_ptr<StreamConnection>(std::unique_ptr<StreamConnection>,
                                                  bool client_side)>
      stream_decorator;
  // Seeds the runtime's random choices (the activity UUIDs of datagram calls), so that a run
  // replays with the same bytes on the wire; none: a fresh seed.
  std::optional<std::uint64_t> seed;
};

// The synchronous call in progress on a client thread, shared with cancelling threads.
struct CallControl;

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  Clock& clock() const { return *clock_; }
  const RuntimeOptions& options() const { return options_; }

  // The calling thread's id, registering the thread with this runtime.
  ThreadId GetCurrentThreadId();
  // A handle to a registered thread with `access` rights; 0 when `thread_id` names no thread of
  // this runtime.
  ThreadHandle OpenThread(std::uint32_t access, ThreadId thread_id);
  // Closes a handle; false for a null, unknown or already closed one.
  bool CloseHandle(ThreadHandle handle);

  // Spec section 2: the checks in order CS-ARG-1, CS-ACC-1, CS-PLT-1, CS-TMO-0, CS-NP-1, CS-PS-1;
  // otherwise posts the cancel (CS-OK-1) and returns at once (CS-RET-1).
  RpcStatus RpcCancelThreadEx(ThreadHandle thread, long timeout);
  // CS-MGMT-2: as RpcCancelThreadEx with the target thread's own cancel timeout.
  RpcStatus RpcCancelThread(ThreadHandle thread);
  // CS-MGMT-1: sets the calling thread's cancel timeout.
  RpcStatus RpcMgmtSetCancelTimeout(long timeout);

  // ---- for the client call path ----
  // Attaches a new call on `protseq` to the calling thread and hands it any cancel left pending
  // on the thread (CS-IDLE-1, CS-PEND-1).
  std::shared_ptr<CallControl> begin_call(transport::Protseq protseq);
  // Detaches the call; a cancel the server missed (CS-RES-3) stays pending on the thread.
  void end_call(const std::shared_ptr<CallControl>& call, bool leave_cancel_pending);
  // A new datagram activity's UUID, from the runtime's seeded generator.
  wire::Uuid new_activity_uuid();

 private:
  struct ClientThread;
  std::shared_ptr<ClientThread> current_thread();
  std::shared_ptr<ClientThread> thread_of(ThreadHandle handle, std::uint32_t& access);

  RuntimeOptions options_;
  Clock* clock_;
  // The threads that used this runtime; shared with those threads, which leave it when they exit
  // (a handle to an exited thread then names no thread of this runtime, CS-ARG-1).
  struct Threads {
    std::mutex mu;
    std::map<ThreadId, std::shared_ptr<ClientThread>> by_id;
  };
  std::shared_ptr<Threads> threads_ = std::make_shared<Threads>();
  std::mutex mu_;  // guards handles_ and next_handle_
  struct HandleEntry {
    ThreadId thread;
    std::uint32_t access;
  };
  std::map<ThreadHandle, HandleEntry> handles_;
  ThreadHandle next_handle_ = 1;
  std::mutex random_mu_;
  Random random_;  // guarded by random_mu_
};

}  // namespace rpcfit::rpc
