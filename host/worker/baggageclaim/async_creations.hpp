// POST /volumes-async: creation runs in the background and the ATC polls for it, then deletes
// the future. A cancelled creation that still completes is destroyed on completion.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "worker/baggageclaim/volume_store.hpp"

namespace concourse::worker::baggageclaim {

class AsyncCreations {
 public:
  explicit AsyncCreations(VolumeStore& store) : store_(store) {}
  ~AsyncCreations();  // waits for creations still running

  struct Status {
    bool done = false;
    std::optional<Volume> volume;
    std::string error;
    int32_t code = 0;
  };
  void start(const std::string& handle, Strategy strategy, Properties props, bool privileged,
             int64_t ttl);
  std::optional<Status> status(const std::string& handle);
  bool cancel(const std::string& handle);

 private:
  struct Future {
    Status status;
    bool cancelled = false;
  };
  VolumeStore& store_;
  std::mutex mu_;
  std::condition_variable idle_;
  int running_ = 0;
  std::map<std::string, Future> futures_;
};

}  // namespace concourse::worker::baggageclaim
