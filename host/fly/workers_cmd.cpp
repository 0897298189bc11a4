// fly workers, land-worker, prune-worker.
#include <chrono>
#include <ostream>

#include "core/flags.hpp"
#include "fly/common.hpp"
#include "fly/table.hpp"
#include "fly/workers.hpp"

namespace concourse::fly {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

Table workers_table(const std::vector<Worker>& workers, bool details, bool outdated) {
  Table t;
  t.headers =
      header_row({"name", "containers", "platform", "tags", "team", "state", "version", "age"});
  if (details) {
    for (auto& h :
         header_row({"garden address", "baggageclaim url", "active tasks", "resource types"}))
      t.headers.push_back(h);
  }
  int64_t now = unix_now();
  for (const auto& w : workers) {
    Cell version = w.version.empty() ? Cell{"none", Style::faint} : Cell{w.version};
    if (outdated)
      version.style = Style::red;
    std::string age = format_age(w.start_time, now);
    Row row{Cell{w.name},     Cell{std::to_string(w.active_containers)},
            Cell{w.platform}, or_none(join(w.tags)),
            or_none(w.team),  Cell{w.state},
            version,          Cell{age, age == "n/a" ? Style::faint : Style::plain}};
    if (details) {
      row.push_back(or_none(w.addr));
      row.push_back(or_none(w.baggageclaim_url));
      row.push_back(or_none(std::to_string(w.active_tasks)));
      row.push_back(or_none(join(w.resource_types)));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// The worker version this ATC schedules on. Older ATCs (and ours before /api/v1/info exists)
// answer 404; then fly assumes the released ATCs' 2.5 rather than failing the listing.
std::string required_worker_version(const Client& client) {
  try {
    auto info = client.get_json("/api/v1/info");
    std::string v = info.is_object() ? json_str(info, "worker_version") : "";
    return v.empty() ? kDefaultWorkerVersion : v;
  } catch (const UnexpectedResponse& e) {
    if (e.response().status == 404)
      return kDefaultWorkerVersion;
    throw;
  }
}

std::vector<Worker> list_workers(const Client& client, nlohmann::ordered_json* raw) {
  auto body = expect_array(client.get_json("/api/v1/workers"), "worker list");
  std::vector<Worker> workers;
  for (const auto& w : body)
    workers.push_back(worker_from_json(w));
  if (raw != nullptr)
    *raw = std::move(body);
  return workers;
}

void render_workers(Context& ctx, const WorkerGroups& g, bool details,
                    const std::string& required) {
  std::ostream& out = ctx.out;
  if (!ctx.out_is_tty) {
    // Piped output is one table to keep it greppable, in the same order fly uses.
    std::vector<Worker> all = g.running;
    all.insert(all.end(), g.outdated.begin(), g.outdated.end());
    all.insert(all.end(), g.stalled.begin(), g.stalled.end());
    workers_table(all, details, false).render(out, ctx.print_table_headers, false);
    return;
  }
  workers_table(g.running, details, false).render(out, ctx.print_table_headers, true);
  if (!g.outdated.empty()) {
    out << "\n\nthe following workers need to be updated to version \033[1m" << required
        << "\033[0m:\n\n";
    workers_table(g.outdated, details, true).render(out, ctx.print_table_headers, true);
  }
  if (!g.stalled.empty()) {
    out << "\n\nthe following workers have not checked in recently:\n\n";
    workers_table(g.stalled, details, false).render(out, ctx.print_table_headers, true);
    out << "\nthese stalled workers can be cleaned up by running:\n\n"
        << "    \033[1mfly -t " << ctx.target << " prune-worker -w (name)\033[0m\n\n";
  }
}

std::string worker_path(const std::string& name, const char* action) {
  return "/api/v1/workers/" + path_escape(name) + "/" + action;
}

}  // namespace

int workers_command(Context& ctx, const std::vector<std::string>& args) {
  bool details = false, json = false;
  Args a("workers");
  add_global_options(a, ctx);
  a.add_bool('d', "details", &details, "Print additional information for each worker");
  a.add_bool(0, "json", &json, "Print command result as JSON");
  expect_no_arguments(a.parse(args));
  auto target = load_target(ctx);
  Client client = client_for(ctx, target);
  nlohmann::ordered_json raw;
  auto workers = list_workers(client, &raw);
  if (json) {
    print_json(ctx.out, raw);
    return 0;
  }
  bool any_live = false;
  for (const auto& w : workers)
    any_live = any_live || w.state != "stalled";
  std::string required = any_live ? required_worker_version(client) : "";
  render_workers(ctx, classify_workers(std::move(workers), required), details, required);
  return 0;
}

int land_worker_command(Context& ctx, const std::vector<std::string>& args) {
  std::string name;
  Args a("land-worker");
  add_global_options(a, ctx);
  a.add_string('w', "worker", &name, "Worker to land");
  a.require("worker");
  expect_no_arguments(a.parse(args));
  Client client = client_for(ctx, load_target(ctx));
  client.call(HttpRequest{"PUT", worker_path(name, "land"), "", "", {}});
  ctx.out << "landed '" << name << "'\n";
  return 0;
}

int prune_worker_command(Context& ctx, const std::vector<std::string>& args) {
  std::string name;
  bool all_stalled = false;
  Args a("prune-worker");
  add_global_options(a, ctx);
  a.add_string('w', "worker", &name, "Worker to prune");
  a.add_bool('a', "all-stalled", &all_stalled, "Prune all stalled workers");
  expect_no_arguments(a.parse(args));
  if (name.empty() && !all_stalled)
    throw core::UsageError("Either a worker name or --all-stalled are required");
  Client client = client_for(ctx, load_target(ctx));
  std::vector<std::string> names;
  if (!name.empty())
    names.push_back(name);
  if (all_stalled) {
    for (const auto& w : list_workers(client, nullptr)) {
      if (w.state == "stalled")
        names.push_back(w.name);
    }
    if (names.empty())
      ctx.out << "WARNING: No stalled workers found.\n";
  }
  for (const auto& n : names) {
    try {
      client.call(HttpRequest{"PUT", worker_path(n, "prune"), "", "application/json", {}});
    } catch (const UnexpectedResponse& e) {
      // The ATC explains a refused prune ("cannot prune running worker") in a JSON stderr.
      if (e.response().status != 400)
        throw;
      auto body = nlohmann::json::parse(e.response().body, nullptr, false);
      std::string why = body.is_object() && body.contains("stderr") && body["stderr"].is_string()
                            ? body["stderr"].get<std::string>()
                            : e.what();
      throw Failure(why);
    }
    ctx.out << "pruned '" << n << "'\n";
  }
  return 0;
}

}  // namespace concourse::fly
