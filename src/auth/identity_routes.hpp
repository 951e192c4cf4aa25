// The identity module: builds the signing keys, hasher and IdentityService from config, adds the
// /api/v1/auth routes, and installs the pipeline's authenticator.
#pragma once

#include "core/result.hpp"

namespace keel {
class App;
}

namespace keel::auth {

class IdentityService;

// Returns the service (owned by the App) for operator commands such as `keel users create`.
Result<IdentityService*> RegisterIdentity(App& app);

}  // namespace keel::auth
