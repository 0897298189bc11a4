#include "atc/web_node.hpp"

#include "atc/db/artifacts.hpp"
#include "atc/db/builds.hpp"
#include "atc/db/teams.hpp"
#include "atc/db/workers.hpp"
#include "core/error.hpp"
#include "core/flags.hpp"

#include <concourse/status.h>
#include "atc/config/parse.hpp"
#include "atc/db_pipeline_store.hpp"
#include "atc/db_worker_source.hpp"
#include "atc/engine/engine.hpp"
#include "atc/engine/planner.hpp"
#include "atc/node_lease.hpp"

namespace concourse::atc {
namespace {

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

api::BuildEngine build_engine(const WebNodeOptions& o, engine::BuildRunner* own) {
  api::BuildEngine e{o.build_runner ? o.build_runner : own, o.planner};
  if (!e.planner)
    e.planner = &engine::plan_job;
  return e;
}

}  // namespace

WebNode::WebNode(WebNodeOptions options, concourse::log::Logger log)
    : options_(std::move(options)), log_(std::move(log)) {}

WebNode::~WebNode() {
  stop();
}

void WebNode::start() {
  db_ = db::Database::open(options_.postgres, concourse::log::Logger("db"));
  auth::setup_local_users(*db_, options_.local_users, options_.main_team_users, log_);

  // The TSA's client-credentials secret. Tokens live in the shared database, so a token this
  // node issues is accepted by every node; only issuing needs the secret, and this node's TSA
  // asks this node's token endpoint. So a per-process random secret works with any number of
  // web nodes, and nothing secret is stored. An explicit --tsa-client-secret (shared by every
  // node) is accepted as well, for TSAs pointed at another node's token URL.
  client_secret_ =
      options_.tsa.client_secret.empty() ? auth::random_secret() : options_.tsa.client_secret;
  concourse::log::register_secret(client_secret_);
  auth::Config ac;
  ac.worker_client_id = options_.tsa.client_id;
  ac.worker_client_secrets = {client_secret_};
  ac.token_ttl = options_.auth_duration;
  auth_ = std::make_unique<auth::Authenticator>(*db_, ac);

  // Builds run on the workers the database knows, unless the caller brought its own runner.
  if (!options_.build_runner) {
    worker_source_ = std::make_unique<DbWorkerSource>(*db_);
    pipeline_store_ = std::make_unique<DbPipelineStore>(*db_);
    engine_ = std::make_unique<engine::Engine>(*worker_source_, concourse::log::Logger("engine"),
                                               pipeline_store_.get(), options_.placement);
  }
  api_ = std::make_unique<api::Server>(options_.api, *db_, *auth_, concourse::log::Logger("api"),
                                       build_engine(options_, engine_.get()));
  api_->start();
  lease_ = std::make_unique<NodeLease>(*db_, api_->builds().node_name(), options_.lease_interval,
                                       options_.lease_ttl, concourse::log::Logger("web-node"));
  lease_->start();
  start_scheduling();
  if (!options_.tsa.host_key_path.empty())
    start_tsa();
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  collector_ = std::thread([this] { collector_loop(); });
  log_.info("web-started", {{"api_port", std::to_string(api_port())},
                            {"tsa_port", std::to_string(tsa_port())},
                            {"gc_interval", core::format_duration(options_.gc_interval)}});
}

// The scheduler plans with the same planner and runs builds through the same service as the
// API; the checker needs workers, so it runs only with this node's own engine.
void WebNode::start_scheduling() {
  api::BuildService& service = api_->builds();
  scheduler::BuildHooks hooks;
  hooks.plan = [&service](const db::PipelineRow& p, const db::JobRow& j,
                          const std::map<std::string, nlohmann::json>& versions) {
    auto pipeline = config::pipeline_from_json(p.config);
    const config::Job* job = pipeline.find_job(j.name);
    if (job == nullptr)
      throw core::Error(CC_E_NOT_FOUND, "job " + j.name + " not found in the pipeline's config");
    return service.plan(pipeline, *job, versions);
  };
  hooks.run = [&service](const db::BuildRow& b, int keep) { service.run(b, keep); };
  if (service.can_plan() && service.can_run()) {
    scheduler_ = std::make_unique<scheduler::Scheduler>(*db_, std::move(hooks), service.node_name(),
                                                        concourse::log::Logger("scheduler"),
                                                        options_.scheduler_interval);
    scheduler_->start();
  }
  if (worker_source_) {
    checker_ = std::make_unique<checker::Checker>(*db_, *worker_source_, options_.checking,
                                                  concourse::log::Logger("checker"));
    checker_->start();
  }
}

void WebNode::start_tsa() {
  tsa::Options t = options_.tsa;
  t.client_secret = client_secret_;
  if (t.atc_urls.empty()) {
    const std::string& ip = options_.api.bind_ip;
    std::string host = (ip.empty() || ip == "0.0.0.0" || ip == "::") ? "127.0.0.1" : ip;
    t.atc_urls = {"http://" + host + ":" + std::to_string(api_->port())};
  }
  log_.info("tsa-starting", {{"atc_urls", join(t.atc_urls)}});
  tsa_ = std::make_unique<tsa::Server>(std::move(t), concourse::log::Logger("tsa"));
  tsa_->start();
}

void WebNode::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (collector_.joinable())
    collector_.join();
  if (tsa_) {
    tsa_->stop();
    tsa_.reset();
  }
  scheduler_.reset();
  checker_.reset();
  if (api_) {
    const std::string node = api_->builds().node_name();
    api_->stop();
    api_.reset();
    // Running builds ended errored in stop(); a build claimed but not started goes back.
    try {
      db::Builds(*db_).release_claims(node);
    } catch (const std::exception& e) {
      log_.warn("release-claims-failed", {{"error", e.what()}});
    }
  }
  if (lease_) {
    lease_->stop();
    lease_.reset();
  }
  engine_.reset();
  pipeline_store_.reset();
  worker_source_.reset();
  auth_.reset();
  db_.reset();
}

