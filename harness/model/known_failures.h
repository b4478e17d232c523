// Known failures of a target (`rpcfit run --known-failures FILE`), as Samba's knownfail files:
// what a runtime under test is known to break, so that a green run still says what is broken
// and a fix shows up as XPASS. One entry per line, `#` starting a comment:
//
//   cancel/co/returns-promptly   no co_cancel yet (bug 123)
//   matrix/ncadg_ip_udp/*        datagram cancels are not implemented
//   CS-TMO-2                     the cancel timeout is ignored
//
// The first word is a scenario id, a glob of ids (fnmatch: `*` crosses `/`), or a rule id; the
// rest of the line, which must be there, is the reason. A scenario entry turns the scenario's
// FAIL into XFAIL and its PASS into XPASS (fixed: take the entry out). A rule entry turns a FAIL
// whose every broken rule is listed into XFAIL; a PASS says nothing about a rule, so it never
// makes an XPASS. ERROR and SKIP stay as they are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/core/result.h"
#include "harness/model/scenario_run.h"

namespace rpcfit::run {

struct KnownFailure {
  std::string pattern;  // a scenario id or glob, or a rule id
  bool rule = false;
  std::string reason;
  SourceLoc loc;
};

struct KnownFailures {
  std::vector<KnownFailure> entries;
};

// The entries of a known-failures file's `text`; the error names the line ("known.txt:3: ...").
Result<KnownFailures, std::string> parse_known_failures(std::string_view text,
                                                        const std::string& file);
Result<KnownFailures, std::string> read_known_failures(const std::string& path);

// `run` (judged) with the known failures applied.
void apply_known_failures(const KnownFailures& known, ScenarioRun& run);

}  // namespace rpcfit::run
