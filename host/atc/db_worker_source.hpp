// The engine's view of the cluster in a web node: the workers the database says are running and
// reachable (an address, a compatible version), read afresh for every placement so a worker that
// stalls or lands stops receiving new containers at once.
#pragma once

#include "atc/db/artifacts.hpp"
#include "atc/db/workers.hpp"
#include "atc/engine/build_runner.hpp"

namespace concourse::atc {

class DbWorkerSource : public engine::WorkerSource {
 public:
  explicit DbWorkerSource(db::Database& db) : db_(db), workers_(db) {}
  std::vector<engine::WorkerTarget> running_workers() override;
  // Rows in containers/volumes: `created` while the build holds the handle, `destroying` once
  // it let go, so the worker's report and the collector agree with the engine.
  void owns(const engine::OwnedHandle& h) override;
  void released(const engine::OwnedHandle& h) override;

 private:
  db::Database& db_;
  db::Workers workers_;
};

}  // namespace concourse::atc
