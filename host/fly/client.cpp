#include "fly/client.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#ifdef CONCOURSE_FLY_HAVE_SSL
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#endif

#include <cctype>
#include <memory>
#include <mutex>
#include <ostream>

#include "fly/fly.hpp"

namespace concourse::fly {
namespace {

// go-concourse dials with a 10s timeout; reads get longer since listing can be slow on big
// clusters.
const Poco::Timespan kConnectTimeout(10, 0);
const Poco::Timespan kIoTimeout(60, 0);

std::unique_ptr<Poco::Net::HTTPClientSession> open_session(const Poco::URI& uri, bool insecure) {
  if (uri.getScheme() == "https") {
#ifdef CONCOURSE_FLY_HAVE_SSL
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
        insecure ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_RELAXED, 9, true);
    return std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
#else
    (void)insecure;
    throw Failure("this fly was built without TLS support; cannot reach " + uri.toString());
#endif
  }
  if (uri.getScheme() != "http")
    throw Failure("unsupported URL scheme '" + uri.getScheme() + "' in " + uri.toString());
  return std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
}

std::string trim_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s;
}

std::string first_line(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  return line.size() > 500 ? line.substr(0, 500) + "..." : line;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (Poco::icompare(k, name) == 0)
      return v;
  }
  return "";
}

std::string authorization_scheme(const std::string& token_type) {
  std::string lower;
  for (char c : token_type)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "bearer")
    return "Bearer";
  return token_type;
}

Client::Client(std::string url, std::optional<TargetToken> token, bool insecure,
               std::ostream* trace)
    : url_(trim_trailing_slash(std::move(url))),
      token_(std::move(token)),
      insecure_(insecure),
      trace_(trace) {}

