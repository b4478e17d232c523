// Where `rpcfit run` leaves a run when --out does not say: runs/<UTC time>-<seed>, with
// runs/latest pointing to the newest.
#pragma once

#include <cstdint>
#include <filesystem>

namespace rpcfit::cli {

// runs/<UTC time>-<seed> under `base`.
std::filesystem::path default_run_folder(const std::filesystem::path& base, std::uint64_t seed);
// Points <folder's parent>/latest at `folder` (a relative symbolic link); false when it cannot.
bool point_latest_at(const std::filesystem::path& folder);

}  // namespace rpcfit::cli
