#include "fly/workers.hpp"

#include <algorithm>
#include <cctype>

#include "fly/fly.hpp"

namespace concourse::fly {
namespace {

using Json = nlohmann::ordered_json;

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// Splits "2.5.1" into numbers; false when a component is empty or not all digits.
bool numeric_components(const std::string& v, std::vector<long>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    std::string part = v.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty() || part.size() > 9 ||
        !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); }))
      return false;
    out.push_back(std::stol(part));
    if (dot == std::string::npos)
      return true;
    start = dot + 1;
  }
}

}  // namespace

Worker worker_from_json(const Json& j) {
  if (!j.is_object())
    throw Failure("malformed worker in the ATC's answer: expected an object");
  Worker w;
  w.name = str(j, "name");
  w.platform = str(j, "platform");
  w.team = str(j, "team");
  w.state = str(j, "state");
  w.version = str(j, "version");
  w.addr = str(j, "addr");
  w.baggageclaim_url = str(j, "baggageclaim_url");
  w.active_containers = num(j, "active_containers");
  w.active_tasks = num(j, "active_tasks");
  w.start_time = num(j, "start_time");
  if (auto it = j.find("tags"); it != j.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string())
        w.tags.push_back(t.get<std::string>());
    }
  }
  if (auto it = j.find("resource_types"); it != j.end() && it->is_array()) {
    for (const auto& rt : *it) {
      if (rt.is_object())
        w.resource_types.push_back(str(rt, "type"));
    }
  }
  return w;
}

std::string format_age(int64_t start_time, int64_t now) {
  constexpr int64_t minute = 60, hour = 60 * minute, day = 24 * hour;
  int64_t age = now - start_time;
  if (start_time <= 0 || age < 0)
    return "n/a";
  if (age / day > 0)
    return std::to_string(age / day) + "d";
  if (age / hour > 0)
    return std::to_string(age / hour) + "h" + std::to_string((age % hour) / minute) + "m";
  if (age / minute > 0)
    return std::to_string(age / minute) + "m" + std::to_string(age % minute) + "s";
  return std::to_string(age) + "s";
}

bool worker_version_compatible(const std::string& worker_version, const std::string& required) {
  if (required.empty())
    return true;
  std::vector<long> want, have;
  if (!numeric_components(required, want) || !numeric_components(worker_version, have))
    return false;
  long want_minor = want.size() > 1 ? want[1] : 0;
  long have_minor = have.size() > 1 ? have[1] : 0;
  return have[0] == want[0] && have_minor >= want_minor;
}

WorkerGroups classify_workers(std::vector<Worker> workers, const std::string& required_version) {
  std::stable_sort(workers.begin(), workers.end(),
                   [](const Worker& a, const Worker& b) { return a.name < b.name; });
  WorkerGroups g;
  for (auto& w : workers) {
    if (w.state == "stalled")
      g.stalled.push_back(std::move(w));
    else if (!worker_version_compatible(w.version, required_version))
      g.outdated.push_back(std::move(w));
    else
      g.running.push_back(std::move(w));
  }
  return g;
}

}  // namespace concourse::fly
