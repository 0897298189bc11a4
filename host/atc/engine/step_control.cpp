// The steps that only arrange other steps: do, in_parallel, try, the hooks, timeout and retry,
// and the dispatch from a plan node to its step.
#include <thread>

#include "steps.hpp"

namespace concourse::atc::engine {
namespace {

// Hooks that must still run after an abort (on_abort, ensure) get a Cancel without it.
Cancel detached(const Cancel& c) {
  Cancel out = c;
  out.aborted = nullptr;
  out.groups.clear();
  return out;
}

Outcome run_do(BuildContext& ctx, const json& steps, const Cancel& cancel) {
  for (const auto& s : steps) {
    Outcome o = run_plan(ctx, s, cancel);
    if (o != Outcome::kSucceeded)
      return o;
  }
  return Outcome::kSucceeded;
}

Outcome run_in_parallel(BuildContext& ctx, const json& body, const Cancel& cancel) {
  const json& steps = body.is_array() ? body : body.value("steps", json::array());
  size_t limit = body.is_object() ? body.value("limit", 0) : 0;
  bool fail_fast = body.is_object() && body.value("fail_fast", false);
  if (limit == 0 || limit > steps.size())
    limit = steps.size();
  std::atomic<bool> stop_group{false};
  Cancel inner = cancel;
  inner.groups.push_back(&stop_group);
  std::vector<Outcome> results(steps.size(), Outcome::kSucceeded);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < steps.size();) {
      if (inner.stop()) {
        results[i] = Outcome::kAborted;
        continue;
      }
      results[i] = run_plan(ctx, steps[i], inner);
      if (fail_fast && (results[i] == Outcome::kFailed || results[i] == Outcome::kErrored))
        stop_group = true;
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 0; t < limit; ++t)
    threads.emplace_back(worker);
  for (auto& t : threads)
    t.join();
  if (cancel.stop())
    return Outcome::kAborted;
  // Siblings stopped by fail_fast report aborted; the failure that stopped them is the result.
  for (Outcome want : {Outcome::kErrored, Outcome::kFailed, Outcome::kAborted}) {
    for (Outcome o : results) {
      if (o == want)
        return o;
    }
  }
  return Outcome::kSucceeded;
}

const json& hook_body(const json& node, const char* key) {
  if (node.contains(key))
    return node[key];
  return node.at("next");  // tolerated spelling
}

Outcome run_hook(BuildContext& ctx, const char* key, const json& node, const Cancel& cancel) {
  const std::string k = key;
  Outcome o = run_plan(ctx, node.at("step"), cancel);
  const json& hook = hook_body(node, key);
  auto after = [&](const Cancel& c) { return run_plan(ctx, hook, c); };
  if (k == "on_success")
    return o == Outcome::kSucceeded ? after(cancel) : o;
  if (k == "on_failure") {
    if (o == Outcome::kFailed && after(cancel) == Outcome::kErrored)
      return Outcome::kErrored;
    return o;
  }
  if (k == "on_abort") {
    if (o == Outcome::kAborted && cancel.is_aborted())
      after(detached(cancel));
    return o;
  }
  if (k == "on_error") {
    if (o == Outcome::kErrored)
      after(cancel);
    return o;
  }
  Outcome h = after(detached(cancel));  // ensure
  return o == Outcome::kSucceeded ? h : o;
}

// Exceeding the duration fails the step (not the build's abort): the error event says why.
Outcome run_timeout(BuildContext& ctx, const std::string& id, const json& body,
                    const Cancel& cancel) {
  auto limit = parse_go_duration(body.value("duration", ""));
  Cancel inner = cancel;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit);
  if (!inner.deadline || deadline < *inner.deadline)
    inner.deadline = deadline;
  Outcome o = run_plan(ctx, body.at("step"), inner);
  if (o != Outcome::kSucceeded && std::chrono::steady_clock::now() >= deadline &&
      !cancel.is_aborted() && !cancel.group_stopped()) {
    ctx.error(id, "timeout exceeded");
    return Outcome::kFailed;
  }
  return o;
}

Outcome run_retry(BuildContext& ctx, const json& attempts, const Cancel& cancel) {
  Outcome o = Outcome::kSucceeded;
  for (const auto& attempt : attempts) {
    o = run_plan(ctx, attempt, cancel);
    if (o == Outcome::kSucceeded || o == Outcome::kAborted || cancel.stop())
      return o;
  }
  return o;
}

Outcome dispatch(BuildContext& ctx, const std::string& id, const json& given,
                 const Cancel& cancel) {
  json resolved;
  const json& plan = with_local_vars(ctx, given, resolved);
  if (plan.contains("load_var"))
    return run_load_var(ctx, id, plan["load_var"], cancel);
  if (plan.contains("set_pipeline"))
    return run_set_pipeline(ctx, id, plan["set_pipeline"], cancel);
  if (plan.contains("across"))
    return run_across(ctx, id, plan["across"], cancel);
  if (plan.contains("get"))
    return run_get(ctx, id, plan["get"], cancel);
  if (plan.contains("put"))
    return run_put(ctx, id, plan["put"], cancel);
  if (plan.contains("task"))
    return run_task(ctx, id, plan["task"], cancel);
  if (plan.contains("artifact_input"))
    return run_artifact_input(ctx, id, plan["artifact_input"], cancel);
  if (plan.contains("artifact_output"))
    return run_artifact_output(ctx, id, plan["artifact_output"], cancel);
  if (plan.contains("do"))
    return run_do(ctx, plan["do"], cancel);
  if (plan.contains("in_parallel"))
    return run_in_parallel(ctx, plan["in_parallel"], cancel);
  if (plan.contains("aggregate"))
    return run_in_parallel(ctx, plan["aggregate"], cancel);
  if (plan.contains("try")) {
    Outcome o = run_plan(ctx, plan["try"].at("step"), cancel);
    return o == Outcome::kAborted && cancel.is_aborted() ? o : Outcome::kSucceeded;
  }
  for (const char* hook : {"on_success", "on_failure", "on_abort", "on_error", "ensure"}) {
    if (plan.contains(hook))
      return run_hook(ctx, hook, plan[hook], cancel);
  }
  if (plan.contains("timeout"))
    return run_timeout(ctx, id, plan["timeout"], cancel);
  if (plan.contains("retry"))
    return run_retry(ctx, plan["retry"], cancel);
  for (const auto& [key, value] : plan.items()) {
    if (key != "id" && key != "attempts")
      throw StepError("the " + key + " step is not supported by this engine");
  }
  throw StepError("plan " + id + " has no step");
}

}  // namespace

Outcome run_plan(BuildContext& ctx, const json& plan, const Cancel& cancel) {
  std::string id = plan.is_object() ? plan.value("id", "") : "";
  if (cancel.stop())
    return Outcome::kAborted;
  try {
    if (!plan.is_object())
      throw StepError("plan is not an object");
    return dispatch(ctx, id, plan, cancel);
  } catch (const std::exception& e) {
    if (cancel.stop())
      return Outcome::kAborted;
    ctx.error(id, e.what());
    return Outcome::kErrored;
  }
}

}  // namespace concourse::atc::engine
