#include "harness/cli/drivers.h"

#include <array>

#include "drivers/inproc/inproc_driver.h"

namespace rpcfit::cli {
namespace {

std::unique_ptr<run::RuntimeDriver> make_inproc() {
  return std::make_unique<inproc::InprocDriver>();
}

constexpr std::array kDrivers{
    DriverEntry{"inproc",
                "rpcfit's own runtime in this process: the reference client against the "
                "reference server",
                &make_inproc},
};

}  // namespace

std::span<const DriverEntry> drivers() {
  return kDrivers;
}

std::string driver_names() {
  std::string names;
  for (const DriverEntry& d : kDrivers)
    names += (names.empty() ? "" : ", ") + std::string(d.name);
  return names;
}

Result<std::unique_ptr<run::RuntimeDriver>, std::string> make_driver(std::string_view name) {
  for (const DriverEntry& d : kDrivers) {
    if (d.name == name) return d.make();
  }
  return unexpected("--driver: no driver \"" + std::string(name) + "\" (known: " + driver_names() +
                    ")");
}

}  // namespace rpcfit::cli
