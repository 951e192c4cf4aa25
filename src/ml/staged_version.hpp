// A new version of a registry model being written: a staging directory beside the versions, renamed into
// place in one step when complete (a registry watching the directory never sees half a version), then
// announced on the change feed. Destroyed unpublished, it leaves nothing behind.
//
// Thread safety: one owner.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace keel::ml {

class StagedVersion {
 public:
  // A fresh version name ("20261125T201500Z", sorted in time order) for `name` under `model_dir`, and its
  // empty staging directory.
  static Result<StagedVersion> Create(const std::filesystem::path& model_dir, const std::string& name);
  ~StagedVersion();
  StagedVersion(StagedVersion&& other) noexcept;
  StagedVersion& operator=(StagedVersion&&) = delete;

  // Where the version's files go before Publish.
  const std::filesystem::path& staging() const { return staging_; }
  const std::string& version() const { return version_; }

  // Renames the staging directory to the version's and announces it; returns the version's directory.
  Result<std::filesystem::path> Publish();

 private:
  StagedVersion(std::filesystem::path model_dir, std::string name, std::string version,
                std::filesystem::path staging)
      : model_dir_(std::move(model_dir)),
        name_(std::move(name)),
        version_(std::move(version)),
        staging_(std::move(staging)) {}

  std::filesystem::path model_dir_;
  std::string name_;
  std::string version_;
  std::filesystem::path staging_;  // empty once published or moved from
};

// The SHA-256 of a file's bytes, hex; provenance in meta.json.
std::string Sha256OfFile(const std::filesystem::path& path);

}  // namespace keel::ml
