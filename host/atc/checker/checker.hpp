// The checker: every resource of an unpaused pipeline is checked every `check_every` (default
// --resource-checking-interval; `never` disables periodic checks), and at once when a check
// request (fly check-resource, the API, a webhook) is queued. A resource is claimed in a
// transaction with FOR UPDATE SKIP LOCKED and its next_check moved on before the check runs,
// so two web nodes never check it at once. New versions are saved in the order check printed
// them and wake the scheduler; a failed check's message is kept as the resource's check_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <set>
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
  // The longest the loop sleeps before re-reading the database for other nodes' requests and
  // new pipelines; it wakes earlier for the next due resource and for this node's requests.
  std::chrono::milliseconds tick = std::chrono::milliseconds(500);
};

class Checker {
 public:
  Checker(db::Database& db, engine::WorkerSource& workers, CheckerOptions options,
          concourse::log::Logger log);
  ~Checker();
  void start();
  void stop();
  // Claims the due resources and checks them, waiting for the checks; returns how many ran.
  size_t check_once();

 private:
  struct Claimed;
  void loop();
  std::vector<Claimed> claim_due();
  size_t start_due();           // claims and starts checks without waiting for them
  void wait_running(bool all);  // collects finished checks (all: waits for every one)
  int64_t next_due_ms();        // earliest next_check of an unpaused resource (unix ms)
  std::string running_array();  // running_ids_ as a PostgreSQL array literal
  void check(const Claimed& c);

  db::Database& db_;
  std::unique_ptr<engine::WorkerPool> workers_;
  std::unique_ptr<engine::ImageCache> images_;
  CheckerOptions options_;
  concourse::log::Logger log_;
  std::thread thread_;
  std::mutex mu_;
  bool stopping_ = false;
  std::mutex running_mu_;
  std::list<std::future<void>> running_;
  std::set<int64_t> running_ids_;  // resources with a check in flight on this node
};

}  // namespace concourse::atc::checker
