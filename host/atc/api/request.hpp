// The ATC API's transport-free request and response, so handlers and the route table can be
// tested without sockets; server.cpp adapts them to Poco.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "atc/db/teams.hpp"

namespace concourse::atc::api {

struct Request {
  std::string method;
  std::string path;                           // decoded path without the query
  std::map<std::string, std::string> query;   // last value wins
  std::map<std::string, std::string> params;  // ":name" segments of the matched route
  std::string body;
  // Routes added with Router::add_streaming: the unread body (else null, and body holds it).
  std::istream* body_stream = nullptr;
  std::string content_type;
  std::string authorization;
  std::map<std::string, std::string> headers;  // names lowercased
  std::optional<db::TokenClaims> claims;       // set when the bearer token was valid

  std::string query_value(const std::string& key) const;
  std::string param(const std::string& key) const;
  std::string header(const std::string& lowercase_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed chunked by calling this with the connection's stream (server-
  // sent events); it returns when the stream is over or throws when the client went away.
  std::function<void(std::ostream&)> stream;

  static Response json(int status, const nlohmann::json& body);
  static Response empty(int status);
};

// Thrown by handlers; the server answers `status` with `body` (a JSON object).
struct HttpError {
  int status;
  nlohmann::json body;

  // {"error": message}: the shape Concourse's API uses for its own errors.
  static HttpError message(int status, const std::string& message);
};

// Parses the body as JSON; 400 {"error":"malformed JSON: ..."} otherwise.
nlohmann::json parse_json_body(const Request& req);

using Handler = std::function<Response(Request&)>;

}  // namespace concourse::atc::api
