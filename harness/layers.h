// The floor plan of the tree as data, and the check that every #include keeps to it (what the
// structure test runs over the sources; harness/README.md explains the plan):
//   harness/    floors, bottom up: core, wire, fault, model, seams, check, run, cli; a floor
//               includes only the floors below it, and cli, the roof, includes anything
//   captures/, scenarios/, reports/, drivers/
//               each includes itself and the floors of harness/ up to check (never the runner or
//               the CLI), and no other of these modules
//   drivers/    parts, bottom up: transport, runtime, server, fault, inproc, agent; a part
//               includes only the parts below it (drivers/fault/proxy is part of fault)
//   <pcap.h>    only captures/ includes libpcap
// A file in a folder the plan does not name is a violation too, so a new folder is placed in it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rpcfit::layers {

struct Include {
  std::string file;  // the including file, relative to the source root ("harness/run/runner.cc")
  std::size_t line = 0;
  std::string target;  // as written: "harness/model/scenario.h", or "<pcap.h>"
};

struct Violation {
  Include include;
  std::string reason;
};
// "harness/core/bytes.cc:7: #include "harness/wire/pdu.h": harness/core may include only ..."
std::string to_string(const Violation& violation);

// The unit a file belongs to: "harness/run", "drivers/fault", "captures", "harness" (a file at
// the top of harness/); empty for a file outside the plan's folders.
std::string unit_of(std::string_view file);

// The violations among `includes` (targets outside the project's folders are not its business,
// system headers aside).
std::vector<Violation> check(const std::vector<Include>& includes);

// Every #include of the .h and .cc files under the plan's folders below `root`.
std::vector<Include> scan(const std::string& root);

}  // namespace rpcfit::layers
