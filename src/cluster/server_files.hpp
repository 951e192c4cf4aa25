// What starting any of the cluster's servers needs: its files rendered from a template, its directories given
// to the user it runs as, and a failed start undone.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel::cluster {

inline constexpr std::filesystem::perms kPrivateDir = std::filesystem::perms::owner_all;
inline constexpr std::filesystem::perms kPublicDir =
    std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
    std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
    std::filesystem::perms::others_exec;
inline constexpr std::filesystem::perms kPrivateFile =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

bool Root();
// The user a server runs as: itself when keel is not root (nobody to switch to then).
std::string ServerUser(const char* user);
// The template with every @TOKEN@ replaced by its value.
std::string Render(std::string_view text, const std::map<std::string, std::string>& values);
Result<void> MakeDir(const std::filesystem::path& path, std::filesystem::perms perms,
                     const std::string& owner);
Result<void> WriteFile(const std::filesystem::path& path, const std::string& content,
                       std::filesystem::perms perms, const std::string& owner);
// A server that started but never became ready (or whose set-up failed) is stopped again, so a failed `up`
// leaves nothing behind that `down` would not know about.
Result<pid_t> StartedOrStopped(pid_t pid, Result<void> outcome, int graceful, int hard);

}  // namespace keel::cluster
