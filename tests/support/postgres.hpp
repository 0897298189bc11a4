// A throw-away PostgreSQL for tests: Debian's server binaries in a temp dir, fsync off, unix
// socket only. Each test takes a fresh empty database, so tests never see each other's rows.
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

  // One cluster per test binary, started on first use and stopped at exit.
  static TempPostgres& shared();

  // CREATE DATABASE test_<n>; the returned params connect to it.
  atc::db::ConnParams fresh_database();
  atc::db::EmbeddedPostgres& server() { return *server_; }

 private:
  TempDir dir_;
  std::unique_ptr<atc::db::EmbeddedPostgres> server_;
  int next_ = 0;
};

}  // namespace concourse::testing
