// HTTP to the ATC with the target's token, mapping transport failures and status codes onto
// fly's errors the way go-concourse does: 401 -> Unauthorized, 404 -> "resource not found",
// 403 -> "forbidden", other non-2xx -> the status and body.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fly/flyrc.hpp"

namespace concourse::fly {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string header(const std::string& name) const;  // case-insensitive; "" when absent
};

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // absolute path with query, e.g. "/api/v1/workers"
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A non-2xx answer the caller may want to look into (prune's 400 carries a JSON stderr).
class UnexpectedResponse : public std::runtime_error {
 public:
  UnexpectedResponse(const std::string& message, HttpResponse response)
      : std::runtime_error(message), response_(std::move(response)) {}
  const HttpResponse& response() const noexcept { return response_; }

 private:
  HttpResponse response_;
};

class Client {
 public:
  // `trace`, when set, receives each request line and response status (fly --verbose).
  Client(std::string url, std::optional<TargetToken> token, bool insecure,
         std::ostream* trace = nullptr);

  const std::string& url() const noexcept { return url_; }

  // Sends and returns whatever came back; throws Unreachable when nothing did.
  HttpResponse send(const HttpRequest& req) const;
  // Sends and checks the status (see the header comment); returns the 2xx response.
  HttpResponse call(const HttpRequest& req) const;
  // GET + JSON decode with key order preserved, so --json reprints the ATC's own order.
  nlohmann::ordered_json get_json(const std::string& path) const;
  // GET that hands each line of the body to on_line as it arrives (server-sent events), without
  // a read timeout: a build may be quiet for a long time. Checks the status like call().
  void stream_lines(const std::string& path,
                    const std::function<bool(const std::string&)>& on_line) const;
  // POST with a chunked body that `write_body` produces as it goes (fly execute's uploads);
  // checks the status like call().
  HttpResponse upload(const std::string& path, const std::string& content_type,
                      const std::function<void(std::ostream&)>& write_body) const;
  // GET whose 2xx body is handed to `read_body` as a stream (fly execute's downloads).
  void download(const std::string& path, const std::function<void(std::istream&)>& read_body) const;
  // The bearer value for requests this class does not send itself (the hijack WebSocket); "".
  std::string authorization() const;
  bool insecure() const noexcept { return insecure_; }

 private:
  std::string url_;
  std::optional<TargetToken> token_;
  bool insecure_;
  std::ostream* trace_;
};

// "bearer" -> "Bearer": the value golang.org/x/oauth2 puts in the Authorization header.
std::string authorization_scheme(const std::string& token_type);

}  // namespace concourse::fly
