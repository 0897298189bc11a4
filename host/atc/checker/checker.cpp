#include "atc/checker/checker.hpp"

#include <future>
#include <vector>

#include "atc/checker/check_runner.hpp"
#include "atc/db/resources.hpp"
#include "atc/db/sql.hpp"
#include "atc/engine/steps.hpp"
#include "atc/engine/workers.hpp"
#include "atc/scheduler/wakeup.hpp"

namespace concourse::atc::checker {

using nlohmann::json;
namespace sql = db::sql;

namespace {

constexpr int64_t kNever = int64_t{1} << 62;
constexpr int kClaimBatch = 16;

// Seconds until the next periodic check of a resource with this config; kNever for `never`.
int64_t interval_of(const json& config, const CheckerOptions& o) {
  std::string every = config.value("check_every", "");
  if (every == "never")
    return kNever;
  if (!every.empty()) {
    try {
      auto ns = engine::parse_go_duration(every);
      return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(ns).count());
    } catch (const std::exception&) {
      // Validation rejects bad durations; an old config falls back to the default.
    }
  }
  bool webhook = !config.value("webhook_token", "").empty();
  auto d =
      std::chrono::duration_cast<std::chrono::seconds>(webhook ? o.webhook_interval : o.interval);
  return std::max<int64_t>(1, d.count());
}

}  // namespace

struct Checker::Claimed {
  db::ResourceRow resource;
  json from;  // a request's from_version, else null (the latest saved version)
};

Checker::Checker(db::Database& db, engine::WorkerSource& workers, CheckerOptions options,
                 concourse::log::Logger log)
    : db_(db),
      workers_(std::make_unique<engine::WorkerPool>(workers)),
      images_(std::make_unique<engine::ImageCache>()),
      options_(options),
      log_(std::move(log)) {}

Checker::~Checker() {
  stop();
}

void Checker::start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Checker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  scheduler::check_signal().notify();
  if (thread_.joinable())
    thread_.join();
}

void Checker::loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_)
        return;
    }
    try {
      check_once();
    } catch (const std::exception& e) {
      // A database outage must not end the loop: the next tick retries.
      log_.error("checking-failed", {{"error", e.what()}});
    }
    scheduler::check_signal().wait_for(options_.tick);
  }
}

// Due: next_check passed on an unpaused pipeline, or a queued request (paused or not). The
// claim moves next_check on and consumes the requests in the same transaction.
std::vector<Checker::Claimed> Checker::claim_due() {
  std::vector<Claimed> out;
  int64_t now = sql::unix_now();
  db_.transaction([&](db::Connection& c) {
    auto due = c.exec(
        "SELECT r.id, r.pipeline_id, r.name, r.config FROM resources r JOIN pipelines p ON "
        "p.id = r.pipeline_id WHERE r.active AND ((NOT p.paused AND r.next_check <= $1) OR "
        "EXISTS (SELECT 1 FROM resource_check_requests q WHERE q.resource_id = r.id)) "
        "ORDER BY r.next_check LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
        {sql::num(now), sql::num(kClaimBatch)});
    for (size_t i = 0; i < due.size(); ++i) {
      json config = json::parse(due.get(i, 3));
      int64_t every = interval_of(config, options_);
      int64_t next = every >= kNever ? kNever : now + every;
      c.exec("UPDATE resources SET next_check = $2, check_status = 'checking' WHERE id = $1",
             {due.get(i, 0), sql::num(next)});
      auto req = c.exec(
          "DELETE FROM resource_check_requests WHERE resource_id = $1 RETURNING from_version",
          {due.get(i, 0)});
      Claimed claimed;
      for (size_t k = 0; k < req.size(); ++k)
        if (!req.is_null(k, 0))
          claimed.from = json::parse(req.get(k, 0));
      claimed.resource.id = due.get_int(i, 0);
      claimed.resource.pipeline_id = due.get_int(i, 1);
      claimed.resource.name = due.get(i, 2);
      out.push_back(std::move(claimed));
    }
  });
  // Full rows (team, type, pin) come from the repository once the claim is committed.
  db::Resources resources(db_);
  for (auto& c : out) {
    if (auto r = resources.get(c.resource.pipeline_id, c.resource.name))
      c.resource = *r;
  }
  return out;
}

size_t Checker::check_once() {
  auto claimed = claim_due();
  // Resources are checked in parallel: a slow git clone must not hold up the others.
  std::vector<std::future<void>> running;
  for (const auto& c : claimed)
    running.push_back(std::async(std::launch::async, [this, &c] { check(c); }));
  for (auto& f : running)
    f.get();
  return claimed.size();
}

void Checker::check(const Claimed& c) {
  const auto& r = c.resource;
  db::Resources resources(db_);
  CheckCall call{r.team, r.type, {}, r.config.value("source", json::object()), c.from};
  if (r.config.contains("tags") && r.config["tags"].is_array())
    call.tags = r.config["tags"].get<std::vector<std::string>>();
  if (call.version.is_null()) {
    auto latest = resources.versions(r.id, 1);
    if (!latest.empty())
      call.version = latest.front().version;
  }
  CheckResult result = run_check(*workers_, *images_, call);
  try {
    size_t fresh = 0;
    if (result.ok) {
      for (const auto& v : result.versions) {
        bool known = !db_.exec(
                             "SELECT 1 FROM resource_versions WHERE resource_id = $1 AND "
                             "version = $2::jsonb",
                             {sql::num(r.id), v.dump()})
                          .empty();
        if (!known) {
          resources.save_version(r.id, v, json::array());
          ++fresh;
        }
      }
    }
    db_.exec(
        "UPDATE resources SET last_check = $2, check_error = $3, check_status = $4 "
        "WHERE id = $1",
        {sql::num(r.id), sql::num(sql::unix_now()), result.ok ? db::Param() : result.error,
         std::string(result.ok ? "succeeded" : "errored")});
    if (fresh > 0) {
      log_.info("new-versions",
                {{"resource", r.name}, {"pipeline", r.pipeline}, {"count", std::to_string(fresh)}});
      scheduler::schedule_signal().notify();
    }
    if (!result.ok)
      log_.info("check-failed", {{"resource", r.name}, {"error", result.error}});
  } catch (const std::exception& e) {
    log_.error("check-save-failed", {{"resource", r.name}, {"error", e.what()}});
  }
}

}  // namespace concourse::atc::checker
