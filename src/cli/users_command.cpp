// Running IdentityService::Register from the command line on a private io_context.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "cli/users_command.hpp"

#include <cstdlib>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "auth/identity_service.hpp"
#include "core/utf8.hpp"

namespace keel::cli {

int CreateUser(App& app, boost::asio::io_context& io, const std::string& email, const std::string& name,
               bool admin) {
  std::string password;
  if (const char* env = std::getenv("KEEL_USER_PASSWORD"); env != nullptr) {
    password = env;
  } else {
    std::getline(std::cin, password);
  }
  std::string normalized = auth::NormalizeEmail(email);
  auto length = Utf8Length(password);
  if (!auth::ValidEmail(normalized)) {
    std::cerr << "keel: --email is not a valid e-mail address\n";
    return 1;
  }
  if (!length || *length < 10 || *length > 256) {
    std::cerr << "keel: the password must be 10 to 256 characters\n";
    return 1;
  }
  std::optional<Result<auth::User>> created;
  boost::asio::co_spawn(
      io,
      [&]() -> Task<void> {
        created = co_await app.identity().Register(normalized, password, name.empty() ? normalized : name,
                                                   admin ? "admin" : "user", /*active=*/true);
      },
      boost::asio::detached);
  io.run();
  if (!created || !*created) {
    std::cerr << "keel: " << (created ? created->error().message : "account creation did not finish") << "\n";
    return 1;
  }
  std::cout << auth::UserJson(created->value()).dump() << "\n";
  return 0;
}

}  // namespace keel::cli
