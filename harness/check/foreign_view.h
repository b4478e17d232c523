// The golden comparison when one side of the wire is a foreign runtime's (a client or server under
// test behind an agent): the goldens are rpcfit's own runtime's in both roles, recorded at its
// client. Against another runtime only what the rules constrain is judged, and only on the side
// that runtime sent:
//   judged      which PDUs, in which order, their type, call or activity numbering (normalized),
//               the flags, cancel counts, cancel ids, opnums and statuses, and their timing
//   information the reference peer's PDUs (they answer the runtime under test; not judged), and
//               what each implementation may choose: connection setup (bind, bind_ack,
//               alter_context and their answers), fragment and allocation sizes, presentation
//               contexts, association groups, stub bytes
// A difference only in information is shown, never a FAIL.
#pragma once

#include "harness/model/normalized_capture.h"
#include "harness/model/observation.h"

namespace rpcfit::run {

// The PDUs of `capture` that `side` sent, each reduced to what the rules constrain.
NormalizedCapture judged_view(const NormalizedCapture& capture, ForeignSide side);

}  // namespace rpcfit::run
