#include "atc/db_worker_source.hpp"

namespace concourse::atc {
namespace {

// As Concourse's pool: the same major version and at least the ATC's minor (2.5).
bool compatible(const std::string& version) {
  auto dot = version.find('.');
  if (dot == std::string::npos)
    return false;
  try {
    return std::stoi(version.substr(0, dot)) == 2 && std::stoi(version.substr(dot + 1)) >= 5;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::vector<engine::WorkerTarget> DbWorkerSource::running_workers() {
  std::vector<engine::WorkerTarget> out;
  for (const auto& w : workers_.list()) {
    if (w.state != "running" || w.addr.empty() || !compatible(w.version))
      continue;
    engine::WorkerTarget t;
    t.name = w.name;
    t.garden_addr = w.addr;
    t.baggageclaim_url = w.baggageclaim_url;
    t.team = w.team;
    t.tags = w.tags;
    t.active_containers = w.active_containers;
    t.active_volumes = w.active_volumes;
    for (const auto& rt : w.resource_types) {
      t.resource_types.push_back({{"type", rt.type},
                                  {"image", rt.image},
                                  {"version", rt.version},
                                  {"privileged", rt.privileged},
                                  {"unique_version_history", rt.unique_version_history}});
    }
    out.push_back(std::move(t));
  }
  return out;
}

void DbWorkerSource::owns(const engine::OwnedHandle& h) {
  db::ArtifactRow row;
  row.handle = h.handle;
  row.worker_name = h.worker;
  row.state = "created";
  row.team = h.team;
  row.build_id = h.build_id;
  row.type = h.type;
  db::Artifacts(db_, h.container ? db::ArtifactKind::Container : db::ArtifactKind::Volume)
      .save(row);
}

void DbWorkerSource::released(const engine::OwnedHandle& h) {
  db::Artifacts(db_, h.container ? db::ArtifactKind::Container : db::ArtifactKind::Volume)
      .set_state(h.handle, "destroying");
}

}  // namespace concourse::atc
