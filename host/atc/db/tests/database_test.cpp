// The pool, migrations, transactions and locks against a real PostgreSQL.
#include <atomic>
#include <thread>

#include "atc/db/database.hpp"
#include "db_fixture.hpp"

namespace concourse::atc::db::testing {
namespace {

bool table_exists(Database& db, const std::string& name) {
  return !db.exec("SELECT to_regclass($1)", {name}).is_null(0, 0);
}

TEST_F(DbTest, OpenMigratesToLatest) {
  EXPECT_EQ(db_->current_version(), db_->latest_version());
  EXPECT_GE(db_->latest_version(), 2);
  for (const char* t : {"teams", "users", "tokens", "workers", "builds", "containers", "volumes"})
    EXPECT_TRUE(table_exists(*db_, t)) << t;
  EXPECT_EQ(db_->exec("SELECT name FROM teams").get(0, 0), "main");
}

TEST_F(DbTest, MigratesDownAndUpAgain) {
  db_->migrate_to(1);
  EXPECT_EQ(db_->current_version(), 1);
  EXPECT_TRUE(table_exists(*db_, "workers"));
  EXPECT_FALSE(table_exists(*db_, "workers_state_expires_idx"));
  db_->migrate_to(0);
  EXPECT_EQ(db_->current_version(), 0);
  EXPECT_FALSE(table_exists(*db_, "workers"));
  EXPECT_FALSE(table_exists(*db_, "teams"));
  db_->migrate_to(db_->latest_version());
  EXPECT_EQ(db_->current_version(), db_->latest_version());
  EXPECT_TRUE(table_exists(*db_, "workers_state_expires_idx"));
  EXPECT_EQ(db_->exec("SELECT count(*) FROM teams WHERE name = 'main'").get_int(0, 0), 1);
  EXPECT_EQ(db_->exec("SELECT count(*) FROM migrations").get_int(0, 0), db_->latest_version());
}

TEST_F(DbTest, RejectsUnknownVersions) {
  EXPECT_EQ(error_code([&] { db_->migrate_to(db_->latest_version() + 1); }), CC_E_INVALID);
  EXPECT_EQ(error_code([&] { db_->migrate_to(-1); }), CC_E_INVALID);
}

TEST_F(DbTest, RefusesSchemaNewerThanBuild) {
  db_->exec("INSERT INTO migrations (version, name) VALUES (999, 'from the future')");
  EXPECT_EQ(error_code([&] { Database::open(params_, log::Logger("t")); }), CC_E_UNSUPPORTED);
}

TEST(DbOpen, WithoutMigrateLeavesEmptySchema) {
  auto params = concourse::testing::TempPostgres::shared().fresh_database();
  auto db = Database::open(params, log::Logger("t"), false);
  EXPECT_EQ(db->current_version(), 0);
  EXPECT_FALSE(table_exists(*db, "teams"));
}

TEST_F(DbTest, UniqueViolationIsConflict) {
  EXPECT_EQ(error_code([&] { db_->exec("INSERT INTO teams (name) VALUES ($1)", {"main"}); }),
            CC_E_CONFLICT);
  EXPECT_EQ(error_code([&] { db_->exec("SELECT * FROM no_such_table"); }), CC_E_INTERNAL);
}

TEST_F(DbTest, ParametersAreNeverSql) {
  const std::string evil = "x'); DROP TABLE teams; --";
  db_->exec("INSERT INTO teams (name) VALUES ($1)", {evil});
  EXPECT_EQ(db_->exec("SELECT name FROM teams WHERE name = $1", {evil}).get(0, 0), evil);
  auto r = db_->exec("SELECT $1::text IS NULL", {std::nullopt});
  EXPECT_TRUE(r.get_bool(0, 0));
}

TEST_F(DbTest, TransactionRollsBackWhenFnThrows) {
  EXPECT_THROW(db_->transaction([](Connection& c) {
    c.exec("INSERT INTO teams (name) VALUES ('doomed')");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(db_->exec("SELECT count(*) FROM teams WHERE name = 'doomed'").get_int(0, 0), 0);
}

// A concurrent committed update of a row the serializable transaction read makes PostgreSQL
// fail the transaction's own update with 40001; the second attempt has no rival and commits.
TEST_F(DbTest, TransactionRetriesSerializationFailure) {
  db_->exec("CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)");
  db_->exec("INSERT INTO counter VALUES (1, 0)");
  int attempts = 0;
  db_->transaction(
      [&](Connection& c) {
        ++attempts;
        c.exec("SELECT v FROM counter WHERE id = 1");
        if (attempts == 1)
          std::thread([&] { db_->exec("UPDATE counter SET v = v + 1 WHERE id = 1"); }).join();
        c.exec("UPDATE counter SET v = v + 10 WHERE id = 1");
      },
      true);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(db_->exec("SELECT v FROM counter WHERE id = 1").get_int(0, 0), 11);
}

TEST_F(DbTest, TransactionGivesUpAfterRepeatedFailures) {
  db_->exec("CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)");
  db_->exec("INSERT INTO counter VALUES (1, 0)");
  int attempts = 0;
  int code = error_code([&] {
    db_->transaction(
        [&](Connection& c) {
          ++attempts;
          c.exec("SELECT v FROM counter WHERE id = 1");
          std::thread([&] { db_->exec("UPDATE counter SET v = v + 1 WHERE id = 1"); }).join();
          c.exec("UPDATE counter SET v = v + 10 WHERE id = 1");
        },
        true);
  });
  EXPECT_EQ(code, CC_E_TRY_AGAIN);
  EXPECT_GT(attempts, 2);
  EXPECT_EQ(db_->exec("SELECT v FROM counter WHERE id = 1").get_int(0, 0), attempts);
}

TEST_F(DbTest, AdvisoryLockIsExclusiveAcrossDatabases) {
  auto other = Database::open(params_, log::Logger("other-node"));
  bool inner_ran = false, outer_ran = false;
  EXPECT_TRUE(db_->with_advisory_lock(kLockWorkerCollector, [&] {
    outer_ran = true;
    EXPECT_FALSE(other->with_advisory_lock(kLockWorkerCollector, [&] { inner_ran = true; }));
    EXPECT_TRUE(other->with_advisory_lock(kLockVolumeCollector, [] {}));
  }));
  EXPECT_TRUE(outer_ran);
  EXPECT_FALSE(inner_ran);
  EXPECT_TRUE(other->with_advisory_lock(kLockWorkerCollector, [&] { inner_ran = true; }));
  EXPECT_TRUE(inner_ran);
  // A throwing fn still releases the lock.
  EXPECT_THROW(db_->with_advisory_lock(kLockWorkerCollector, [] { throw std::runtime_error("x"); }),
               std::runtime_error);
  EXPECT_TRUE(other->with_advisory_lock(kLockWorkerCollector, [] {}));
}

TEST(DbPool, BorrowWaitsThenTimesOut) {
  auto params = concourse::testing::TempPostgres::shared().fresh_database();
  params.max_connections = 2;
  params.pool_wait_timeout = std::chrono::milliseconds(200);
  auto db = Database::open(params, log::Logger("t"));
  int code = -1;
  db->with_advisory_lock(kLockContainerCollector, [&] {
    db->transaction([&](Connection&) { code = error_code([&] { db->exec("SELECT 1"); }); });
  });
  EXPECT_EQ(code, CC_E_UNAVAILABLE);
  EXPECT_EQ(db->exec("SELECT 1").get_int(0, 0), 1);
}

TEST(DbPool, ManyThreadsShareFewConnections) {
  auto params = concourse::testing::TempPostgres::shared().fresh_database();
  params.max_connections = 3;
  auto db = Database::open(params, log::Logger("t"));
  db->exec("CREATE TABLE hits (n int)");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 40; ++i) {
        try {
          db->exec("INSERT INTO hits VALUES ($1::int)", {std::to_string(i)});
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(db->exec("SELECT count(*) FROM hits").get_int(0, 0), 240);
  EXPECT_LE(db->exec("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                .get_int(0, 0),
            3);
}

TEST(DbOpen, GivesUpAfterConnectTimeout) {
  ConnParams p;
  p.socket = "/nonexistent-socket-dir";
  p.connect_timeout = std::chrono::milliseconds(600);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_code([&] { Database::open(p, log::Logger("t")); }), CC_E_UNAVAILABLE);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

// Its own cluster, because it stops and restarts the server.
TEST(DbConnectionLoss, UnavailableWhileDownThenRecovers) {
  concourse::testing::TempPostgres pg;
  auto params = pg.fresh_database();
  auto db = Database::open(params, log::Logger("t"));
  db->exec("CREATE TABLE t (n int)");
  EXPECT_EQ(db->exec("SELECT count(*) FROM t").get_int(0, 0), 0);
  pg.server().stop();
  EXPECT_EQ(error_code([&] { db->exec("SELECT count(*) FROM t"); }), CC_E_UNAVAILABLE);
  EXPECT_EQ(error_code([&] { db->transaction([](Connection& c) { c.exec("SELECT 1"); }); }),
            CC_E_UNAVAILABLE);
  // open() keeps retrying while the server is down and succeeds once it is back.
  std::unique_ptr<Database> late;
  std::thread opener([&] {
    auto p = params;
    p.connect_timeout = std::chrono::seconds(30);
    late = Database::open(p, log::Logger("late"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  pg.server().start();
  opener.join();
  ASSERT_TRUE(late);
  EXPECT_EQ(db->exec("SELECT count(*) FROM t").get_int(0, 0), 0);
  db->exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(late->exec("SELECT count(*) FROM t").get_int(0, 0), 1);
}

}  // namespace
}  // namespace concourse::atc::db::testing
