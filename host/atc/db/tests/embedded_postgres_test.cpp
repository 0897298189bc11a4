// The embedded cluster quickstart relies on: restarts on an existing data dir, clear failures.
#include "atc/db/embedded_postgres.hpp"

#include <sys/stat.h>

#include "atc/db/teams.hpp"
#include "db_fixture.hpp"

namespace concourse::atc::db::testing {
namespace {

EmbeddedPostgresOptions options_in(const concourse::testing::TempDir& dir) {
  ::chmod(dir.path().c_str(), 0755);  // the server's user must reach it when we are root
  EmbeddedPostgresOptions o;
  o.dir = dir.path() + "/pg";
  return o;  // fsync on, as quickstart runs it
}

TEST(EmbeddedPostgres, RestartsOnExistingDataDir) {
  concourse::testing::TempDir dir;
  {
    EmbeddedPostgres pg(options_in(dir), log::Logger("pg"));
    pg.start();
    EXPECT_TRUE(pg.running());
    auto db = Database::open(pg.conn_params(), log::Logger("t"));
    Teams(*db).save("kept", {"alice"});
  }  // destructor stops the server
  EmbeddedPostgres again(options_in(dir), log::Logger("pg"));
  again.start();
  auto db = Database::open(again.conn_params(), log::Logger("t"));
  auto team = Teams(*db).get("kept");
  ASSERT_TRUE(team);
  EXPECT_EQ(team->local_users, std::vector<std::string>{"alice"});
  again.stop();
  EXPECT_FALSE(again.running());
  again.stop();  // idempotent
}

TEST(EmbeddedPostgres, ListensOnlyOnItsSocket) {
  auto& pg = concourse::testing::TempPostgres::shared().server();
  auto db = Database::open(pg.conn_params(), log::Logger("t"), false);
  EXPECT_EQ(db->exec("SHOW listen_addresses").get(0, 0), "");
  EXPECT_EQ(db->exec("SHOW fsync").get(0, 0), "off");
  EXPECT_EQ(db->exec("SELECT current_user").get(0, 0), "concourse");
}

TEST(EmbeddedPostgres, MissingBinariesFailClearly) {
  concourse::testing::TempDir dir;
  auto o = options_in(dir);
  o.bin_dir = dir.path() + "/no-such-bin";
  EmbeddedPostgres pg(o, log::Logger("pg"));
  try {
    pg.start();
    FAIL() << "started without binaries";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("initdb"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(pg.running());
}

TEST(EmbeddedPostgres, RejectsBadDatabaseNames) {
  auto& pg = concourse::testing::TempPostgres::shared().server();
  EXPECT_EQ(error_code([&] { pg.create_database("x; DROP DATABASE postgres"); }), CC_E_INVALID);
}

}  // namespace
}  // namespace concourse::atc::db::testing
