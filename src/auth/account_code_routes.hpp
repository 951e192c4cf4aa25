// Routes of the code-based account flows: POST /api/v1/auth/verify, /auth/otp/resend, /auth/password/forgot
// and /auth/password/reset.
#pragma once

#include "auth/account_codes.hpp"
#include "http/router.hpp"

namespace keel::auth {

void AddAccountCodeRoutes(http::Router& router, AccountCodes& codes);

}  // namespace keel::auth
