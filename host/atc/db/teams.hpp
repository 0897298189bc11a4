// Teams, local users and bearer tokens. Tokens are random, stored hashed (SHA-256) with an
// expiry, so any web node sharing the database accepts a token another node issued.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

struct Team {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> local_users;  // auth: users allowed in (owner role)
};

struct TokenClaims {
  std::string subject;  // user name, or the client id for system tokens
  bool system = false;  // issued by client credentials to the TSA: may do worker operations
  std::vector<std::string> teams;  // teams the subject belongs to (ignored when system)
  bool is_admin = false;           // member of the main team
  int64_t expires_at = 0;          // unix seconds
};

class Teams {
 public:
  explicit Teams(Database& db) : db_(db) {}

  // Creates the team or replaces its local user list; returns it.
  Team save(const std::string& name, const std::vector<std::string>& local_users);
  std::optional<Team> get(const std::string& name);
  std::vector<Team> list();
  bool remove(const std::string& name);  // CC_E_INVALID for "main"
  // Teams whose local users include user.
  std::vector<std::string> teams_of_user(const std::string& user);

 private:
  Database& db_;
};

class Users {
 public:
  explicit Users(Database& db) : db_(db) {}

  // Stores (or replaces) a local user with a salted password hash.
  void save(const std::string& name, const std::string& password);
  bool check_password(const std::string& name, const std::string& password);

 private:
  Database& db_;
};

class Tokens {
 public:
  explicit Tokens(Database& db) : db_(db) {}

  // Issues a token (returned in the clear once; only its hash is stored).
  std::string issue(const TokenClaims& claims);
  // nullopt when unknown or expired.
  std::optional<TokenClaims> verify(const std::string& token);
  void revoke(const std::string& token);
  size_t delete_expired(int64_t now);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
