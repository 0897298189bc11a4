// `concourse web` as one object: the database (migrated at start), local users, the HTTP API,
// the in-process TSA and the periodic worker collector. Several WebNodes may share a database;
// the collector runs on whichever node holds its advisory lock at that moment.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "atc/api/server.hpp"
#include "atc/auth/authenticator.hpp"
#include "atc/auth/local_users.hpp"
#include "atc/checker/checker.hpp"
#include "atc/db/database.hpp"
#include "atc/engine/build_runner.hpp"
#include "atc/engine/pipeline_store.hpp"
#include "atc/engine/placement.hpp"
#include "atc/scheduler/scheduler.hpp"
#include "core/log.hpp"
#include "tsa/server.hpp"

namespace concourse::atc {

struct WebNodeOptions {
  db::ConnParams postgres;
  api::Options api;
  std::vector<auth::LocalUser> local_users;
  std::vector<std::string> main_team_users;
  std::chrono::seconds auth_duration = std::chrono::hours(24);
  std::chrono::nanoseconds gc_interval = std::chrono::seconds(30);
  // The TSA runs when tsa.host_key_path is set. Empty atc_urls = this node's API; an empty
  // client_secret = a random one made at start (see web_node.cpp for why that is enough).
  tsa::Options tsa;
  // Runs the builds the API creates (not owned; outlives the node). Null: triggering answers 503.
  engine::BuildRunner* build_runner = nullptr;
  // Turns a job into a plan; empty = the engine's plan_job when the engine is built in.
  api::Planner planner;
  // The checker (runs when the node has its own engine) and the scheduler.
  checker::CheckerOptions checking;
  std::chrono::milliseconds scheduler_interval = std::chrono::seconds(10);
  // This node's lease (see node_lease.hpp): renewed every interval; a peer whose lease is older
  // than ttl is taken for dead and its builds are errored or handed back.
  std::chrono::milliseconds lease_interval = std::chrono::seconds(5);
  std::chrono::milliseconds lease_ttl = std::chrono::seconds(30);
  // --container-placement-strategy and the per-worker limits of this node's own engine.
  engine::PlacementOptions placement;
};

class NodeLease;

class WebNode {
 public:
  WebNode(WebNodeOptions options, concourse::log::Logger log);
  ~WebNode();
  WebNode(const WebNode&) = delete;
  WebNode& operator=(const WebNode&) = delete;

  // Opens and migrates the database, saves local users, starts the API, the TSA and the
  // collector. Throws core::Error / core::UsageError with a message naming what failed.
  void start();
  void stop();  // idempotent

  // One collector pass if this node wins the cluster-wide lock; false when another node holds
  // it. Stalls, lands, retires and expires workers, then deletes expired tokens.
  bool collect_once();
  uint64_t collections_run() const { return collections_run_.load(); }

  void reload_tsa_keys();
  uint16_t api_port() const;
  uint16_t tsa_port() const;
  db::Database& database() { return *db_; }
  const std::string& worker_client_secret() const { return client_secret_; }

 private:
  void start_tsa();
  void start_scheduling();
  void collector_loop();

  WebNodeOptions options_;
  concourse::log::Logger log_;
  std::string client_secret_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<auth::Authenticator> auth_;
  std::unique_ptr<engine::WorkerSource> worker_source_;
  std::unique_ptr<engine::PipelineStore> pipeline_store_;  // set_pipeline steps save here
  std::unique_ptr<engine::BuildRunner> engine_;
  std::unique_ptr<api::Server> api_;
  std::unique_ptr<checker::Checker> checker_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<tsa::Server> tsa_;
  std::unique_ptr<NodeLease> lease_;

  std::thread collector_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<uint64_t> collections_run_{0};
};

}  // namespace concourse::atc
