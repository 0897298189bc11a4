// fly login (password grant only), fly targets, fly userinfo.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>
#include <ostream>

#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/table.hpp"

namespace concourse::fly {
namespace {

// Skymarshal's public client for fly; the secret is "fly" base64-encoded, as fly ships it.
constexpr const char* kClientBasicAuth = "Basic Zmx5OlpteDU=";  // base64("fly:Zmx5")
constexpr const char* kScopes = "openid profile email federated:id groups";

std::string form_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// JWT segments are base64url without padding; plain base64 is accepted too, as fly's decoder
// is lenient about which alphabet the token used.
std::optional<std::string> base64url_decode(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// The claims of a JWT, or nullopt when the token is not one (opaque tokens are fine to use).
std::optional<nlohmann::json> jwt_claims(const std::string& token) {
  auto first = token.find('.');
  if (first == std::string::npos)
    return std::nullopt;
  auto second = token.find('.', first + 1);
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload)
    return std::nullopt;
  auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object())
    return std::nullopt;
  return claims;
}

// fly's checkTokenTeams: refuse to save a token that cannot act for the team logged in to.
void check_token_teams(const std::string& token, const std::string& team) {
  auto claims = jwt_claims(token);
  if (!claims)
    return;
  const auto& teams = (*claims)["teams"];
  bool member = false;
  if (teams.is_object())
    member = teams.contains(team);
  else if (teams.is_array())
    member = std::find(teams.begin(), teams.end(), nlohmann::json(team)) != teams.end();
  if (member)
    return;
  std::string user = claims->value("user_name", std::string());
  throw Failure("user [" + user + "] is not in team [" + team + "]");
}

TargetToken password_grant(const Client& client, const std::string& user, const std::string& pass) {
  std::string form = "grant_type=password&password=" + form_escape(pass) +
                     "&scope=" + form_escape(kScopes) + "&username=" + form_escape(user);
  HttpResponse resp = client.send(HttpRequest{"POST",
                                              "/sky/issuer/token",
                                              form,
                                              "application/x-www-form-urlencoded",
                                              {{"Authorization", kClientBasicAuth}}});
  auto body = nlohmann::json::parse(resp.body, nullptr, false);
  if (resp.status < 200 || resp.status >= 300) {
    std::string why = body.is_object() ? body.value("error_description", body.value("error", ""))
                                       : resp.body.substr(0, resp.body.find('\n'));
    throw Failure("failed to log in: " + std::to_string(resp.status) + " " + resp.reason +
                  (why.empty() ? "" : ": " + why));
  }
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get<std::string>().empty())
    throw Failure("failed to log in: the token response has no access_token");
  return TargetToken{body.value("token_type", std::string("bearer")),
                     body["access_token"].get<std::string>()};
}

// Go's time.RFC1123 in UTC: "Mon, 02 Jan 2006 15:04:05 UTC".
std::string rfc1123_utc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S UTC", &tm);
  return buf;
}

std::string token_expiry(const std::optional<TargetToken>& token) {
  if (!token || token->type.empty() || token->value.empty())
    return "n/a";
  auto claims = jwt_claims(token->value);
  if (!claims || !(*claims)["exp"].is_number())
    return "n/a: invalid token";
  return rfc1123_utc((*claims)["exp"].get<int64_t>());
}

}  // namespace

int login_command(Context& ctx, const std::vector<std::string>& args) {
  std::string url, user, pass, team;
  bool insecure = false;
  Args a("login");
  add_global_options(a, ctx);
  a.add_string('c', "concourse-url", &url, "Concourse URL to authenticate with");
  a.add_bool('k', "insecure", &insecure, "Skip verification of the endpoint's SSL certificate");
  a.add_string('u', "username", &user, "Username for basic auth");
  a.add_string('p', "password", &pass, "Password for basic auth");
  a.add_string('n', "team-name", &team, "Team to authenticate with");
  auto positional = a.parse(args);
  if (ctx.target.empty())
    throw Failure("name for the target must be specified (--target/-t)");
  std::string path = Flyrc::default_path();
  Flyrc rc = Flyrc::load(path);
  TargetProps props;
  if (url.empty()) {
    props = rc.target(ctx.target);  // re-login keeps the saved URL (and team unless -n)
  } else {
    props.api = url;
  }
  if (!team.empty())
    props.team = team;
  props.insecure = insecure || (url.empty() && props.insecure);
  ctx.out << "logging in to team '" << props.team << "'\n\n";
  expect_no_arguments(positional);
  if (user.empty() || pass.empty())
    throw Failure("-u/--username and -p/--password are required: this fly has no browser login");
  Client client(props.api, std::nullopt, props.insecure, ctx.verbose ? &ctx.err : nullptr);
  props.token = password_grant(client, user, pass);
  ctx.out << "\n";
  check_token_teams(props.token->value, props.team);
  // Reload: another fly may have saved a different target while this one waited on the ATC.
  rc = Flyrc::load(path);
  rc.save_target(ctx.target, props);
  rc.write(path);
  ctx.out << "target saved\n";
  return 0;
}

int targets_command(Context& ctx, const std::vector<std::string>& args) {
  Args a("targets");
  add_global_options(a, ctx);
  expect_no_arguments(a.parse(args));
  Table t;
  t.headers = header_row({"name", "url", "team", "expiry"});
  for (const auto& [name, props] : Flyrc::load(Flyrc::default_path()).targets())
    t.rows.push_back(
        Row{Cell{name}, Cell{props.api}, Cell{props.team}, Cell{token_expiry(props.token)}});
  t.sort_by_first_column();
  t.render(ctx.out, ctx.print_table_headers, ctx.out_is_tty);
  return 0;
}

int userinfo_command(Context& ctx, const std::vector<std::string>& args) {
  bool json = false;
  Args a("userinfo");
  add_global_options(a, ctx);
  a.add_bool(0, "json", &json, "Print command result as JSON");
  expect_no_arguments(a.parse(args));
  auto info = client_for(ctx, load_target(ctx)).get_json("/api/v1/user");
  if (json) {
    print_json(ctx.out, info);
    return 0;
  }
  if (!info.is_object())
    throw Failure("malformed user info from the ATC: expected a JSON object");
  std::vector<std::string> team_roles;
  if (auto it = info.find("teams"); it != info.end() && it->is_object()) {
    for (const auto& [team, roles] : it->items()) {
      for (const auto& role : roles)
        team_roles.push_back(team + "/" + (role.is_string() ? role.get<std::string>() : ""));
    }
  }
  std::sort(team_roles.begin(), team_roles.end());
  std::string joined;
  for (const auto& tr : team_roles)
    joined += (joined.empty() ? "" : ",") + tr;
  Table t;
  t.headers = header_row({"username", "team/role"});
  t.rows.push_back(Row{Cell{json_str(info, "user_name")}, Cell{joined}});
  t.render(ctx.out, ctx.print_table_headers, ctx.out_is_tty);
  return 0;
}

}  // namespace concourse::fly
