#include "atc/auth/authenticator.hpp"

#include <sys/random.h>

#include <Poco/Base64Decoder.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "core/error.hpp"

namespace concourse::atc::auth {
namespace {

using nlohmann::json;

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool iequals_prefix(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size())
    return false;
  return std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

// Constant-time comparison: a client secret must not leak through response timing.
bool secret_equals(const std::string& a, const std::string& b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string url_decode(const std::string& s) {
  std::string out;
  Poco::URI::decode(s, out, true);
  return out;
}

}  // namespace

Authenticator::Authenticator(db::Database& db, Config config)
    : db_(db), config_(std::move(config)) {}

void Authenticator::apply_basic_auth(GrantRequest& req, const std::string& authorization) {
  if (!iequals_prefix(authorization, "basic "))
    return;
  std::istringstream in(authorization.substr(6));
  Poco::Base64Decoder decoder(in);
  std::string decoded((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  auto colon = decoded.find(':');
  if (colon == std::string::npos)
    return;
  // RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
  if (req.client_id.empty())
    req.client_id = url_decode(decoded.substr(0, colon));
  if (req.client_secret.empty())
    req.client_secret = url_decode(decoded.substr(colon + 1));
}

json Authenticator::grant(const GrantRequest& req) {
  if (req.grant_type == "password") {
    if (req.client_id != kFlyClientId || !secret_equals(req.client_secret, kFlyClientSecret))
      throw GrantError{401, "invalid_client", "invalid client credentials"};
    if (req.username.empty() || req.password.empty())
      throw GrantError{400, "invalid_request", "username and password are required"};
    if (!db::Users(db_).check_password(req.username, req.password))
      throw GrantError{401, "invalid_grant", "invalid username or password"};
    db::TokenClaims c;
    c.subject = req.username;
    c.teams = db::Teams(db_).teams_of_user(req.username);
    c.is_admin = std::find(c.teams.begin(), c.teams.end(), kMainTeam) != c.teams.end();
    c.expires_at = expiry();
    return reply(db::Tokens(db_).issue(c), c);
  }
  if (req.grant_type == "client_credentials") {
    bool ok = req.client_id == config_.worker_client_id &&
              std::any_of(config_.worker_client_secrets.begin(),
                          config_.worker_client_secrets.end(), [&](const std::string& s) {
                            return !s.empty() && secret_equals(req.client_secret, s);
                          });
    if (!ok)
      throw GrantError{401, "invalid_client", "invalid client credentials"};
    db::TokenClaims c;
    c.subject = req.client_id;
    c.system = true;
    c.expires_at = expiry();
    return reply(db::Tokens(db_).issue(c), c);
  }
  if (req.grant_type.empty())
    throw GrantError{400, "invalid_request", "grant_type is required"};
  throw GrantError{400, "unsupported_grant_type", "unsupported grant type " + req.grant_type};
}

json Authenticator::reply(const std::string& token, const db::TokenClaims& claims) const {
  // fly before 7.x reads access_token, later ones id_token; both carry the same opaque token.
  json j{{"access_token", token},
         {"token_type", "bearer"},
         {"expires_in", std::max<int64_t>(0, claims.expires_at - now_unix())}};
  if (!claims.system)
    j["id_token"] = token;
  return j;
}

int64_t Authenticator::expiry() const {
  return now_unix() + config_.token_ttl.count();
}

std::optional<db::TokenClaims> Authenticator::verify(const std::string& authorization) {
  if (!iequals_prefix(authorization, "bearer "))
    return std::nullopt;
  std::string token = authorization.substr(7);
  token.erase(0, token.find_first_not_of(' '));
  if (token.empty())
    return std::nullopt;
  return db::Tokens(db_).verify(token);
}

void Authenticator::revoke(const std::string& authorization) {
  if (iequals_prefix(authorization, "bearer ") && authorization.size() > 7)
    db::Tokens(db_).revoke(authorization.substr(7));
}

bool is_admin_or_system(const db::TokenClaims& c) {
  return c.system || c.is_admin;
}

bool can_act_on_team(const db::TokenClaims& c, const std::string& team) {
  if (is_admin_or_system(c))
    return true;
  return !team.empty() && std::find(c.teams.begin(), c.teams.end(), team) != c.teams.end();
}

json user_info(const db::TokenClaims& c) {
  json teams = json::object();
  for (const auto& t : c.teams)
    teams[t] = json::array({"owner"});
  return json{{"sub", c.subject},
              {"name", c.subject},
              {"user_id", c.subject},
              {"user_name", c.subject},
              {"email", ""},
              {"is_admin", c.is_admin},
              {"is_system", c.system},
              {"teams", std::move(teams)},
              {"connector", c.system ? "" : "local"}};
}

std::string random_secret() {
  unsigned char buf[32];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = getrandom(buf + got, sizeof buf - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw core::Error(CC_E_INTERNAL, "getrandom failed");
    }
    got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : buf) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

}  // namespace concourse::atc::auth
