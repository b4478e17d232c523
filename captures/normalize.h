// Normalizing a capture, so that two runs of one scenario (or a run and a capture recorded from
// another implementation) compare equal when they did the same thing:
//   - times become relative to an origin: the scenario's start for a run's capture; for a file,
//     0 when its timestamps are already relative (a normalized golden starts near the epoch),
//     else its first PDU;
//   - endpoints become conversations, numbered in order of appearance (a TCP connection, or a
//     datagram client and server), each with a direction: client to server or back; ephemeral
//     ports, addresses and TCP sequence numbers are gone;
//   - identifiers an implementation picks are renumbered in order of appearance, in the PDU's
//     own bytes: call_id and presentation context ids per conversation, assoc_group_id across
//     the capture (0 stays 0: it asks for a new group), activity UUIDs as 1, 2, ... in time_low,
//     a datagram server's boot time (0 stays 0: not yet known) and seqnums per activity; a
//     bind_ack's secondary address (the server's ephemeral endpoint) becomes "135" when it is a
//     port and "endpoint" when it is a name (an empty one stays empty);
//   - everything else is kept exactly: PDU order, types, flags, opnums, cancel_count, cancel_id,
//     fault and reject statuses, alloc_hint, stub lengths, interface and object UUIDs.
// The normalized form of a normalized capture is itself (what makes stored goldens comparable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "captures/capture_reader.h"
#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"
#include "harness/model/normalized_capture.h"

namespace rpcfit::captures {

using run::NormalizedCapture;
using run::NormalizedPdu;

struct NormalizeOptions {
  // The instant times count from; none: see above.
  std::optional<Timestamp> origin;
};

NormalizedCapture normalize(const CaptureContents& contents, const NormalizeOptions& options = {});

// Timestamps before this are taken as already relative (a normalized capture's).
inline constexpr Timestamp kRelativeBefore = std::chrono::hours(24 * 365);

}  // namespace rpcfit::captures
