#include "reports/report_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>

#include "reports/html.h"
#include "reports/junit.h"
#include "reports/markdown.h"
#include "reports/report_json.h"

namespace rpcfit::reports {

std::optional<std::string> write_report_files(const std::filesystem::path& folder,
                                              const RunReport& report) {
  const std::pair<const char*, std::function<std::string(const RunReport&)>> files[] = {
      {"report.json", to_json_text},
      {"junit.xml", junit_xml},
      {"report.html", html_report},
      {"summary.md", markdown_summary},
  };
  for (const auto& [name, render] : files) {
    const std::filesystem::path path = folder / name;
    // Written beside, then renamed: a reader never sees half a report.
    const std::filesystem::path partial = folder / (std::string(".") + name + ".partial");
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      out << render(report);
      out.flush();
      if (!out) return path.string() + ": cannot write: " + std::strerror(errno);
    }
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec) return path.string() + ": cannot write: " + ec.message();
  }
  return std::nullopt;
}

}  // namespace rpcfit::reports
