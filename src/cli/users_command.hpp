// `keel users create`: operator-side account creation (the first admin).
#pragma once

#include <string>

#include "core/app.hpp"

namespace keel::cli {

// Reads the password from $KEEL_USER_PASSWORD when set, else one line of standard input. Prints the account
// as JSON; returns the exit code (1 for invalid input or a taken e-mail).
int CreateUser(App& app, const std::string& email, const std::string& name, bool admin);

}  // namespace keel::cli
