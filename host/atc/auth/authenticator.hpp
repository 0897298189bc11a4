// Local-user authentication as Concourse's `sky` endpoints expose it: an OAuth2 token endpoint
// (password grant for fly, client credentials for the TSA) issuing opaque bearer tokens stored in
// db::Tokens, so every web node on the database accepts what any node issued.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atc/db/database.hpp"
#include "atc/db/teams.hpp"

namespace concourse::atc::auth {

// fly's OAuth client, hard-coded in fly and Concourse alike ("Zmx5" is base64 of "fly").
inline constexpr const char* kFlyClientId = "fly";
inline constexpr const char* kFlyClientSecret = "Zmx5";
inline constexpr const char* kMainTeam = "main";

struct Config {
  std::string worker_client_id = "concourse-worker";
  // Secrets accepted for the client-credentials grant; any one matches.
  std::vector<std::string> worker_client_secrets;
  std::chrono::seconds token_ttl = std::chrono::hours(24);  // --auth-duration
};

// An OAuth2 error: `status` with {"error": code, "error_description": description}.
struct GrantError {
  int status;
  std::string code;
  std::string description;
};

// The fields of a token request, from the form body and the Authorization header.
struct GrantRequest {
  std::string grant_type;
  std::string client_id, client_secret;  // form fields or HTTP basic credentials
  std::string username, password;
};

class Authenticator {
 public:
  Authenticator(db::Database& db, Config config);

  // Fills client credentials from "Basic ..." when the form did not carry them.
  static void apply_basic_auth(GrantRequest& req, const std::string& authorization);

  // Issues a token; the reply is the OAuth2 token response JSON. Throws GrantError.
  nlohmann::json grant(const GrantRequest& req);

  // The claims of "Bearer <token>" (scheme case-insensitive); nullopt when absent or invalid.
  std::optional<db::TokenClaims> verify(const std::string& authorization);
  void revoke(const std::string& authorization);

 private:
  nlohmann::json reply(const std::string& token, const db::TokenClaims& claims) const;
  int64_t expiry() const;

  db::Database& db_;
  Config config_;
};

// Access rules of Concourse's accessor: admins (main team members) and the system (TSA) may do
// everything; others act on their own teams.
bool is_admin_or_system(const db::TokenClaims& c);
bool can_act_on_team(const db::TokenClaims& c, const std::string& team);

// The user info document of GET /api/v1/user.
nlohmann::json user_info(const db::TokenClaims& c);

// 32 random bytes as hex, from the kernel's CSPRNG.
std::string random_secret();

}  // namespace concourse::atc::auth
