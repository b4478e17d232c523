// Connectionless PDUs as the runtime's client and server build them: replies that carry a call's
// identity, facks, cancels and their acks; and the random activity UUIDs of client calls.
#pragma once

#include <cstdint>

#include "harness/core/random.h"
#include "harness/wire/fragment.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

// A version 4 (random) UUID for a new activity, drawn from `random` (two draws).
wire::Uuid random_activity_uuid(Random& random);

// A PDU of `type` about the same call as `about`: object, interface, activity, boot time,
// version, seqnum and opnum copied; flags cleared; empty body.
wire::ClPdu about_call(const wire::ClPdu& about, wire::PType type);

// A fack for `fragment` (C706: sent for a fragment without NOFACK): fragnum = the highest
// fragment received in order, selack the ones beyond, the fragment's serial echoed.
wire::ClPdu make_fack(const wire::ClPdu& fragment, const wire::ClAcknowledgement& received,
                      std::uint16_t window);

// cl_cancel with cancel_id (CS-DG-1), and its cancel_ack: 9 bytes, as wire.md says to send.
wire::ClPdu make_cl_cancel(const wire::ClPdu& call, std::uint32_t cancel_id);
wire::ClPdu make_cancel_ack(const wire::ClPdu& cancel, std::uint32_t cancel_id, bool accepting);

// fault and reject with a status.
wire::ClPdu make_cl_status(const wire::ClPdu& call, wire::PType type, std::uint32_t status);

// The datagram body size for fragments on a socket that carries at most `max_datagram` bytes.
std::size_t dg_fragment_body(std::size_t max_datagram);

}  // namespace rpcfit::rpc