HttpResponse Client::send(const HttpRequest& req) const {
  std::string full = url_ + req.path;
  Poco::URI uri;
  try {
    uri = Poco::URI(full);
  } catch (const Poco::Exception& e) {
    throw Failure("invalid URL '" + full + "': " + e.message());
  }
  if (uri.getHost().empty())
    throw Failure("invalid URL '" + url_ + "': no host");
  auto session = open_session(uri, insecure_);
  session->setTimeout(kConnectTimeout, kIoTimeout, kIoTimeout);
  Poco::Net::HTTPRequest request(req.method, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  if (token_ && !(token_->type.empty() && token_->value.empty()))
    request.set("Authorization", authorization_scheme(token_->type) + " " + token_->value);
  for (const auto& [k, v] : req.headers)
    request.set(k, v);
  if (!req.content_type.empty())
    request.setContentType(req.content_type);
  request.setContentLength(static_cast<std::streamsize>(req.body.size()));
  if (trace_ != nullptr)
    *trace_ << req.method << " " << full << "\n";
  HttpResponse out;
  try {
    session->sendRequest(request) << req.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    Poco::StreamCopier::copyToString(in, out.body);
    out.status = static_cast<int>(response.getStatus());
    out.reason = response.getReason();
    for (const auto& [k, v] : response)
      out.headers.emplace_back(k, v);
  } catch (const Poco::Exception& e) {
    throw Unreachable(url_, e.displayText());
  }
  if (trace_ != nullptr)
    *trace_ << out.status << " " << out.reason << "\n" << out.body << "\n";
  return out;
}

HttpResponse Client::call(const HttpRequest& req) const {
  HttpResponse resp = send(req);
  if (resp.status >= 200 && resp.status < 300)
    return resp;
  if (resp.status == 401)
    throw Unauthorized();
  if (resp.status == 404)
    throw UnexpectedResponse("resource not found", resp);
  std::string message = resp.status == 403 ? "forbidden"
                                           : "unexpected response: " + std::to_string(resp.status) +
                                                 " " + resp.reason;
  if (!resp.body.empty())
    message += ": " + first_line(resp.body);
  throw UnexpectedResponse(message, resp);
}

nlohmann::ordered_json Client::get_json(const std::string& path) const {
  HttpResponse resp = call(HttpRequest{"GET", path, "", "", {}});
  try {
    return nlohmann::ordered_json::parse(resp.body);
  } catch (const nlohmann::json::exception& e) {
    throw Failure("malformed JSON from " + url_ + path + ": " + e.what());
  }
}

void Client::stream_lines(const std::string& path,
                          const std::function<bool(const std::string&)>& on_line) const {
  std::string full = url_ + path;
  Poco::URI uri(full);
  auto session = open_session(uri, insecure_);
  session->setTimeout(kConnectTimeout, kIoTimeout, Poco::Timespan(24 * 3600, 0));
  Poco::Net::HTTPRequest request("GET", uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  if (token_ && !(token_->type.empty() && token_->value.empty()))
    request.set("Authorization", authorization_scheme(token_->type) + " " + token_->value);
  request.set("Accept", "text/event-stream");
  if (trace_ != nullptr)
    *trace_ << "GET " << full << "\n";
  try {
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    int status = static_cast<int>(response.getStatus());
    if (status == 401)
      throw Unauthorized();
    if (status < 200 || status >= 300) {
      HttpResponse out{status, response.getReason(), "", {}};
      Poco::StreamCopier::copyToString(in, out.body);
      throw UnexpectedResponse(
          status == 404 ? "resource not found"
                        : "unexpected response: " + std::to_string(status) + " " + out.reason,
          out);
    }
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (!on_line(line))
        return;
    }
  } catch (const Poco::Exception& e) {
    throw Unreachable(url_, e.displayText());
  }
}

std::string Client::authorization() const {
  if (!token_ || (token_->type.empty() && token_->value.empty()))
    return "";
  return authorization_scheme(token_->type) + " " + token_->value;
}

// Status errors of the streaming calls, with what call() would have said.
static void check_stream_status(int status, const std::string& reason, std::istream& in) {
  if (status >= 200 && status < 300)
    return;
  if (status == 401)
    throw Unauthorized();
  HttpResponse out{status, reason, "", {}};
  Poco::StreamCopier::copyToString(in, out.body);
  std::string message = status == 404
                            ? "resource not found"
                            : "unexpected response: " + std::to_string(status) + " " + reason +
                                  (out.body.empty() ? "" : ": " + first_line(out.body));
  throw UnexpectedResponse(message, out);
}

HttpResponse Client::upload(const std::string& path, const std::string& content_type,
                            const std::function<void(std::ostream&)>& write_body) const {
  Poco::URI uri(url_ + path);
  auto session = open_session(uri, insecure_);
  session->setTimeout(kConnectTimeout, Poco::Timespan(600, 0), Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest request("POST", uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  if (auto a = authorization(); !a.empty())
    request.set("Authorization", a);
  request.setContentType(content_type);
  request.setChunkedTransferEncoding(true);
  if (trace_ != nullptr)
    *trace_ << "POST " << url_ + path << "\n";
  HttpResponse out;
  try {
    std::ostream& body = session->sendRequest(request);
    write_body(body);
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    check_stream_status(static_cast<int>(response.getStatus()), response.getReason(), in);
    Poco::StreamCopier::copyToString(in, out.body);
    out.status = static_cast<int>(response.getStatus());
    out.reason = response.getReason();
  } catch (const Poco::Exception& e) {
    throw Unreachable(url_, e.displayText());
  }
  return out;
}

void Client::download(const std::string& path,
                      const std::function<void(std::istream&)>& read_body) const {
  Poco::URI uri(url_ + path);
  auto session = open_session(uri, insecure_);
  session->setTimeout(kConnectTimeout, Poco::Timespan(600, 0), Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest request("GET", uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  if (auto a = authorization(); !a.empty())
    request.set("Authorization", a);
  if (trace_ != nullptr)
    *trace_ << "GET " << url_ + path << "\n";
  try {
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    check_stream_status(static_cast<int>(response.getStatus()), response.getReason(), in);
    read_body(in);
  } catch (const Poco::Exception& e) {
    throw Unreachable(url_, e.displayText());
  }
}

}  // namespace concourse::fly
