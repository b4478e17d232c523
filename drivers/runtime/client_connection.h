// One client connection of an association, bound to one interface.
#pragma once

#include <memory>

#include "harness/seams/transport.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

struct ClientConnection {
  std::unique_ptr<StreamConnection> io;
  wire::SyntaxId iface;
  std::uint16_t context_id = 0;
  std::uint16_t max_xmit = 0;  // longest fragment we may send (the server's max_recv_frag)
};

}  // namespace rpcfit::rpc
