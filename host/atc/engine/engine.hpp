// The BuildRunner that runs plans on real workers: Garden for containers, Baggageclaim for
// volumes. One Engine serves every build of a web node; the resource type images it imports
// are cached per worker across builds.
#pragma once

#include <memory>

#include "build_runner.hpp"
#include "core/log.hpp"
#include "placement.hpp"

namespace concourse::atc::engine {

class WorkerPool;
class ImageCache;
class PipelineStore;

class Engine : public BuildRunner {
 public:
  // pipelines: where set_pipeline steps save (nullptr: such steps error); placement: how
  // containers are spread over the workers (throws core::UsageError when invalid).
  Engine(WorkerSource& workers, log::Logger log, PipelineStore* pipelines = nullptr,
         const PlacementOptions& placement = {});
  ~Engine() override;

  std::string run(const BuildRequest& request, EventSink& events,
                  const std::atomic<bool>& aborted) override;

 private:
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<ImageCache> images_;
  PipelineStore* pipelines_;
  log::Logger log_;
};

}  // namespace concourse::atc::engine
