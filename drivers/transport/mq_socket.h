// ncadg_mq sockets behind open_datagram() and bind_datagram() (datagram.h).
//
// A message on either kind of queue is an envelope around one datagram:
//
//   [u8 kind 'M' | 'U'][u16 LE capture port of the sender][u8 n][n bytes reply address][datagram]
//
// The reply address is the sender's POSIX queue name (kind 'M') or socket path (kind 'U'). Every
// message fits kMqMessageSize, so the longest datagram is what is left after the envelope of the
// longest reply address; both kinds use the same limit, so a client and a server agree on it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "drivers/transport/datagram.h"

namespace rpcfit::transport::internal {

inline constexpr std::size_t kMqMessageSize = 4096;
inline constexpr std::size_t kMqMaxReplyAddress = 255;  // what the u8 length can name
inline constexpr std::size_t kMqEnvelopeOverhead = 4;   // kind, port, length
inline constexpr std::size_t kMqMaxDatagram =
    kMqMessageSize - kMqEnvelopeOverhead - kMqMaxReplyAddress;

// A client socket for the server queue `name`: its POSIX queue if one exists, else its socket in
// the run directory. The client's own queue is of the kind context.mq_backend asks for.
Result<DatagramClient, std::string> open_mq(const std::string& name,
                                            const DatagramContext& context);

// A server queue named `name` ("" or "0": a generated unique name).
Result<std::unique_ptr<DatagramSocket>, std::string> bind_mq(const std::string& name,
                                                             const DatagramContext& context);

}  // namespace rpcfit::transport::internal
