// Answers for the console's files: the page never cached without asking (it names the current assets), the
// assets cached for a year (their names change with their content); gzip when the client takes it, 304 when
// its copy is current.
#pragma once

#include "console/console_assets.hpp"
#include "http/message.hpp"

namespace keel::console {

// The policy the page runs under: scripts, styles, images and fonts from Keel only, requests to Keel only; no
// workers, plugins, frames or foreign form targets. (Downloads are blob: URLs the page navigates to, which no
// directive here governs; the 3D viewer decodes textures without blob: URLs.)
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; worker-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

// The asset of `assets` at `path`, or null.
const Asset* FindAsset(std::span<const Asset> assets, std::string_view path);

// The response for `asset` to `request` (GET or HEAD).
http::Response ServeAsset(const Asset& asset, const http::Request& request);

}  // namespace keel::console
