// The identity module: builds the signing keys, hasher and IdentityService from config, adds the
// /api/v1/auth routes, and installs the pipeline's authenticator.
#pragma once

#include "core/result.hpp"

namespace keel {
class App;
}

namespace keel::auth {

Result<void> RegisterIdentity(App& app);

}  // namespace keel::auth
