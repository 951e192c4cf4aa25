// The image2model.* keys: upload limits and quotas, result lifetime, and generation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "apps/image2model/relief_mesh.hpp"
#include "core/config.hpp"

namespace keel::image2model {

// The image2model.* keys, in documentation order.
ConfigSchema ConfigKeys();

struct Image2ModelOptions {
  std::uint64_t max_file_bytes = 20ull << 20;
  std::uint64_t max_pixels = 40'000'000;
  std::int64_t max_files_per_batch = 20;
  std::uint64_t daily_upload_bytes = 2048ull << 20;  // per user, per UTC day
  std::chrono::hours result_ttl{72};
  Quality default_quality = Quality::kStandard;
  int generation_attempts = 3;
  // Addresses webhooks may reach although they are loopback, private or link-local (CIDRs or addresses).
  std::vector<std::string> webhook_allow;
  // Whether image2model.remote_base_url names a provider (generator=remote is refused otherwise).
  bool remote_configured = false;
  // Testing only: the local generator pauses this long at each stage, so a test can watch or interrupt it.
  std::chrono::milliseconds debug_stage_delay{0};

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static Image2ModelOptions Read(const Config& config);
};

}  // namespace keel::image2model
