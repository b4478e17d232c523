#include "harness/cli/run_folder.h"

#include <ctime>
#include <string>

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

fs::path default_run_folder(const fs::path& base, std::uint64_t seed) {
  return base / (utc_stamp() + "-" + std::to_string(seed));
}

bool point_latest_at(const fs::path& folder) {
  const fs::path latest = folder.parent_path() / "latest";
  std::error_code ec;
  if (fs::is_symlink(latest, ec) || fs::exists(latest, ec)) fs::remove(latest, ec);
  fs::create_directory_symlink(folder.filename(), latest, ec);
  return !ec;
}

}  // namespace rpcfit::cli
