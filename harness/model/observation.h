// What one run of a scenario observed: the steps as they ran, how each call ended, the server's
// calls with their events, and the client's view of the wire. The runner fills it; the checks
// (checks.h) compare it with the scenario's expectations. Times are scenario time since the
// scenario's start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/endpoint.h"
#include "harness/core/status.h"
#include "harness/model/scenario.h"
#include "harness/model/server_behaviour.h"

namespace rpcfit::run {

struct StepRecord {
  std::size_t step = 0;  // index into Scenario::steps
  bool ran = false;
  bool pending = false;  // an API step that began and had not returned when observed
  Duration began{};
  Duration ended{};                   // when the API returned (API steps and set_cancel_timeout)
  std::optional<RpcStatus> returned;  // cancel, cancel_thread, async_cancel, set_cancel_timeout
  std::optional<bool> handle_ok;      // open_thread (non-null handle), close_handle
};

struct CallRecord {
  std::string id;
  bool async = false;
  bool started = false;
  Duration started_at{};
  bool ended = false;
  Duration ended_at{};
  bool returned = false;  // sync: returned rather than raised; async: completed with RPC_S_OK
  RpcStatus status = status::kOk;
  Bytes output;        // what the call returned
  std::string detail;  // the exception's text
};

struct ServerCallRecord {
  std::uint32_t call_id = 0;  // call_id (CO) or seqnum (datagram)
  std::uint16_t opnum = 0;
  std::vector<server::BehaviourEvent> events;  // in order
  std::optional<ServerResult> result;
  std::uint32_t fault_status = 0;  // with result fault
};

// One PDU the client sent (out) or received.
struct WirePdu {
  Duration at{};
  bool out = true;
  TransportKind transport = TransportKind::tcp;
  Bytes bytes;
};

// Which side of the wire a runtime under test sent, when it is not rpcfit's own: its PDUs are
// judged against the golden on what the rules constrain, the reference peer's shown as
// information (harness/check/foreign_view.h). none: rpcfit's runtime played both sides.
enum class ForeignSide : std::uint8_t { none, client, server };

struct Observation {
  std::vector<StepRecord> steps;
  std::vector<CallRecord> calls;
  std::vector<ServerCallRecord> server_calls;  // in the order the server started them
  std::vector<WirePdu> wire;
  std::uint64_t fault_seed = 0;
  std::string faults_injected;  // "drop=1 latency=4", empty for none
  Duration ended_at{};          // when the scenario's observation closed
  ForeignSide foreign = ForeignSide::none;
  // The wall-clock stamp of the scenario's start, as the run's clock gives captures their times:
  // a capture's PDU at stamp t happened at scenario time t - capture_origin.
  Timestamp capture_origin{};
};

}  // namespace rpcfit::run
