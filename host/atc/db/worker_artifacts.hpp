// fly execute's artifacts (reference §11.1): an integer id for a volume on a worker, either an
// upload or a one-off build's output. Rows live in PostgreSQL so every web node knows them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db {

struct WorkerArtifactRow {
  int64_t id = 0;
  std::string name;  // "" for uploads; the output's name for a build's
  std::string team, worker, volume;
  int64_t build_id = 0;  // 0 for uploads
  int64_t created_at = 0;
};

class WorkerArtifacts {
 public:
  explicit WorkerArtifacts(Database& db) : db_(db) {}

  // Fills id and created_at (now, unix seconds). CC_E_INVALID for an unknown team or worker.
  WorkerArtifactRow add(WorkerArtifactRow row, int64_t now);
  std::optional<WorkerArtifactRow> get(int64_t id);
  std::vector<WorkerArtifactRow> for_build(int64_t build_id);
  // Deletes the rows created before `before` and returns their volume handles.
  std::vector<std::string> expire(int64_t before);

 private:
  Database& db_;
};

}  // namespace concourse::atc::db
