#include "support/postgres.hpp"

#include <sys/stat.h>

namespace concourse::testing {

TempPostgres::TempPostgres() {
  // mkdtemp makes the dir 0700 for root; the server runs as `postgres` and must get in.
  ::chmod(dir_.path().c_str(), 0755);
  atc::db::EmbeddedPostgresOptions o;
  o.dir = dir_.path() + "/pg";
  o.fsync = false;
  o.database = "postgres_test";
  server_ = std::make_unique<atc::db::EmbeddedPostgres>(o, log::Logger("test-postgres"));
  server_->start();
}

TempPostgres::~TempPostgres() {
  server_->stop();
}

TempPostgres& TempPostgres::shared() {
  static TempPostgres instance;
  return instance;
}

atc::db::ConnParams TempPostgres::fresh_database() {
  std::string name = "test_" + std::to_string(++next_);
  server_->create_database(name);
  auto p = server_->conn_params();
  p.database = name;
  return p;
}

}  // namespace concourse::testing
