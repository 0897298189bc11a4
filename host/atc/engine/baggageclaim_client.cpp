#include "baggageclaim_client.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace concourse::atc::engine {
namespace {

using nlohmann::json;

std::string bc_message(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string())
    return j["error"];
  return body;
}

std::string query_escape(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "&=?#+ ", out);
  return out;
}

}  // namespace

BaggageclaimClient::BaggageclaimClient(const std::string& url) {
  Poco::URI uri(url);
  host_ = uri.getHost();
  port_ = uri.getPort();
}

json BaggageclaimClient::request(const std::string& method, const std::string& path,
                                 const std::string& body, int* status) {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::string reply;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), reply);
  int code = static_cast<int>(resp.getStatus());
  if (status != nullptr)
    *status = code;
  if (code >= 300 && !(status != nullptr && code == 404)) {
    throw std::runtime_error("baggageclaim " + method + " " + path + ": " + std::to_string(code) +
                             " " + bc_message(reply));
  }
  return reply.empty() ? json() : json::parse(reply, nullptr, false);
}

Volume BaggageclaimClient::create(const std::string& handle, const json& strategy,
                                  const std::map<std::string, std::string>& properties,
                                  bool privileged) {
  json body{{"handle", handle}, {"strategy", strategy}, {"properties", json::object()}};
  for (const auto& [k, v] : properties)
    body["properties"][k] = v;
  if (privileged)
    body["privileged"] = true;
  request("POST", "/volumes-async", body.dump());
  // Imports of a rootfs take seconds; back off from 10 ms up to 1 s between checks.
  auto wait = std::chrono::milliseconds(10);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (true) {
    int status = 0;
    json r = request("GET", "/volumes-async/" + handle, "", &status);
    if (status == 404)
      throw std::runtime_error("baggageclaim lost the creation of volume " + handle);
    if (status == 200) {
      request("DELETE", "/volumes-async/" + handle, "", &status);
      return Volume{r.value("handle", handle), r.value("path", "")};
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("baggageclaim: volume " + handle + " still not created");
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(1000));
  }
}

std::optional<Volume> BaggageclaimClient::lookup(const std::string& handle) {
  int status = 0;
  json r = request("GET", "/volumes/" + handle, "", &status);
  if (status == 404)
    return std::nullopt;
  return Volume{r.value("handle", handle), r.value("path", "")};
}

void BaggageclaimClient::destroy(const std::string& handle) {
  int status = 0;
  request("DELETE", "/volumes/" + handle, "", &status);  // already gone is fine
}

void BaggageclaimClient::set_property(const std::string& handle, const std::string& key,
                                      const std::string& value) {
  request("PUT", "/volumes/" + handle + "/properties/" + key, json{{"value", value}}.dump());
}

void BaggageclaimClient::stream_in(const std::string& handle, const std::string& path,
                                   std::istream& tar) {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req("PUT", "/volumes/" + handle + "/stream-in?path=" + query_escape(path),
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/x-tar");
  req.setChunkedTransferEncoding(true);
  Poco::StreamCopier::copyStream(tar, session.sendRequest(req));
  Poco::Net::HTTPResponse resp;
  std::string reply;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), reply);
  if (resp.getStatus() >= 300)
    throw std::runtime_error("baggageclaim stream-in " + handle + ": " + bc_message(reply));
}

void BaggageclaimClient::stream_out(const std::string& handle, const std::string& path,
                                    const std::function<void(const char*, size_t)>& sink) {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req("PUT", "/volumes/" + handle + "/stream-out?path=" + query_escape(path),
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.set("Accept-Encoding", "raw");
  req.setContentLength(0);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  if (resp.getStatus() >= 300) {
    std::string reply;
    Poco::StreamCopier::copyToString(in, reply);
    throw std::runtime_error("baggageclaim stream-out " + path + ": " + bc_message(reply));
  }
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    sink(buf, static_cast<size_t>(in.gcount()));
}

}  // namespace concourse::atc::engine
