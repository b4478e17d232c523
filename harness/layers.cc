#include "harness/layers.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

namespace rpcfit::layers {
namespace {

namespace fs = std::filesystem;

// Bottom up.
constexpr std::array<std::string_view, 8> kFloors{"harness/core",  "harness/wire",  "harness/fault",
                                                  "harness/model", "harness/seams", "harness/check",
                                                  "harness/run",   "harness/cli"};
constexpr std::string_view kRoof = "harness/cli";
// The highest floor the modules beside harness/ may include.
constexpr std::string_view kModulesReach = "harness/check";
// Bottom up.
constexpr std::array<std::string_view, 6> kDriverParts{"drivers/transport", "drivers/runtime",
                                                       "drivers/server",    "drivers/fault",
                                                       "drivers/inproc",    "drivers/agent"};
constexpr std::array<std::string_view, 4> kModules{"captures", "scenarios", "reports", "drivers"};
// The top-level folders whose files are the project's.
constexpr std::array<std::string_view, 5> kTopFolders{"harness", "captures", "scenarios", "reports",
                                                      "drivers"};

template <std::size_t N>
std::optional<std::size_t> rank_in(const std::array<std::string_view, N>& order,
                                   std::string_view unit) {
  const auto it = std::find(order.begin(), order.end(), unit);
  if (it == order.end()) return std::nullopt;
  return static_cast<std::size_t>(it - order.begin());
}

std::string module_of(std::string_view unit) {
  return std::string(unit.substr(0, unit.find('/')));
}

template <std::size_t N>
std::string below(const std::array<std::string_view, N>& order, std::size_t rank) {
  std::string text;
  for (std::size_t i = 0; i < rank; ++i)
    text += (text.empty() ? "" : ", ") + std::string(order[i]);
  return text.empty() ? "nothing of the tree" : text;
}

// Why `from` may not include `to`, or nullopt when it may.
std::optional<std::string> refuse(std::string_view from, std::string_view to) {
  if (from == to || from == kRoof || from == "harness") return std::nullopt;
  const auto floor_to = rank_in(kFloors, to);
  if (const auto floor_from = rank_in(kFloors, from)) {
    if (floor_to && *floor_to < *floor_from) return std::nullopt;
    return std::string(from) +
           " may include only the floors below it: " + below(kFloors, *floor_from);
  }
  const std::string module = module_of(from);
  if (std::find(kModules.begin(), kModules.end(), module) == kModules.end()) {
    return std::string(from) + " is in no layer of the plan (harness/layers.cc)";
  }
  if (floor_to && *floor_to <= *rank_in(kFloors, kModulesReach)) return std::nullopt;
  if (module == "drivers") {
    const auto part_from = rank_in(kDriverParts, from);
    if (!part_from) return std::string(from) + " is in no part of drivers/ (harness/layers.cc)";
    const auto part_to = rank_in(kDriverParts, to);
    if (part_to && *part_to < *part_from) return std::nullopt;
  }
  std::string allowed =
      std::string(from) + " may include itself and harness/ up to " + std::string(kModulesReach);
  if (module == "drivers") {
    allowed += ", and the parts of drivers/ below it: " +
               below(kDriverParts, *rank_in(kDriverParts, from));
  }
  return allowed;
}

}  // namespace

std::string to_string(const Violation& v) {
  return v.include.file + ":" + std::to_string(v.include.line) + ": #include " +
         (v.include.target.front() == '<' ? v.include.target : "\"" + v.include.target + "\"") +
         ": " + v.reason;
}

std::string unit_of(std::string_view file) {
  const std::size_t first = file.find('/');
  if (first == std::string_view::npos) return "";
  const std::string_view top = file.substr(0, first);
  if (std::find(kTopFolders.begin(), kTopFolders.end(), top) == kTopFolders.end()) return "";
  if (top != "harness" && top != "drivers") return std::string(top);
  const std::size_t second = file.find('/', first + 1);
  if (second == std::string_view::npos) return std::string(top);  // a file at its top
  return std::string(file.substr(0, second));
}

std::vector<Violation> check(const std::vector<Include>& includes) {
  std::vector<Violation> found;
  for (const Include& inc : includes) {
    const std::string from = unit_of(inc.file);
    if (from.empty()) {
      found.push_back({inc, inc.file + " is outside the plan's folders"});
      continue;
    }
    if (!inc.target.empty() && inc.target.front() == '<') {
      const bool pcap = inc.target == "<pcap.h>" || inc.target.rfind("<pcap/", 0) == 0;
      if (pcap && from != "captures") {
        found.push_back({inc, "only captures/ includes libpcap"});
      }
      continue;
    }
    const std::string to = unit_of(inc.target);
    if (to.empty()) continue;  // not the project's
    if (auto reason = refuse(from, to)) found.push_back({inc, *reason});
  }
  return found;
}

std::vector<Include> scan(const std::string& root) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*(["<][^">]+[">]))");
  std::vector<Include> out;
  for (const std::string_view top : kTopFolders) {
    const fs::path dir = fs::path(root) / top;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      const std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cc") continue;
      std::ifstream in(entry.path());
      std::string text;
      std::size_t line = 0;
      const std::string file = entry.path().lexically_relative(root).generic_string();
      while (std::getline(in, text)) {
        ++line;
        std::smatch m;
        if (!std::regex_search(text, m, kInclude)) continue;
        std::string target = m[1].str();
        if (target.front() == '"') target = target.substr(1, target.size() - 2);
        out.push_back({file, line, target});
      }
    }
  }
  return out;
}

}  // namespace rpcfit::layers
