// Leases of the web nodes sharing the database: each node renews its row while it runs, so a
// node that died (no clean stop) is noticed by the others and its builds are not lost silently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

class WebNodes {
 public:
  explicit WebNodes(Database& db) : db_(db) {}
  void renew(const std::string& name, int64_t now);
  void remove(const std::string& name);
  // Deletes the leases not renewed since `before` (other than `self`) and returns their names;
  // each name is returned to exactly one caller across nodes.
  std::vector<std::string> expire(int64_t before, const std::string& self);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
