// Reads a pcap or pcapng capture into the ordered DCE/RPC PDUs it carries: frame number (the frame
// holding the PDU's last byte, after TCP reassembly, as Wireshark numbers it), timestamp,
// endpoints, direction and the decoded PDU.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "captures/capture_error.h"
#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"
#include "harness/seams/capture_sink.h"
#include "harness/wire/error.h"
#include "harness/wire/pdu.h"

namespace rpcfit::captures {

enum class Direction : std::uint8_t { to_server, to_client, unknown };
const char* direction_name(Direction d);

struct ReadPdu {
  std::uint64_t frame = 0;
  Timestamp time{};
  TransportKind transport = TransportKind::tcp;
  Endpoint src;
  Endpoint dst;
  Direction direction = Direction::unknown;
  Bytes bytes;  // the PDU as on the wire
  // The decoded PDU, or why its bytes do not decode (its header framed it, its body is bad).
  std::variant<wire::Pdu, wire::Error> decoded;

  bool ok() const { return decoded.index() == 0; }
};

// Something worth telling about traffic that yields no PDU: an SMB-carried stream, an IP fragment,
// bytes that are not DCE/RPC where a PDU should start, a stream that ends inside a PDU.
struct ReadNote {
  std::uint64_t frame = 0;
  std::string text;
};

struct CaptureContents {
  std::vector<ReadPdu> pdus;  // ordered by frame, then by position within the frame
  std::vector<ReadNote> notes;
  std::uint64_t frames = 0;
  Timestamp first_time{};  // of frame 1, for times relative to the start
  // Set when the file is truncated or corrupt: what was read before the fault is kept above.
  std::optional<CaptureError> error;
};

struct ReaderLimits {
  std::size_t max_connections = 65536;      // TCP connections tracked at once
  std::size_t max_out_of_order = 4u << 20;  // bytes buffered per direction while a hole waits
  std::size_t max_notes = 1000;             // further notes are counted, not kept
};

// Which side sends a PDU of this type: true the client, false the server; nullopt when either
// may (fack, rts).
std::optional<bool> sent_by_client(wire::PType type);

CaptureContents read_capture_file(const std::string& path, const ReaderLimits& limits = {});
CaptureContents read_capture_memory(ByteView bytes, const std::string& name = "<memory>",
                                    const ReaderLimits& limits = {});

}  // namespace rpcfit::captures
