// Each test gets a fresh database on the binary's shared throw-away cluster, migrated to latest.
#pragma once

#include <concourse/status.h>
#include <gtest/gtest.h>

#include <memory>

#include "atc/db/database.hpp"
#include "core/error.hpp"
#include "support/postgres.hpp"

namespace concourse::atc::db::testing {

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    params_ = concourse::testing::TempPostgres::shared().fresh_database();
    db_ = Database::open(params_, log::Logger("db-test"));
  }

  ConnParams params_;
  std::unique_ptr<Database> db_;
};

// The code of the core::Error that fn throws, or -1 when it throws none.
template <typename Fn>
int error_code(Fn&& fn) {
  try {
    fn();
  } catch (const core::Error& e) {
    return e.code();
  }
  return -1;
}

}  // namespace concourse::atc::db::testing
