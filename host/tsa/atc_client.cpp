#include "tsa/atc_client.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/URI.h>

#include <iomanip>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/error.hpp"

namespace concourse::tsa {
namespace {

std::string basic_auth(const std::string& user, const std::string& password) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << user << ':' << password;
  enc.close();
  return "Basic " + out.str();
}

std::string fraction(int64_t whole, int64_t rem, int64_t unit_ns) {
  std::string s = std::to_string(whole);
  if (rem == 0)
    return s;
  std::string digits = std::to_string(unit_ns + rem).substr(1);  // zero-padded remainder
  while (!digits.empty() && digits.back() == '0')
    digits.pop_back();
  return s + "." + digits;
}

}  // namespace

std::string go_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0)
    return "0s";
  std::string sign = ns < 0 ? "-" : "";
  if (ns < 0)
    ns = -ns;
  if (ns < 1'000)
    return sign + std::to_string(ns) + "ns";
  if (ns < 1'000'000)
    return sign + fraction(ns / 1'000, ns % 1'000, 1'000) + "us";
  if (ns < 1'000'000'000)
    return sign + fraction(ns / 1'000'000, ns % 1'000'000, 1'000'000) + "ms";
  int64_t secs = ns / 1'000'000'000, rem = ns % 1'000'000'000;
  std::string out = fraction(secs % 60, rem, 1'000'000'000) + "s";
  if (secs >= 60) {
    out = std::to_string((secs / 60) % 60) + "m" + out;
    if (secs >= 3600)
      out = std::to_string(secs / 3600) + "h" + out;
  }
  return sign + out;
}

std::string url_escape(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "/?#&=+ %", out);
  return out;
}

HttpResult http_request(const std::string& method, const std::string& url, const std::string& body,
                        const std::string& content_type, std::chrono::nanoseconds timeout,
                        const std::string& authorization) {
  Poco::URI uri(url);
  try {
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    session.setTimeout(Poco::Timespan(us));
    Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
    if (!authorization.empty())
      req.set("Authorization", authorization);
    if (!content_type.empty())
      req.setContentType(content_type);
    if (!body.empty() || method == "POST" || method == "PUT")
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    HttpResult r;
    r.status = resp.getStatus();
    r.body.assign(std::istreambuf_iterator<char>(in), {});
    return r;
  } catch (const Poco::Exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, method + " " + url + ": " + e.displayText());
  } catch (const std::exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, method + " " + url + ": " + e.what());
  }
}

AtcClient::AtcClient(const Options& options) : options_(options) {}

std::string AtcClient::token(bool force_refresh) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (!force_refresh && !token_.empty() && now < token_expiry_)
    return token_;
  std::string url = options_.token_url;
  if (url.empty() && !options_.atc_urls.empty())
    url = options_.atc_urls.front() + "/sky/issuer/token";
  auto r = http_request("POST", url, "grant_type=client_credentials",
                        "application/x-www-form-urlencoded", std::chrono::seconds(30),
                        basic_auth(options_.client_id, options_.client_secret));
  if (r.status != 200) {
    throw core::Error(CC_E_UNAVAILABLE,
                      "token endpoint " + url + " answered " + std::to_string(r.status));
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    throw core::Error(CC_E_UNAVAILABLE, "token endpoint " + url + ": no access_token");
  token_ = j["access_token"].get<std::string>();
  int64_t expires_in = j.value("expires_in", int64_t{3600});
  // Refresh a little early so a request never races the expiry.
  token_expiry_ = now + std::chrono::seconds(std::max<int64_t>(expires_in - 10, 1));
  return token_;
}

HttpResult AtcClient::call(const std::string& method, const std::string& path_and_query,
                           const std::string& body, const std::string& content_type) {
  if (options_.atc_urls.empty())
    throw core::Error(CC_E_UNAVAILABLE, "no ATC url configured");
  static thread_local std::mt19937 rng{std::random_device{}()};
  size_t start = std::uniform_int_distribution<size_t>(0, options_.atc_urls.size() - 1)(rng);
  std::string last_error;
  for (size_t i = 0; i < options_.atc_urls.size(); ++i) {
    const auto& base = options_.atc_urls[(start + i) % options_.atc_urls.size()];
    try {
      auto r = http_request(method, base + path_and_query, body, content_type,
                            std::chrono::seconds(60), "Bearer " + token(false));
      if (r.status == 401) {
        r = http_request(method, base + path_and_query, body, content_type,
                         std::chrono::seconds(60), "Bearer " + token(true));
      }
      return r;
    } catch (const core::Error& e) {
      last_error = e.what();
    }
  }
  throw core::Error(CC_E_UNAVAILABLE, last_error);
}

}  // namespace concourse::tsa
