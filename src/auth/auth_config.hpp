// The auth section of the identity module: signing keys, token lifetimes, hashing and one-time codes.
#pragma once

#include "core/config.hpp"

namespace keel::auth {

// The auth.* keys, in documentation order.
ConfigSchema ConfigKeys();

}  // namespace keel::auth
