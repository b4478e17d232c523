// The RuntimeDrivers `rpcfit run --driver NAME` can play scenarios through, by name. A new driver
// (a foreign runtime behind the agent protocol, ...) is one entry here; the runner does not change.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "harness/core/result.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::cli {

struct DriverEntry {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<run::RuntimeDriver> (*make)();
};

std::span<const DriverEntry> drivers();
// "inproc, ..." for messages and --help.
std::string driver_names();
// The driver called `name`, or a message listing the known ones.
Result<std::unique_ptr<run::RuntimeDriver>, std::string> make_driver(std::string_view name);

}  // namespace rpcfit::cli
