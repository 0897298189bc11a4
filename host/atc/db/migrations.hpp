// The schema's history: each version has its up and down SQL, applied in ascending order and
// recorded in the `migrations` table so every web node agrees on where the database stands.
#pragma once

#include <string_view>
#include <vector>

namespace concourse::atc::db {

struct Migration {
  int version;
  std::string_view name;
  std::string_view up;
  std::string_view down;
};

// Ascending by version, starting at 1, without gaps.
const std::vector<Migration>& migrations();

}  // namespace concourse::atc::db
