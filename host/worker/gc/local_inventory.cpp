#include "worker/gc/local_inventory.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace concourse::worker::gc {
namespace {

struct Reply {
  int status = 0;
  std::string body;
};

std::string loopback(std::string host) {
  // 0.0.0.0 means "every interface"; loopback is one of them.
  return host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host;
}

Reply request(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
              const std::string& method, const std::string& path) {
  std::string what = method + " http://" + host + ":" + std::to_string(port) + path;
  try {
    Poco::Net::HTTPClientSession session(host, port);
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count() / 1000),
                                      static_cast<long>((timeout.count() % 1000) * 1000)));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentLength(0);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Reply r;
    r.status = static_cast<int>(resp.getStatus());
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
  } catch (const Poco::Exception& e) {
    throw core::Error(CC_E_UNAVAILABLE, what + ": " + e.displayText());
  }
}

[[noreturn]] void unexpected(const std::string& what, const Reply& r) {
  throw core::Error(CC_E_INTERNAL, what + ": HTTP " + std::to_string(r.status) + " " + r.body);
}

std::string escaped(const std::string& handle) {
  std::string out;
  Poco::URI::encode(handle, "/?#%", out);
  return out;
}

nlohmann::json parse(const std::string& what, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    throw core::Error(CC_E_INTERNAL, what + ": response is not JSON");
  return j;
}

}  // namespace

LocalInventory::LocalInventory(LocalEndpoints endpoints) : ep_(std::move(endpoints)) {
  ep_.garden_host = loopback(ep_.garden_host);
  ep_.baggageclaim_host = loopback(ep_.baggageclaim_host);
}

std::vector<std::string> LocalInventory::list_containers() const {
  auto r = request(ep_.garden_host, ep_.garden_port, ep_.timeout, "GET", "/containers");
  if (r.status != 200)
    unexpected("garden list containers", r);
  auto j = parse("garden list containers", r.body);
  std::vector<std::string> out;
  auto handles = j.is_object() ? j.value("Handles", nlohmann::json()) : nlohmann::json();
  if (handles.is_null())
    return out;  // Garden sends null for no containers
  if (!handles.is_array())
    throw core::Error(CC_E_INTERNAL, "garden list containers: Handles is not an array");
  for (const auto& h : handles) {
    if (h.is_string())
      out.push_back(h.get<std::string>());
  }
  return out;
}

std::vector<LocalVolume> LocalInventory::list_volumes() const {
  auto r = request(ep_.baggageclaim_host, ep_.baggageclaim_port, ep_.timeout, "GET", "/volumes");
  if (r.status != 200)
    unexpected("baggageclaim list volumes", r);
  auto j = parse("baggageclaim list volumes", r.body);
  std::vector<LocalVolume> out;
  if (j.is_null())
    return out;
  if (!j.is_array())
    throw core::Error(CC_E_INTERNAL, "baggageclaim list volumes: expected an array");
  for (const auto& v : j) {
    if (!v.is_object() || !v.contains("handle") || !v["handle"].is_string())
      continue;
    LocalVolume lv;
    lv.handle = v["handle"].get<std::string>();
    lv.path = v.value("path", std::string());
    if (auto p = v.find("properties"); p != v.end() && p->is_object()) {
      for (const auto& [k, val] : p->items()) {
        if (val.is_string())
          lv.properties[k] = val.get<std::string>();
      }
    }
    if (auto t = v.find("ttl"); t != v.end() && t->is_number_integer())
      lv.ttl_seconds = t->get<int64_t>();
    out.push_back(std::move(lv));
  }
  return out;
}

void LocalInventory::destroy_container(const std::string& handle) const {
  auto r = request(ep_.garden_host, ep_.garden_port, ep_.timeout, "DELETE",
                   "/containers/" + escaped(handle));
  if (r.status != 200 && r.status != 204 && r.status != 404)
    unexpected("garden destroy container " + handle, r);
}

void LocalInventory::destroy_volume(const std::string& handle) const {
  auto r = request(ep_.baggageclaim_host, ep_.baggageclaim_port, ep_.timeout, "DELETE",
                   "/volumes/" + escaped(handle));
  if (r.status != 200 && r.status != 204 && r.status != 404)
    unexpected("baggageclaim destroy volume " + handle, r);
}

void LocalInventory::cleanup_orphans() const {
  auto r = request(ep_.baggageclaim_host, ep_.baggageclaim_port, ep_.timeout, "POST",
                   "/volumes/cleanup-orphans");
  if (r.status / 100 != 2)
    unexpected("baggageclaim cleanup orphans", r);
}

}  // namespace concourse::worker::gc
