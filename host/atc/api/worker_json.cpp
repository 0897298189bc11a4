#include "atc/api/worker_json.hpp"

#include <algorithm>

#include "atc/api/request.hpp"
#include "core/flags.hpp"

namespace concourse::atc::api {
namespace {

using nlohmann::json;

template <typename T>
void read_field(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return;
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    throw HttpError::message(
        400, std::string("malformed worker: field '") + key + "' has the wrong type");
  }
}

db::WorkerResourceType resource_type_from_json(const json& j) {
  if (!j.is_object())
    throw HttpError::message(400, "malformed worker: resource_types items must be objects");
  db::WorkerResourceType t;
  read_field(j, "type", t.type);
  read_field(j, "image", t.image);
  read_field(j, "version", t.version);
  read_field(j, "privileged", t.privileged);
  read_field(j, "unique_version_history", t.unique_version_history);
  return t;
}

}  // namespace

json worker_to_json(const db::WorkerRow& w) {
  json types = json::array();
  for (const auto& t : w.resource_types) {
    types.push_back({{"type", t.type},
                     {"image", t.image},
                     {"version", t.version},
                     {"privileged", t.privileged},
                     {"unique_version_history", t.unique_version_history}});
  }
  json j{{"addr", w.addr}, {"baggageclaim_url", w.baggageclaim_url}};
  if (!w.certs_path.empty())
    j["certs_path"] = w.certs_path;
  if (!w.http_proxy_url.empty())
    j["http_proxy_url"] = w.http_proxy_url;
  if (!w.https_proxy_url.empty())
    j["https_proxy_url"] = w.https_proxy_url;
  if (!w.no_proxy.empty())
    j["no_proxy"] = w.no_proxy;
  j["active_containers"] = w.active_containers;
  j["active_volumes"] = w.active_volumes;
  j["active_tasks"] = w.active_tasks;
  j["resource_types"] = std::move(types);
  j["platform"] = w.platform;
  j["tags"] = w.tags;
  j["team"] = w.team;
  j["name"] = w.name;
  j["version"] = w.version;
  j["start_time"] = w.start_time;
  j["ephemeral"] = w.ephemeral;
  j["state"] = w.state;
  return j;
}

db::WorkerRow worker_from_json(const json& j) {
  if (!j.is_object())
    throw HttpError::message(400, "malformed worker: expected a JSON object");
  db::WorkerRow w;
  read_field(j, "addr", w.addr);
  read_field(j, "baggageclaim_url", w.baggageclaim_url);
  read_field(j, "certs_path", w.certs_path);
  read_field(j, "http_proxy_url", w.http_proxy_url);
  read_field(j, "https_proxy_url", w.https_proxy_url);
  read_field(j, "no_proxy", w.no_proxy);
  read_field(j, "active_containers", w.active_containers);
  read_field(j, "active_volumes", w.active_volumes);
  read_field(j, "active_tasks", w.active_tasks);
  read_field(j, "platform", w.platform);
  read_field(j, "team", w.team);
  read_field(j, "name", w.name);
  read_field(j, "version", w.version);
  read_field(j, "start_time", w.start_time);
  read_field(j, "ephemeral", w.ephemeral);
  read_field(j, "state", w.state);
  std::vector<std::string> tags;
  read_field(j, "tags", tags);
  for (auto& t : tags) {
    if (!t.empty())
      w.tags.push_back(std::move(t));
  }
  auto types = j.find("resource_types");
  if (types != j.end() && !types->is_null()) {
    if (!types->is_array())
      throw HttpError::message(400, "malformed worker: resource_types must be an array");
    for (const auto& t : *types)
      w.resource_types.push_back(resource_type_from_json(t));
  }
  return w;
}

void validate_registration(const db::WorkerRow& w) {
  if (w.addr.empty())
    throw HttpError::message(400, "missing garden address");
  bool numeric = std::all_of(w.version.begin(), w.version.end(),
                             [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (!numeric)
    throw HttpError::message(400, "invalid worker version, only numeric characters are allowed");
  static const char* kStates[] = {"", "running", "stalled", "landing", "landed", "retiring"};
  if (std::find(std::begin(kStates), std::end(kStates), w.state) == std::end(kStates))
    throw HttpError::message(400, "unknown worker state '" + w.state + "'");
}

std::chrono::seconds parse_ttl(const std::string& text) {
  if (text.empty())
    return std::chrono::seconds(0);
  try {
    auto d = core::parse_duration(text);
    if (d.count() < 0)
      throw core::UsageError("negative");
    // Rounded up: a 500ms ttl must not become "no expiry".
    return std::chrono::ceil<std::chrono::seconds>(d);
  } catch (const std::exception&) {  // UsageError, and std::stold's own on "."
    throw HttpError::message(400, "malformed ttl '" + text + "'");
  }
}

}  // namespace concourse::atc::api
