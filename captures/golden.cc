#include "captures/golden.h"

#include <algorithm>
#include <map>

#include "captures/pcap_writer.h"

namespace rpcfit::captures {
namespace {

constexpr std::uint16_t kServerPort = 135;
constexpr std::uint16_t kFirstClientPort = 49152;

Endpoint client_of(unsigned conversation) {
  return Endpoint{IpAddress::v4(127, 0, 0, 1),
                  static_cast<std::uint16_t>(kFirstClientPort + conversation - 1)};
}
Endpoint server_endpoint() {
  return Endpoint{IpAddress::v4(127, 0, 0, 2), kServerPort};
}

}  // namespace

Result<bool, CaptureError> write_normalized(const std::string& path,
                                            const NormalizedCapture& capture) {
  auto opened = PcapWriter::open(path);
  if (!opened) return unexpected(opened.error());
  PcapWriter& writer = **opened;
  std::map<unsigned, bool> connected;
  for (const NormalizedPdu& pdu : capture.pdus) {
    const Timestamp at = std::max(pdu.at, Timestamp{0});
    const Endpoint client = client_of(pdu.conversation);
    if (pdu.transport == TransportKind::tcp && !connected[pdu.conversation]) {
      writer.connection_opened(at, client, server_endpoint());
      connected[pdu.conversation] = true;
    }
    CapturedPdu out;
    out.time = at;
    out.transport = pdu.transport;
    out.src = pdu.to_server ? client : server_endpoint();
    out.dst = pdu.to_server ? server_endpoint() : client;
    out.bytes = pdu.bytes;
    writer.pdu(out);
  }
  return writer.close();
}

}  // namespace rpcfit::captures
