#include "atc/scheduler/inputs.hpp"

#include <map>
#include <set>

#include "atc/db/resources.hpp"
#include "atc/db/sql.hpp"

namespace concourse::atc::scheduler {
namespace {

using nlohmann::json;
namespace sql = db::sql;

constexpr int kMaxCandidates = 200;

void walk(const json& node, std::vector<GetInput>& out) {
  if (node.is_array()) {
    for (const auto& e : node)
      walk(e, out);
    return;
  }
  if (!node.is_object())
    return;
  if (node.contains("get") && node["get"].is_string()) {
    GetInput in;
    in.name = node["get"].get<std::string>();
    in.resource = node.value("resource", in.name);
    in.trigger = node.value("trigger", false);
    if (node.contains("passed") && node["passed"].is_array())
      for (const auto& p : node["passed"])
        in.passed.push_back(p.get<std::string>());
    if (node.contains("version")) {
      const json& v = node["version"];
      if (v.is_object()) {
        in.mode = "pinned";
        in.pinned = v;
      } else if (v.is_string() && v.get<std::string>() == "every") {
        in.mode = "every";
      }
    }
    bool seen = false;
    for (const auto& o : out)
      seen = seen || o.name == in.name;
    if (!seen)
      out.push_back(std::move(in));
  }
  for (const auto& [k, v] : node.items()) {
    // Task configs and params are data, not steps.
    if (k != "config" && k != "params" && k != "source" && k != "get_params")
      walk(v, out);
  }
}

struct Candidate {
  std::string version;                          // PostgreSQL's canonical jsonb text
  std::map<int64_t, std::set<int64_t>> builds;  // passed job id -> its succeeded builds
};

struct Resolved {
  const GetInput* get = nullptr;
  int64_t resource_id = 0;
  std::vector<int64_t> passed_jobs;
  std::vector<Candidate> candidates;
};

using Constraints = std::map<int64_t, std::set<int64_t>>;

std::vector<Candidate> candidates(db::Database& db, const Resolved& r, int64_t job_id,
                                  const json& pinned) {
  // every: the versions this job has not used yet, oldest first, then the used ones newest
  // first (so a manual trigger still has something to run).
  std::string order = r.get->mode == "every"
                          ? "used, CASE WHEN used THEN -check_order ELSE check_order END"
                          : "check_order DESC";
  auto rows = db.exec(
      "SELECT version, used FROM (SELECT v.version::text AS version, v.check_order, EXISTS (SELECT "
      "1 FROM build_inputs bi JOIN builds b ON "
      "b.id = bi.build_id WHERE b.job_id = $2 AND bi.name = $3 AND bi.resource_id = v.resource_id "
      "AND bi.version = v.version) AS used FROM resource_versions v WHERE v.resource_id = $1 "
      "AND v.enabled AND ($4::jsonb IS NULL OR v.version @> $4::jsonb)) c ORDER BY " +
          order + " LIMIT " + std::to_string(kMaxCandidates),
      {sql::num(r.resource_id), sql::num(job_id), r.get->name,
       pinned.is_null() ? db::Param() : db::Param(pinned.dump())});
  std::vector<Candidate> out;
  for (size_t i = 0; i < rows.size(); ++i)
    out.push_back({rows.get(i, 0), {}});
  if (r.passed_jobs.empty() || out.empty())
    return out;
  std::string ids = "{";
  for (auto id : r.passed_jobs)
    ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  ids += "}";
  auto used = db.exec(
      "SELECT io.version::text, b.job_id, b.id FROM (SELECT build_id, resource_id, version FROM "
      "build_inputs UNION SELECT build_id, resource_id, version FROM build_outputs) io "
      "JOIN builds b ON b.id = io.build_id WHERE io.resource_id = $1 AND b.status = 'succeeded' "
      "AND b.job_id = ANY($2::bigint[])",
      {sql::num(r.resource_id), ids});
  std::map<std::string, std::map<int64_t, std::set<int64_t>>> by_version;
  for (size_t i = 0; i < used.size(); ++i)
    by_version[used.get(i, 0)][used.get_int(i, 1)].insert(used.get_int(i, 2));
  std::vector<Candidate> passed;
  for (auto& c : out) {
    auto it = by_version.find(c.version);
    if (it == by_version.end() || it->second.size() != r.passed_jobs.size())
      continue;
    c.builds = it->second;
    passed.push_back(std::move(c));
  }
  return passed;
}

// Depth first over the inputs: a candidate fits when, for every upstream job it shares with
// inputs chosen before it, some build of that job used both.
bool search(const std::vector<Resolved>& rs, size_t i, Constraints& constraints,
            std::vector<const Candidate*>& chosen) {
  if (i == rs.size())
    return true;
  for (const auto& c : rs[i].candidates) {
    Constraints next = constraints;
    bool fits = true;
    for (const auto& [job, builds] : c.builds) {
      auto it = next.find(job);
      if (it == next.end()) {
        next[job] = builds;
        continue;
      }
      std::set<int64_t> both;
      for (auto b : builds)
        if (it->second.count(b) > 0)
          both.insert(b);
      if (both.empty()) {
        fits = false;
        break;
      }
      it->second = std::move(both);
    }
    if (!fits)
      continue;
    chosen.push_back(&c);
    if (search(rs, i + 1, next, chosen))
      return true;
    chosen.pop_back();
  }
  return false;
}

bool used_by_job(db::Database& db, int64_t job_id, const db::BuildInput& in) {
  return !db.exec(
                "SELECT 1 FROM build_inputs bi JOIN builds b ON b.id = bi.build_id "
                "WHERE b.job_id = $1 AND bi.name = $2 AND bi.resource_id = $3 AND "
                "bi.version = $4::jsonb LIMIT 1",
                {sql::num(job_id), in.name, sql::num(in.resource_id), in.version.dump()})
              .empty();
}

}  // namespace

std::vector<GetInput> job_inputs(const json& job_config) {
  std::vector<GetInput> out;
  walk(job_config, out);
  return out;
}

InputSet select_inputs(db::Database& db, int64_t pipeline_id, int64_t job_id,
                       const json& job_config) {
  InputSet out;
  auto gets = job_inputs(job_config);
  std::map<std::string, int64_t> job_ids;
  auto jobs = db.exec("SELECT name, id FROM jobs WHERE pipeline_id = $1", {sql::num(pipeline_id)});
  for (size_t i = 0; i < jobs.size(); ++i)
    job_ids[jobs.get(i, 0)] = jobs.get_int(i, 1);
  db::Resources resources(db);
  std::vector<Resolved> rs;
  for (const auto& g : gets) {
    Resolved r{&g, 0, {}, {}};
    auto row = resources.get(pipeline_id, g.resource);
    if (!row) {
      out.waiting = "resource '" + g.resource + "' not found";
      return out;
    }
    r.resource_id = row->id;
    for (const auto& p : g.passed) {
      auto it = job_ids.find(p);
      if (it == job_ids.end()) {
        out.waiting = "input '" + g.name + "': passed job '" + p + "' not found";
        return out;
      }
      r.passed_jobs.push_back(it->second);
    }
    json pinned = g.mode == "pinned" ? g.pinned : row->pinned_version.value_or(json());
    r.candidates = candidates(db, r, job_id, pinned);
    if (r.candidates.empty()) {
      out.waiting = "waiting for a version of input '" + g.name + "'" +
                    (g.passed.empty() ? std::string() : " that passed its upstream jobs");
      return out;
    }
    rs.push_back(std::move(r));
  }
  Constraints constraints;
  std::vector<const Candidate*> chosen;
  if (!search(rs, 0, constraints, chosen)) {
    out.waiting = "no set of input versions comes from one build of the shared passed jobs";
    return out;
  }
  out.ready = true;
  for (size_t i = 0; i < rs.size(); ++i) {
    db::BuildInput in{rs[i].get->name, rs[i].resource_id, json::parse(chosen[i]->version)};
    if (rs[i].get->trigger && !used_by_job(db, job_id, in))
      out.has_new_trigger = true;
    out.inputs.push_back(std::move(in));
  }
  return out;
}

}  // namespace concourse::atc::scheduler
