// `keel users create`: operator-side account creation (the first admin).
#pragma once

#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include <boost/asio/io_context.hpp>

#include <string>

#include "app/app.hpp"

namespace keel::cli {

// Reads the password from $KEEL_USER_PASSWORD when set, else one line of standard input. Prints the account
// as JSON; returns the exit code (1 for invalid input or a taken e-mail).
// `io` runs the registration; it must outlive `app` (the database's threads answer into it until the App is
// destroyed).
int CreateUser(App& app, boost::asio::io_context& io, const std::string& email, const std::string& name,
               bool admin);

}  // namespace keel::cli
