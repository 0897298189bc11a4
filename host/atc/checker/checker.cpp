#include "atc/checker/checker.hpp"

#include <algorithm>
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

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds until the next periodic check of a resource with this config; kNever for
// `never`.
int64_t interval_of(const json& config, const CheckerOptions& o) {
  std::string every = config.value("check_every", "");
  if (every == "never")
    return kNever;
  auto ms = [](std::chrono::nanoseconds d) {
    return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  if (!every.empty()) {
    try {
      return ms(engine::parse_go_duration(every));
    } catch (const std::exception&) {
      // Validation rejects bad durations; an old config falls back to the default.
    }
  }
  bool webhook = !config.value("webhook_token", "").empty();
  return ms(webhook ? o.webhook_interval : o.interval);
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
  wait_running(true);
}

// The loop never waits for a check: a slow git clone must not delay the next resource that
// falls due. It sleeps until the earliest next_check (or a check request wakes it), at most one
// tick, which is how it notices other web nodes' requests and new pipelines.
void Checker::loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_)
        return;
    }
    auto wait = options_.tick;
    try {
      start_due();
      wait_running(false);
      int64_t until = next_due_ms() - unix_ms();
      wait =
          std::clamp(std::chrono::milliseconds(until), std::chrono::milliseconds(0), options_.tick);
    } catch (const std::exception& e) {
      // A database outage must not end the loop: the next tick retries.
      log_.error("checking-failed", {{"error", e.what()}});
    }
    if (wait.count() > 0)
      scheduler::check_signal().wait_for(wait);
  }
}

size_t Checker::start_due() {
  auto claimed = claim_due();
  size_t started = 0;
  std::lock_guard lock(running_mu_);
  for (auto& c : claimed) {
    int64_t id = c.resource.id;
    if (!running_ids_.insert(id).second)
      continue;  // claimed twice in a race with a check that just ended; one is enough
    ++started;
    running_.push_back(std::async(std::launch::async, [this, c = std::move(c), id] {
      try {
        check(c);
      } catch (const std::exception& e) {
        log_.error("check-crashed", {{"resource", c.resource.name}, {"error", e.what()}});
      }
      {
        std::lock_guard l(running_mu_);
        running_ids_.erase(id);
      }
      scheduler::check_signal().notify();  // it may be due again already
    }));
  }
  return started;
}

void Checker::wait_running(bool all) {
  std::vector<std::future<void>> done;
  {
    std::lock_guard lock(running_mu_);
    for (auto it = running_.begin(); it != running_.end();) {
      if (all || it->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        done.push_back(std::move(*it));
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& f : done)
    f.get();
}

std::string Checker::running_array() {
  std::string out = "{";
  std::lock_guard lock(running_mu_);
  for (int64_t id : running_ids_)
    out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

int64_t Checker::next_due_ms() {
  // A resource still being checked is due again only once that check ends (it wakes the loop).
  auto r = db_.exec(
      "SELECT min(r.next_check) FROM resources r JOIN pipelines p ON p.id = r.pipeline_id "
      "WHERE r.active AND NOT p.paused AND NOT (r.id = ANY($1::bigint[]))",
      {running_array()});
  if (r.empty() || r.is_null(0, 0))
    return kNever;
  return r.get_int(0, 0);
}

// Due: next_check passed on an unpaused pipeline, or a queued request (paused or not). The
// claim moves next_check on and consumes the requests in the same transaction.
std::vector<Checker::Claimed> Checker::claim_due() {
  std::vector<Claimed> out;
  int64_t now = unix_ms();
  // Resources this node is still checking stay unclaimed, so their requests wait for them.
  std::string running = running_array();
  db_.transaction([&](db::Connection& c) {
    auto due = c.exec(
        "SELECT r.id, r.pipeline_id, r.name, r.config FROM resources r JOIN pipelines p ON "
        "p.id = r.pipeline_id WHERE r.active AND NOT (r.id = ANY($3::bigint[])) AND "
        "((NOT p.paused AND r.next_check <= $1) OR "
        "EXISTS (SELECT 1 FROM resource_check_requests q WHERE q.resource_id = r.id)) "
        "ORDER BY r.next_check LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
        {sql::num(now), sql::num(kClaimBatch), running});
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
  size_t n = start_due();
  wait_running(true);
  return n;
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
  auto started = std::chrono::steady_clock::now();
  CheckResult result = run_check(*workers_, *images_, call);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  log_.debug("checked", {{"resource", r.name},
                         {"pipeline", r.pipeline},
                         {"duration_ms", std::to_string(took)},
                         {"ok", result.ok ? "true" : "false"}});
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
