#include "support/postgres.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

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

// The cluster belongs to the fixture: options as scripts/pg-harness.sh starts it.
TempPostgres::TempPostgres(Attach, const std::string& dir) : owned_(false) {
  atc::db::EmbeddedPostgresOptions o;
  o.dir = dir;
  o.database = "atc";
  server_ = std::make_unique<atc::db::EmbeddedPostgres>(o, log::Logger("test-postgres"));
}

TempPostgres::~TempPostgres() {
  if (owned_)
    server_->stop();
}

TempPostgres& TempPostgres::shared() {
  if (const char* dir = std::getenv("CONCOURSE_TEST_PG_DIR"); dir != nullptr && *dir != '\0') {
    static TempPostgres attached(Attach{}, dir);
    return attached;
  }
  static TempPostgres instance;
  return instance;
}

atc::db::ConnParams TempPostgres::fresh_database() {
  // The pid keeps names apart when many test processes share the fixture's cluster, which
  // starts empty on every run.
  std::string name = "test_" + std::to_string(::getpid()) + "_" + std::to_string(++next_);
  server_->create_database(name);
  auto p = server_->conn_params();
  p.database = name;
  return p;
}

}  // namespace concourse::testing
