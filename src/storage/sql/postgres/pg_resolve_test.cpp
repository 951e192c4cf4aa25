// Unit tests of ResolveHost: which connection strings need a lookup, and what libpq gets for a name (every
// address, each paired with the name). Only "localhost" is looked up: /etc/hosts, no network.
#include "storage/sql/postgres/pg_resolve.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "core/run_to_completion.hpp"

namespace keel::sql::pg {
namespace {

Result<ConnectKeywords> Resolve(const std::string& conninfo) {
  return RunToCompletion(ResolveHost(conninfo, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
}

TEST(PgResolve, NothingToResolveForAddressesSocketsListsOrAGivenHostaddr) {
  for (const char* conninfo :
       {"postgresql://127.0.0.1:6432/keel", "postgresql://[::1]:5432/keel",
        "host=/var/run/postgresql dbname=keel", "dbname=keel", "host=localhost,127.0.0.1 dbname=keel",
        "host=localhost hostaddr=127.0.0.1 dbname=keel", "not a connection string ="}) {
    auto keywords = Resolve(conninfo);
    ASSERT_TRUE(keywords.ok()) << conninfo << ": " << keywords.error().message;
    EXPECT_TRUE(keywords->empty()) << conninfo;
  }
}

TEST(PgResolve, ANameBecomesItsAddressesEachPairedWithTheName) {
  auto keywords = Resolve("postgresql://keel@localhost:6432/keel");
  ASSERT_TRUE(keywords.ok()) << keywords.error().message;
  ASSERT_EQ(keywords->size(), 2U);
  EXPECT_EQ((*keywords)[0].first, "host");
  EXPECT_EQ((*keywords)[1].first, "hostaddr");
  const std::string& hosts = (*keywords)[0].second;
  const std::string& addresses = (*keywords)[1].second;
  EXPECT_TRUE(addresses.find("127.0.0.1") != std::string::npos || addresses.find("::1") != std::string::npos)
      << addresses;
  auto count = [](const std::string& list) { return std::count(list.begin(), list.end(), ',') + 1; };
  EXPECT_EQ(count(hosts), count(addresses));  // libpq pairs them one to one
  EXPECT_EQ(hosts.substr(0, 9), "localhost");
}

}  // namespace
}  // namespace keel::sql::pg
