// Sample PDUs of every type, shared by the wire tests and benchmarks.
#pragma once

#include <vector>

#include "harness/wire/pdu.h"

namespace rpcfit::wire::testing {

// One CO PDU of each connection-oriented type, with non-trivial field values, in `order`.
std::vector<CoPdu> sample_co_pdus(ByteOrder order);
// One CL PDU of each connectionless type, in `order`.
std::vector<ClPdu> sample_cl_pdus(ByteOrder order);
Bytes hex(const char* text);

}  // namespace rpcfit::wire::testing
