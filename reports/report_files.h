// Writing a run's reports into a folder: report.json, junit.xml, report.html and summary.md, as
// `rpcfit run` leaves them in its run folder and `rpcfit report merge` in its output folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "reports/report.h"

namespace rpcfit::reports {

inline constexpr const char* kReportFiles[] = {"report.json", "junit.xml", "report.html",
                                               "summary.md"};

// Writes the four files (the folder must exist); the first failure, naming the file, or nullopt.
std::optional<std::string> write_report_files(const std::filesystem::path& folder,
                                              const RunReport& report);

}  // namespace rpcfit::reports
