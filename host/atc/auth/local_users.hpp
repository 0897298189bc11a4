// Concourse's local users: `--add-local-user USER:PASS` and `--main-team-local-user USER`.
#pragma once

#include <string>
#include <vector>

#include "atc/db/database.hpp"
#include "core/log.hpp"

namespace concourse::atc::auth {

struct LocalUser {
  std::string name;
  std::string password;
};

// Splits "USER:PASS" at the first ':' (passwords may contain ':'); throws core::UsageError.
LocalUser parse_local_user(const std::string& spec);

// Saves every user (replacing stored passwords) and makes the main team exist, adding
// main_team_users to its owners without dropping owners configured through the API. A main-team
// user not declared with --add-local-user is only warned about: an earlier start may have saved it.
void setup_local_users(db::Database& db, const std::vector<LocalUser>& users,
                       const std::vector<std::string>& main_team_users,
                       const concourse::log::Logger& log);

}  // namespace concourse::atc::auth
