// Containers and volumes the ATC knows per worker, with Concourse's GC states (reference §8.1):
// creating, created, destroying, failed; and the report/destroying protocol workers use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

enum class ArtifactKind { Container, Volume };

struct ArtifactRow {
  std::string handle;
  std::string worker_name;
  std::string state;     // creating | created | destroying | failed
  std::string team;      // owning team, "" if none
  int64_t build_id = 0;  // 0 when not owned by a build
  std::string type;      // containers: check | get | put | task; volumes: container | resource ...
  std::optional<int64_t> missing_since;  // unix seconds
};

class Artifacts {
 public:
  Artifacts(Database& db, ArtifactKind kind) : db_(db), kind_(kind) {}

  void save(const ArtifactRow& row);  // upsert by handle
  std::optional<ArtifactRow> get(const std::string& handle);
  std::vector<ArtifactRow> list_for_team(const std::string& team);
  std::vector<ArtifactRow> list_for_worker(const std::string& worker);
  bool set_state(const std::string& handle, const std::string& state);

  // GET .../destroying?worker_name=N: handles in state destroying on that worker.
  std::vector<std::string> destroying(const std::string& worker);
  // PUT .../report?worker_name=N at `now`: unknown handles inserted as destroying; missing_since
  // cleared for reported ones and set for unreported non-creating ones; destroying rows not
  // reported deleted (destruction confirmed).
  void report(const std::string& worker, const std::vector<std::string>& handles, int64_t now);

  // Concourse keeps a failed build's containers and volumes for `fly intercept` until the next
  // build of its job starts: build-owned rows nobody can intercept any more become destroying,
  // for their worker's next sweep. Those are rows of finished builds that succeeded, are
  // one-off, or have a newer started build of their job, and rows whose build was deleted
  // (only job_id's builds when given). Returns the number of rows changed.
  size_t release_uninterceptible(std::optional<int64_t> job_id = std::nullopt);

 private:
  Database& db_;
  ArtifactKind kind_;
};

}  // namespace concourse::atc::db
