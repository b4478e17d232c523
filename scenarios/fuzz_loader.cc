// libFuzzer: the scenario loader. Any input must load or be refused with located errors, never
// crash, hang or throw; a refused input must say why.
#include <cstdlib>
#include <string_view>

#include "scenarios/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto loaded = rpcfit::scenarios::load_scenario_text(text, "fuzz.yaml");
  if (!loaded.scenario && loaded.errors.empty()) std::abort();
  for (const auto& error : loaded.errors)
    (void)rpcfit::scenarios::to_string(error);
  return 0;
}
