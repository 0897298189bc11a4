// Teams (with their local users), local users' password hashes, and hashed bearer tokens.
#include "atc/db/teams.hpp"

#include <concourse/status.h>

#include <nlohmann/json.hpp>

#include "atc/db/crypto.hpp"
#include "atc/db/sql.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

using core::Error;
using nlohmann::json;

Team decode_team(const Rows& r, size_t i) {
  Team t;
  t.id = r.get_int(i, 0);
  t.name = r.get(i, 1);
  auto auth = json::parse(r.get(i, 2));
  if (auth.contains("local_users"))
    t.local_users = auth["local_users"].get<std::vector<std::string>>();
  return t;
}

std::vector<std::string> strings(const std::string& json_text) {
  return json::parse(json_text).get<std::vector<std::string>>();
}

// Tokens are looked up by hash only: the clear value never reaches the database or a log.
std::string token_key(const std::string& token) {
  return crypto::sha256_hex(token);
}

}  // namespace

Team Teams::save(const std::string& name, const std::vector<std::string>& local_users) {
  if (name.empty())
    throw Error(CC_E_INVALID, "team: empty name");
  json auth = {{"local_users", local_users}};
  auto r = db_.exec(
      "INSERT INTO teams (name, auth) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO UPDATE SET "
      "auth = jsonb_set(teams.auth, '{local_users}', EXCLUDED.auth->'local_users') "
      "RETURNING id, name, auth",
      {name, auth.dump()});
  return decode_team(r, 0);
}

std::optional<Team> Teams::get(const std::string& name) {
  auto r = db_.exec("SELECT id, name, auth FROM teams WHERE name = $1", {name});
  if (r.empty())
    return std::nullopt;
  return decode_team(r, 0);
}

std::vector<Team> Teams::list() {
  auto r = db_.exec("SELECT id, name, auth FROM teams ORDER BY name");
  std::vector<Team> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode_team(r, i));
  return out;
}

bool Teams::remove(const std::string& name) {
  if (name == "main")
    throw Error(CC_E_INVALID, "cannot delete the main team");
  return db_.exec("DELETE FROM teams WHERE name = $1", {name}).affected() > 0;
}

std::vector<std::string> Teams::teams_of_user(const std::string& user) {
  auto r = db_.exec("SELECT name FROM teams WHERE auth->'local_users' ? $1 ORDER BY name", {user});
  std::vector<std::string> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(r.get(i, 0));
  return out;
}

void Users::save(const std::string& name, const std::string& password) {
  if (name.empty())
    throw Error(CC_E_INVALID, "user: empty name");
  db_.exec(
      "INSERT INTO users (name, password_hash) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE "
      "SET password_hash = EXCLUDED.password_hash",
      {name, crypto::hash_password(password)});
}

bool Users::check_password(const std::string& name, const std::string& password) {
  auto r = db_.exec("SELECT password_hash FROM users WHERE name = $1", {name});
  if (r.empty()) {
    // Spend the same time as for a real user, so response time does not reveal who exists.
    static const std::string dummy = crypto::hash_password("");
    crypto::verify_password(password, dummy);
    return false;
  }
  return crypto::verify_password(password, r.get(0, 0));
}

std::string Tokens::issue(const TokenClaims& claims) {
  std::string token = crypto::hex(crypto::random_bytes(32));
  db_.exec(
      "INSERT INTO tokens (hash, subject, system, teams, admin, expires_at) VALUES ($1, $2, "
      "$3::boolean, $4::jsonb, $5::boolean, $6::bigint)",
      {token_key(token), claims.subject, sql::boolean(claims.system), json(claims.teams).dump(),
       sql::boolean(claims.is_admin), sql::num(claims.expires_at)});
  return token;
}

std::optional<TokenClaims> Tokens::verify(const std::string& token) {
  auto r = db_.exec(
      "SELECT subject, system, teams, admin, expires_at FROM tokens WHERE hash = $1 "
      "AND expires_at > $2::bigint",
      {token_key(token), sql::num(sql::unix_now())});
  if (r.empty())
    return std::nullopt;
  TokenClaims c;
  c.subject = r.get(0, 0);
  c.system = r.get_bool(0, 1);
  c.teams = strings(r.get(0, 2));
  c.is_admin = r.get_bool(0, 3);
  c.expires_at = r.get_int(0, 4);
  return c;
}

void Tokens::revoke(const std::string& token) {
  db_.exec("DELETE FROM tokens WHERE hash = $1", {token_key(token)});
}

size_t Tokens::delete_expired(int64_t now) {
  return db_.exec("DELETE FROM tokens WHERE expires_at <= $1::bigint", {sql::num(now)}).affected();
}

}  // namespace concourse::atc::db
