#include "atc/api/request.hpp"

namespace concourse::atc::api {

std::string Request::query_value(const std::string& key) const {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

std::string Request::param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

std::string Request::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? "" : it->second;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

HttpError HttpError::message(int status, const std::string& message) {
  return HttpError{status, nlohmann::json{{"error", message}}};
}

nlohmann::json parse_json_body(const Request& req) {
  try {
    return nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw HttpError::message(400, std::string("malformed JSON request body: ") + e.what());
  }
}

}  // namespace concourse::atc::api
