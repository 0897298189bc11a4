// A throw-away PostgreSQL for tests: Debian's server binaries in a temp dir, fsync off, unix
// socket only. Each test takes a fresh empty database, so tests never see each other's rows.
// Under ctest the `postgres` fixture starts one cluster for the whole run (scripts/pg-harness.sh)
// and names its directory in CONCOURSE_TEST_PG_DIR: shared() then attaches to it instead of
// paying initdb (3-5 s) in every test process.
#pragma once

#include <memory>
#include <string>

#include "atc/db/database.hpp"
#include "atc/db/embedded_postgres.hpp"
#include "support/worker_process.hpp"

namespace concourse::testing {

class TempPostgres {
 public:
  TempPostgres();  // initdb + start; throws core::Error if the binaries are missing
  ~TempPostgres();
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;

  // The run's cluster (CONCOURSE_TEST_PG_DIR) or else one per process, started on first use
  // and stopped at exit.
  static TempPostgres& shared();

  // CREATE DATABASE test_<n>; the returned params connect to it.
  atc::db::ConnParams fresh_database();
  atc::db::EmbeddedPostgres& server() { return *server_; }

 private:
  struct Attach {};
  TempPostgres(Attach, const std::string& dir);

  TempDir dir_;
  bool owned_ = true;
  std::unique_ptr<atc::db::EmbeddedPostgres> server_;
  int next_ = 0;
};

}  // namespace concourse::testing
