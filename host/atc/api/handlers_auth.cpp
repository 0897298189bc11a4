// Token endpoint, user info and cluster info.
#include <Poco/URI.h>

#include "atc/api/handlers.hpp"
#include "core/error.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

std::string form_decode(std::string s) {
  for (auto& c : s) {
    if (c == '+')
      c = ' ';
  }
  std::string out;
  Poco::URI::decode(s, out);
  return out;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> form;
  size_t i = 0;
  while (i < body.size()) {
    size_t amp = body.find('&', i);
    if (amp == std::string::npos)
      amp = body.size();
    std::string pair = body.substr(i, amp - i);
    size_t eq = pair.find('=');
    if (!pair.empty())
      form[form_decode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : form_decode(pair.substr(eq + 1));
    i = amp + 1;
  }
  return form;
}

std::string field(const std::map<std::string, std::string>& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? "" : it->second;
}

Response token(Context& ctx, Request& req) {
  auto form = parse_form(req.body);
  auth::GrantRequest g{field(form, "grant_type"), field(form, "client_id"),
                       field(form, "client_secret"), field(form, "username"),
                       field(form, "password")};
  auth::Authenticator::apply_basic_auth(g, req.authorization);
  try {
    return Response::json(200, ctx.auth->grant(g));
  } catch (const auth::GrantError& e) {
    ctx.log.info("token-refused", {{"grant_type", g.grant_type},
                                   {"client_id", g.client_id},
                                   {"username", g.username},
                                   {"error", e.code}});
    throw HttpError{e.status, json{{"error", e.code}, {"error_description", e.description}}};
  }
}

Response info(Context& ctx) {
  const Options& o = *ctx.options;
  return Response::json(200, json{{"version", o.version},
                                  {"worker_version", kWorkerVersion},
                                  {"feature_flags", json::object()},
                                  {"external_url", o.external_url},
                                  {"cluster_name", o.cluster_name}});
}

}  // namespace

const db::TokenClaims& require_auth(const Request& req) {
  if (!req.claims)
    throw HttpError::message(401, "not authorized");
  return *req.claims;
}

void require_team(const db::TokenClaims& c, const std::string& team) {
  if (!auth::can_act_on_team(c, team))
    throw HttpError::message(403, "forbidden");
}

void require_admin(const db::TokenClaims& c) {
  if (!auth::is_admin_or_system(c))
    throw HttpError::message(403, "forbidden");
}

HttpError from_core_error(int32_t code, const std::string& message) {
  return HttpError::message(core::http_status_for(code), message);
}

void add_auth_routes(Router& r, Context& ctx) {
  r.add("POST", "/sky/issuer/token", [&ctx](Request& req) { return token(ctx, req); });
  auto user = [](Request& req) { return Response::json(200, auth::user_info(require_auth(req))); };
  r.add("GET", "/api/v1/user", user);
  r.add("GET", "/sky/userinfo", user);
  r.add("GET", "/sky/logout", [&ctx](Request& req) {
    ctx.auth->revoke(req.authorization);
    return Response::empty(200);
  });
  r.add("GET", "/api/v1/info", [&ctx](Request&) { return info(ctx); });
}

}  // namespace concourse::atc::api
