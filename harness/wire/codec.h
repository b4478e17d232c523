// encode(pdu) -> bytes and decode(bytes) -> pdu or a typed error. Both byte orders decode; encode
// writes the order in the PDU's drep (little-endian by default).
#pragma once

#include "harness/core/result.h"
#include "harness/wire/error.h"
#include "harness/wire/pdu.h"

namespace rpcfit::wire {

Bytes encode(const CoPdu& pdu);
Bytes encode(const ClPdu& pdu);
Bytes encode(const Pdu& pdu);

// One CO fragment: `data` holds exactly frag_length bytes.
Result<CoPdu, Error> decode_co(ByteView data);
// One CL datagram.
Result<ClPdu, Error> decode_cl(ByteView data);
// Dispatches on rpc_vers (5: CO, 4: CL).
Result<Pdu, Error> decode(ByteView data);

// Checks a CO common header (first 16 bytes) the way a stream reader must before trusting it:
// version, minor version, ptype, drep and frag_length >= 16. Returns frag_length.
Result<std::size_t, Error> check_co_header(ByteView header);

// Whether the bytes plausibly start a PDU (the heuristics Wireshark applies on any port).
bool looks_like_co(ByteView data);
bool looks_like_cl(ByteView data);

}  // namespace rpcfit::wire
