// Private to the loader: the readers of each part of a scenario file, and what they note beside
// the model for the checks that span parts (the timeline), which need the locations of values the
// model does not keep.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/model/scenario.h"
#include "scenarios/yaml_reader.h"

namespace rpcfit::scenarios::detail {

// One step as written, parallel to Scenario::steps.
struct StepNote {
  bool kind_known = false;  // its one step key was found (otherwise Step::kind means nothing)
  bool valid = false;       // and its body is a mapping that was read
  std::string path;         // "steps[2].cancel"
  bool has_thread = false;
  run::SourceLoc thread_loc;
  bool has_handle = false;  // including `handle: null`
  run::SourceLoc handle_loc;
  run::SourceLoc call_loc;  // call: its `id` (the step when defaulted); async_cancel, wait: `call`
  std::optional<run::SourceLoc> at_loc;  // its `at`, when it was read
};

// One entry of expect.calls (or the expect.call shorthand), parallel to Expectations::calls.
struct CallExpectNote {
  std::string path;  // "expect.calls.c1", "expect.call"
  run::SourceLoc key_loc;
  bool shorthand = false;
  bool raises = false;
  run::SourceLoc raises_loc;
};

// An expected instant of the wire or the server, checked against the first call's start.
struct TimeNote {
  std::string path;  // "expect.wire[3].at"
  run::ExpectedTime time;
};

struct ExpectNotes {
  std::vector<CallExpectNote> calls;
  std::vector<TimeNote> times;
};

// Pairs of hex digits ("01 02 0a ff"; blanks between bytes allowed), or nullopt and the problem.
std::optional<Bytes> parse_hex(std::string_view text, std::string& problem);

void load_server(Reader& r, const YAML::Node& node, run::ServerSetup& out);
void load_client(Reader& r, const YAML::Node& node, run::ClientSetup& out);
void load_faults(Reader& r, const YAML::Node& node, std::vector<run::FaultEntry>& out);
void load_timing(Reader& r, const YAML::Node& node, run::Tolerance& out);

void load_steps(Reader& r, const YAML::Node& node, std::vector<run::Step>& out,
                std::vector<StepNote>& notes);
void load_expect(Reader& r, const YAML::Node& node, run::Expectations& out, ExpectNotes& notes);

// The checks across steps and expectations; resolves the expect.call shorthand's call id.
void check_timeline(Reader& r, run::Scenario& scenario, const std::vector<StepNote>& steps,
                    const ExpectNotes& expect);

}  // namespace rpcfit::scenarios::detail
