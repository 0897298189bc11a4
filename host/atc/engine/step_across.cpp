// across: the substep once per combination of the vars' values, each iteration with
// `((.:var))` bound. Vars nest (the first varies slowest); each var's max_in_flight (a number,
// "all", or 1 by default) limits how many of its values run at once. With fail_fast, the first
// failing iteration stops the ones not yet finished. Every iteration gets plan ids of its own
// ("<id>/<n>") and a log line on the across step's origin when it starts and ends.
#include <thread>

#include "local_vars.hpp"
#include "steps.hpp"

namespace concourse::atc::engine {
namespace {

struct AcrossVar {
  std::string name;
  std::vector<json> values;
  size_t max_in_flight = 1;
};

std::vector<AcrossVar> across_vars(const json& body) {
  std::vector<AcrossVar> out;
  for (const auto& v : body.value("vars", json::array())) {
    AcrossVar var;
    var.name = v.value("name", "");
    const json& values = v.contains("values") ? v["values"] : json();
    if (!values.is_array())
      throw StepError("across var " + var.name + ": values must be a list, got " + values.dump());
    var.values.assign(values.begin(), values.end());
    json mif = v.value("max_in_flight", json());
    if (mif == "all") {
      var.max_in_flight = std::max<size_t>(var.values.size(), 1);
    } else if (mif.is_number_integer() || (mif.is_string() && !mif.get<std::string>().empty())) {
      try {
        long n = mif.is_string() ? std::stol(mif.get<std::string>()) : mif.get<long>();
        var.max_in_flight = n > 0 ? static_cast<size_t>(n) : 1;
      } catch (const std::exception&) {
        throw StepError("across var " + var.name + ": invalid max_in_flight " + mif.dump());
      }
    }
    out.push_back(std::move(var));
  }
  if (out.empty())
    throw StepError("across has no vars");
  return out;
}

// Plan ids (and the put ids dependent gets refer to) made unique to one iteration.
json with_suffix(const json& plan, const std::string& suffix) {
  if (plan.is_array()) {
    json out = json::array();
    for (const auto& item : plan)
      out.push_back(with_suffix(item, suffix));
    return out;
  }
  if (!plan.is_object())
    return plan;
  json out = json::object();
  for (const auto& [key, value] : plan.items()) {
    if ((key == "id" || key == "version_from") && value.is_string())
      out[key] = value.get<std::string>() + suffix;
    else if (key == "substep_template" && value.is_string())
      out[key] = with_suffix(json::parse(value.get<std::string>()), suffix).dump();
    else
      out[key] = with_suffix(value, suffix);
  }
  return out;
}

Outcome worst(const std::vector<Outcome>& results) {
  for (Outcome want : {Outcome::kErrored, Outcome::kFailed, Outcome::kAborted}) {
    for (Outcome o : results) {
      if (o == want)
        return o;
    }
  }
  return Outcome::kSucceeded;
}

const char* outcome_word(Outcome o) {
  switch (o) {
    case Outcome::kSucceeded:
      return "succeeded";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kAborted:
      return "aborted";
    case Outcome::kErrored:
      break;
  }
  return "errored";
}

class Across {
 public:
  Across(BuildContext& ctx, std::string id, const json& body, const Cancel& cancel)
      : ctx_(ctx), id_(std::move(id)), vars_(across_vars(body)), cancel_(cancel) {
    fail_fast_ = body.value("fail_fast", false);
    template_ = json::parse(body.value("substep_template", std::string("{}")));
    cancel_.groups.push_back(&stop_);
    total_ = 1;
    for (const auto& v : vars_)
      total_ *= v.values.size();
  }

  Outcome run() { return level(0, {}, 0); }

 private:
  using Bindings = std::vector<std::pair<std::string, json>>;

  Outcome level(size_t i, const Bindings& bound, size_t index) {
    const AcrossVar& var = vars_[i];
    std::vector<Outcome> results(var.values.size(), Outcome::kSucceeded);
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t k; (k = next.fetch_add(1)) < var.values.size();) {
        if (cancel_.stop()) {
          results[k] = Outcome::kAborted;
          continue;
        }
        Bindings b = bound;
        b.emplace_back(var.name, var.values[k]);
        size_t at = index * var.values.size() + k;
        results[k] = i + 1 < vars_.size() ? level(i + 1, b, at) : iteration(b, at);
        if (fail_fast_ && (results[k] == Outcome::kFailed || results[k] == Outcome::kErrored))
          stop_ = true;
      }
    };
    size_t threads = std::min(var.max_in_flight, var.values.size());
    if (threads <= 1) {
      work();
    } else {
      std::vector<std::thread> pool;
      for (size_t t = 0; t < threads; ++t)
        pool.emplace_back(work);
      for (auto& t : pool)
        t.join();
    }
    return worst(results);
  }

  Outcome iteration(const Bindings& bound, size_t index) {
    std::string label;
    for (const auto& [name, value] : bound)
      label += (label.empty() ? "" : ", ") + name + "=" +
               (value.is_string() ? value.get<std::string>() : value.dump());
    std::string head = "across: iteration " + std::to_string(index + 1) + "/" +
                       std::to_string(total_) + " (" + label + ")";
    ctx_.log_line(id_, "stdout", head + " started\n");
    LocalLookup lookup = [&bound](const config::VarRef& ref) -> std::optional<json> {
      for (const auto& [name, value] : bound) {
        if (name == ref.path)
          return descend(value, ref);
      }
      return std::nullopt;
    };
    json plan = with_suffix(substitute_local_vars(template_, lookup), "/" + std::to_string(index));
    Outcome o = run_plan(ctx_, plan, cancel_);
    ctx_.log_line(id_, "stdout", head + " " + outcome_word(o) + "\n");
    return o;
  }

  BuildContext& ctx_;
  std::string id_;
  std::vector<AcrossVar> vars_;
  Cancel cancel_;
  std::atomic<bool> stop_{false};
  bool fail_fast_ = false;
  json template_;
  size_t total_ = 0;
};

}  // namespace

Outcome run_across(BuildContext& ctx, const std::string& id, const json& body,
                   const Cancel& cancel) {
  Across across(ctx, id, body, cancel);
  Outcome o = across.run();
  if (cancel.stop())
    return Outcome::kAborted;
  return o;
}

}  // namespace concourse::atc::engine
