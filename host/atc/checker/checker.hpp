// The checker: every resource of an unpaused pipeline is checked every `check_every` (default
// --resource-checking-interval; `never` disables periodic checks), and at once when a check
// request (fly check-resource, the API, a webhook) is queued. A resource is claimed in a
// transaction with FOR UPDATE SKIP LOCKED and its next_check moved on before the check runs,
// so two web nodes never check it at once. New versions are saved in the order check printed
// them and wake the scheduler; a failed check's message is kept as the resource's check_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "atc/db/database.hpp"
#include "atc/engine/build_runner.hpp"
#include "core/log.hpp"

namespace concourse::atc::engine {
class WorkerPool;
class ImageCache;
}  // namespace concourse::atc::engine

namespace concourse::atc::checker {

struct CheckerOptions {
  std::chrono::nanoseconds interval = std::chrono::minutes(1);
  std::chrono::nanoseconds webhook_interval = std::chrono::minutes(1);  // resources with a token
  // How often the loop re-reads the database for due resources and other nodes' requests.
  std::chrono::milliseconds tick = std::chrono::milliseconds(500);
};

class Checker {
 public:
  Checker(db::Database& db, engine::WorkerSource& workers, CheckerOptions options,
          concourse::log::Logger log);
  ~Checker();
  void start();
  void stop();
  // Claims the due resources and checks them; returns how many were checked.
  size_t check_once();

 private:
  struct Claimed;
  void loop();
  std::vector<Claimed> claim_due();
  void check(const Claimed& c);

  db::Database& db_;
  std::unique_ptr<engine::WorkerPool> workers_;
  std::unique_ptr<engine::ImageCache> images_;
  CheckerOptions options_;
  concourse::log::Logger log_;
  std::thread thread_;
  std::mutex mu_;
  bool stopping_ = false;
};

}  // namespace concourse::atc::checker
