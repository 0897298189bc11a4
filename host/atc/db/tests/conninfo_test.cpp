#include <gtest/gtest.h>

#include "atc/db/database.hpp"
#include "atc/db/flags.hpp"
#include "atc/db/sql.hpp"

using concourse::atc::db::ConnParams;

TEST(ConnInfo, QuotesEveryValue) {
  ConnParams p;
  p.user = "atc";
  p.password = "it's a \\secret";
  p.database = "my db";
  std::string ci = p.conninfo();
  EXPECT_NE(ci.find("host='127.0.0.1'"), std::string::npos) << ci;
  EXPECT_NE(ci.find("port='5432'"), std::string::npos) << ci;
  EXPECT_NE(ci.find("password='it\\'s a \\\\secret'"), std::string::npos) << ci;
  EXPECT_NE(ci.find("dbname='my db'"), std::string::npos) << ci;
  EXPECT_NE(ci.find("sslmode='disable'"), std::string::npos) << ci;
}

TEST(ConnInfo, SocketWinsOverHost) {
  ConnParams p;
  p.host = "db.example";
  p.socket = "/run/pg";
  std::string ci = p.conninfo();
  EXPECT_NE(ci.find("host='/run/pg'"), std::string::npos) << ci;
  EXPECT_EQ(ci.find("db.example"), std::string::npos) << ci;
}

TEST(ConnInfo, OmitsEmptyValuesAndBoundsAttemptTimeout) {
  ConnParams p;
  p.connect_timeout = std::chrono::minutes(5);
  std::string ci = p.conninfo();
  EXPECT_EQ(ci.find("user="), std::string::npos) << ci;
  EXPECT_EQ(ci.find("password="), std::string::npos) << ci;
  EXPECT_NE(ci.find("connect_timeout='10'"), std::string::npos) << ci;
  p.connect_timeout = std::chrono::milliseconds(100);
  EXPECT_NE(p.conninfo().find("connect_timeout='2'"), std::string::npos);
}

TEST(SqlArray, QuotesAndEscapesElements) {
  using concourse::atc::db::sql::text_array;
  EXPECT_EQ(text_array({}), "{}");
  EXPECT_EQ(text_array({"a", "b c"}), "{\"a\",\"b c\"}");
  EXPECT_EQ(text_array({"x\"y", "back\\slash", "{,}"}), "{\"x\\\"y\",\"back\\\\slash\",\"{,}\"}");
}

namespace {

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args)
    out.push_back(a.data());
  return out;
}

}  // namespace

TEST(PostgresFlags, ParsesFlagsAndEnv) {
  ::setenv("CONCOURSE_POSTGRES_USER", "from-env", 1);
  concourse::core::FlagSet fs("migrate");
  concourse::atc::db::PostgresFlags f;
  concourse::atc::db::add_postgres_flags(fs, f);
  EXPECT_FALSE(f.given(fs));
  std::vector<std::string> args = {"migrate", "--postgres-port",
                                   "6543",    "--postgres-socket",
                                   "/tmp/s",  "--postgres-connect-timeout",
                                   "3s"};
  auto argv = argv_of(args);
  fs.parse(static_cast<int>(argv.size()), argv.data(), 1);
  ::unsetenv("CONCOURSE_POSTGRES_USER");
  EXPECT_TRUE(f.given(fs));
  auto p = f.finish();
  EXPECT_EQ(p.port, 6543);
  EXPECT_EQ(p.socket, "/tmp/s");
  EXPECT_EQ(p.user, "from-env");
  EXPECT_EQ(p.connect_timeout, std::chrono::seconds(3));
  EXPECT_EQ(p.database, "atc");
}

TEST(PostgresFlags, RejectsBadPortAndSslMode) {
  concourse::atc::db::PostgresFlags f;
  f.port = 70000;
  EXPECT_THROW(f.finish(), concourse::core::UsageError);
  f.port = 5432;
  f.params.sslmode = "sometimes";
  EXPECT_THROW(f.finish(), concourse::core::UsageError);
}
