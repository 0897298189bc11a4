// Worker rows and their lifecycle, as Concourse's worker factory, worker lifecycle and worker
// collector keep them (reference §2.2). Times are unix seconds from the caller's clock.
#include "atc/db/workers.hpp"

#include <concourse/status.h>

#include <nlohmann/json.hpp>

#include "atc/db/sql.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

using core::Error;
using nlohmann::json;

// Works both after SELECT ... FROM workers and in RETURNING: team_id resolves to the row's.
constexpr const char* kColumns =
    "name, addr, baggageclaim_url, certs_path, http_proxy_url, https_proxy_url, no_proxy, "
    "active_containers, active_volumes, active_tasks, resource_types, platform, tags, "
    "(SELECT t.name FROM teams t WHERE t.id = team_id) AS team_name, version, start_time, "
    "ephemeral, state, "
    "expires, stalled_since";

std::string encode_types(const std::vector<WorkerResourceType>& types) {
  json out = json::array();
  for (const auto& t : types)
    out.push_back({{"type", t.type},
                   {"image", t.image},
                   {"version", t.version},
                   {"privileged", t.privileged},
                   {"unique_version_history", t.unique_version_history}});
  return out.dump();
}

std::vector<WorkerResourceType> decode_types(const std::string& text) {
  std::vector<WorkerResourceType> out;
  for (const auto& j : json::parse(text)) {
    WorkerResourceType t;
    t.type = j.value("type", "");
    t.image = j.value("image", "");
    t.version = j.value("version", "");
    t.privileged = j.value("privileged", false);
    t.unique_version_history = j.value("unique_version_history", false);
    out.push_back(std::move(t));
  }
  return out;
}

WorkerRow decode(const Rows& r, size_t i) {
  WorkerRow w;
  w.name = r.get(i, 0);
  w.addr = r.get(i, 1);
  w.baggageclaim_url = r.get(i, 2);
  w.certs_path = r.get(i, 3);
  w.http_proxy_url = r.get(i, 4);
  w.https_proxy_url = r.get(i, 5);
  w.no_proxy = r.get(i, 6);
  w.active_containers = r.get_int(i, 7);
  w.active_volumes = r.get_int(i, 8);
  w.active_tasks = r.get_int(i, 9);
  w.resource_types = decode_types(r.get(i, 10));
  w.platform = r.get(i, 11);
  w.tags = json::parse(r.get(i, 12)).get<std::vector<std::string>>();
  w.team = r.get(i, 13);
  w.version = r.get(i, 14);
  w.start_time = r.get_int(i, 15);
  w.ephemeral = r.get_bool(i, 16);
  w.state = r.get(i, 17);
  w.expires = sql::opt_int(r, i, 18);
  w.stalled_since = sql::opt_int(r, i, 19);
  return w;
}

std::optional<WorkerRow> first(const Rows& r) {
  if (r.empty())
    return std::nullopt;
  return decode(r, 0);
}

std::optional<int64_t> expiry(std::chrono::seconds ttl) {
  if (ttl.count() <= 0)
    return std::nullopt;
  return sql::unix_now() + ttl.count();
}

// A drain waits for builds it must not interrupt: one-off builds and builds of jobs that are
// not interruptible, while they are unfinished and still have a container on the worker.
constexpr const char* kNoBlockingBuild =
    "NOT EXISTS (SELECT 1 FROM containers c JOIN builds b ON b.id = c.build_id "
    "WHERE c.worker_name = workers.name AND NOT b.completed "
    "AND (b.one_off OR NOT b.interruptible))";

}  // namespace

