// A client activity of the connectionless protocol: one socket to the server, an activity UUID,
// and the sequence number of its next call. One call at a time runs on an activity; a binding
// keeps idle ones for later calls and drops one whose call ended uncertainly (orphaned, failed),
// so a late reply to that call can never be taken for the next one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "harness/seams/datagram.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

struct DgActivity {
  std::unique_ptr<DatagramSocket> socket;
  DatagramPeer server;
  wire::Uuid id;
  std::uint32_t seqnum = 0;       // of the next call
  std::uint32_t server_boot = 0;  // learned from the server's first reply
  // The ack of the last call's one-datagram reply, not sent yet: the next call's request
  // acknowledges it (C706: a higher sequence number on the activity), or close() sends it.
  std::optional<wire::ClPdu> owed_ack;

  void close();  // sends the owed ack, then closes the socket
};

}  // namespace rpcfit::rpc
