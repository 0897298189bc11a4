#include "atc/auth/local_users.hpp"

#include <algorithm>

#include "atc/auth/authenticator.hpp"
#include "atc/db/teams.hpp"
#include "core/flags.hpp"

namespace concourse::atc::auth {

LocalUser parse_local_user(const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    throw core::UsageError("--add-local-user: expected USERNAME:PASSWORD, got '" +
                           spec.substr(0, colon) + (colon == std::string::npos ? "'" : ":...'"));
  }
  return LocalUser{spec.substr(0, colon), spec.substr(colon + 1)};
}

void setup_local_users(db::Database& db, const std::vector<LocalUser>& users,
                       const std::vector<std::string>& main_team_users,
                       const concourse::log::Logger& log) {
  db::Users store(db);
  for (const auto& u : users) {
    concourse::log::register_secret(u.password);
    store.save(u.name, u.password);
    log.info("local-user-saved", {{"user", u.name}});
  }
  for (const auto& name : main_team_users) {
    bool declared =
        std::any_of(users.begin(), users.end(), [&](const LocalUser& u) { return u.name == name; });
    if (!declared)
      log.warn("main-team-user-not-declared", {{"user", name}});
  }
  db::Teams teams(db);
  auto main = teams.get(kMainTeam);
  std::vector<std::string> owners = main ? main->local_users : std::vector<std::string>{};
  for (const auto& name : main_team_users) {
    if (std::find(owners.begin(), owners.end(), name) == owners.end())
      owners.push_back(name);
  }
  if (!main || owners != main->local_users)
    teams.save(kMainTeam, owners);
}

}  // namespace concourse::atc::auth