WorkerRow Workers::save(WorkerRow w, std::chrono::seconds ttl) {
  if (w.name.empty())
    w.name = w.addr;
  if (w.name.empty())
    throw Error(CC_E_INVALID, "worker: missing name and garden address");
  if (w.state.empty())
    w.state = "running";
  std::vector<std::string> tags;
  for (auto& t : w.tags)
    if (!t.empty())
      tags.push_back(t);
  std::optional<WorkerRow> saved;
  db_.transaction([&](Connection& c) {
    Param team_id;
    if (!w.team.empty()) {
      auto t = c.exec("SELECT id FROM teams WHERE name = $1", {w.team});
      if (t.empty())
        throw Error(CC_E_INVALID, "worker " + w.name + ": team " + w.team + " does not exist");
      team_id = t.get(0, 0);
    }
    // The WHERE on the update keeps a name owned by one team (or global) from being taken over
    // by another: no row comes back and that is the conflict.
    auto r = c.exec(
        std::string(
            "INSERT INTO workers (name, addr, baggageclaim_url, certs_path, http_proxy_url, "
            "https_proxy_url, no_proxy, active_containers, active_volumes, active_tasks, "
            "resource_types, platform, tags, team_id, version, start_time, ephemeral, "
            "state, expires, stalled_since) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8::bigint, $9::bigint, $10::bigint, $11::jsonb, $12, $13::jsonb, "
            "$14::bigint, $15, $16::bigint, $17::boolean, $18, $19::bigint, NULL) "
            "ON CONFLICT (name) DO UPDATE SET addr = EXCLUDED.addr, "
            "baggageclaim_url = EXCLUDED.baggageclaim_url, "
            "certs_path = EXCLUDED.certs_path, http_proxy_url = EXCLUDED.http_proxy_url, "
            "https_proxy_url = EXCLUDED.https_proxy_url, no_proxy = EXCLUDED.no_proxy, "
            "active_containers = EXCLUDED.active_containers, "
            "active_volumes = EXCLUDED.active_volumes, "
            "active_tasks = EXCLUDED.active_tasks, "
            "resource_types = EXCLUDED.resource_types, platform = EXCLUDED.platform, "
            "tags = EXCLUDED.tags, version = EXCLUDED.version, "
            "start_time = EXCLUDED.start_time, ephemeral = EXCLUDED.ephemeral, "
            "state = EXCLUDED.state, expires = EXCLUDED.expires, stalled_since = NULL "
            "WHERE workers.team_id IS NOT DISTINCT FROM EXCLUDED.team_id RETURNING ") +
            kColumns,
        {w.name, sql::nullable(w.addr), sql::nullable(w.baggageclaim_url),
         sql::nullable(w.certs_path), sql::nullable(w.http_proxy_url),
         sql::nullable(w.https_proxy_url), sql::nullable(w.no_proxy), sql::num(w.active_containers),
         sql::num(w.active_volumes), sql::num(w.active_tasks), encode_types(w.resource_types),
         sql::nullable(w.platform), json(tags).dump(), team_id, sql::nullable(w.version),
         sql::num(w.start_time), sql::boolean(w.ephemeral), w.state, sql::nullable(expiry(ttl))});
    if (r.empty())
      throw Error(CC_E_CONFLICT, "worker " + w.name + " already exists for another team");
    saved = decode(r, 0);
  });
  return *saved;
}

std::optional<WorkerRow> Workers::heartbeat(const std::string& name, std::chrono::seconds ttl,
                                            int64_t active_containers, int64_t active_volumes) {
  return first(db_.exec(
      std::string("UPDATE workers SET expires = $2::bigint, active_containers = $3::bigint, "
                  "active_volumes = $4::bigint, stalled_since = NULL, state = CASE WHEN state IN "
                  "('landing', 'landed', 'retiring') THEN state ELSE 'running' END "
                  "WHERE name = $1 RETURNING ") +
          kColumns,
      {name, sql::nullable(expiry(ttl)), sql::num(active_containers), sql::num(active_volumes)}));
}

std::optional<WorkerRow> Workers::get(const std::string& name) {
  return first(
      db_.exec(std::string("SELECT ") + kColumns + " FROM workers WHERE name = $1", {name}));
}

std::vector<WorkerRow> Workers::list() {
  auto r = db_.exec(std::string("SELECT ") + kColumns + " FROM workers ORDER BY workers.name");
  std::vector<WorkerRow> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(decode(r, i));
  return out;
}

bool Workers::land(const std::string& name) {
  return db_.exec(
                "UPDATE workers SET state = CASE WHEN state = 'landed' THEN 'landed' ELSE "
                "'landing' END WHERE name = $1",
                {name})
             .affected() > 0;
}

bool Workers::retire(const std::string& name) {
  return db_.exec("UPDATE workers SET state = 'retiring' WHERE name = $1", {name}).affected() > 0;
}

bool Workers::prune(const std::string& name) {
  // One statement: the sub-select sees the row as it was before the DELETE, so a running
  // worker is told apart from an unknown one without a race.
  auto r = db_.exec(
      "WITH d AS (DELETE FROM workers WHERE name = $1 AND state <> 'running' RETURNING 1) "
      "SELECT (SELECT count(*) FROM d), (SELECT state FROM workers WHERE name = $1)",
      {name});
  if (r.get_int(0, 0) > 0)
    return true;
  if (!r.is_null(0, 1))
    throw Error(CC_E_CONFLICT, "cannot prune running worker");
  return false;
}

bool Workers::remove(const std::string& name) {
  return db_.exec("DELETE FROM workers WHERE name = $1", {name}).affected() > 0;
}

std::vector<std::string> Workers::collect(int64_t now) {
  std::vector<std::string> changed;
  db_.transaction([&](Connection& c) {
    changed.clear();
    auto add = [&](const Rows& r) {
      for (size_t i = 0; i < r.size(); ++i)
        changed.push_back(r.get(i, 0));
    };
    std::vector<Param> at{sql::num(now)};
    // Ephemeral rows first: stalling would NULL their expiry and they would never go away.
    add(c.exec("DELETE FROM workers WHERE ephemeral AND expires < $1::bigint RETURNING name", at));
    add(
        c.exec("UPDATE workers SET state = 'stalled', expires = NULL, stalled_since = $1::bigint "
               "WHERE state = 'running' AND expires < $1::bigint RETURNING name",
               at));
    add(c.exec(std::string("UPDATE workers SET state = 'landed', addr = NULL, "
                           "baggageclaim_url = NULL WHERE state = 'landing' AND ") +
                   kNoBlockingBuild + " RETURNING name",
               {}));
    add(c.exec(std::string("DELETE FROM workers WHERE state = 'retiring' AND ") + kNoBlockingBuild +
                   " RETURNING name",
               {}));
  });
  return changed;
}

}  // namespace concourse::atc::db
