// The sequence diagram of one scenario as inline SVG: the PDUs its client sent and received
// between a "client" and a "server" lifeline, with the server's events, the ends of the client
// calls and the cancel steps as marks on the lifelines. Rows are in time order and evenly spaced
// (not to scale) so that PDUs a few microseconds apart stay readable next to a one-second
// timeout; the scenario time of each row is written in the left margin, and a long pause between
// two rows is drawn as a break.
#pragma once

#include <string>

#include "reports/report.h"

namespace rpcfit::reports {

// A self-contained <svg> element (760 wide, as high as its rows need; it scales down with CSS),
// every text escaped for XML. Without any PDU: a small SVG saying "no PDUs".
std::string sequence_svg(const ScenarioResult& s);

}  // namespace rpcfit::reports