bool WebNode::collect_once() {
  bool ran = db_->with_advisory_lock(db::kLockWorkerCollector, [this] {
    int64_t now = now_unix();
    auto changed = db::Workers(*db_).collect(now);
    size_t tokens = db::Tokens(*db_).delete_expired(now);
    // Catches what a build's own release missed: builds a dead node lost, pipelines destroyed.
    size_t released = db::Artifacts(*db_, db::ArtifactKind::Container).release_uninterceptible() +
                      db::Artifacts(*db_, db::ArtifactKind::Volume).release_uninterceptible();
    if (released > 0)
      log_.info("released-uninterceptible", {{"handles", std::to_string(released)}});
    collections_run_.fetch_add(1);
    if (!changed.empty() || tokens > 0) {
      log_.info("collected",
                {{"workers_changed", join(changed)}, {"tokens_deleted", std::to_string(tokens)}});
    }
  });
  if (!ran)
    log_.debug("collector-skipped", {{"reason", "another web node holds the lock"}});
  return ran;
}

void WebNode::collector_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, options_.gc_interval, [this] { return stopping_; }))
      break;
    lock.unlock();
    try {
      collect_once();
    } catch (const std::exception& e) {
      // A database outage must not end the loop: the next tick retries.
      log_.error("collector-failed", {{"error", e.what()}});
    }
    lock.lock();
  }
}

void WebNode::reload_tsa_keys() {
  if (tsa_)
    tsa_->reload_keys();
}

uint16_t WebNode::api_port() const {
  return api_ ? api_->port() : 0;
}

uint16_t WebNode::tsa_port() const {
  return tsa_ ? tsa_->port() : 0;
}

}  // namespace concourse::atc
