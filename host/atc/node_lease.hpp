// This web node's lease in the shared database, renewed every `interval`. Each renewal also
// looks for nodes whose lease is older than `ttl` (they died without stopping): their started
// builds are errored with a message saying so, and the pending builds they had claimed go back
// to the scheduler. A clean stop gives the lease up.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "atc/db/database.hpp"
#include "core/log.hpp"

namespace concourse::atc {

class NodeLease {
 public:
  NodeLease(db::Database& db, std::string name, std::chrono::milliseconds interval,
            std::chrono::milliseconds ttl, concourse::log::Logger log);
  ~NodeLease();
  void start();  // renews once before returning, then in the background
  void stop();   // idempotent; removes the lease
  // One renewal and one sweep of expired peers; returns how many peers were expired.
  size_t renew_once();

 private:
  void loop();

  db::Database& db_;
  std::string name_;
  std::chrono::milliseconds interval_, ttl_;
  concourse::log::Logger log_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace concourse::atc
