#include "parse.hpp"

#include "decoder.hpp"

#include <algorithm>
#include <tuple>

namespace concourse::atc::config {
namespace {

using detail::child_path;
using detail::Decoder;
using detail::index_path;

const Node* present(const Node& map, std::string_view key) {
  const Node* v = map.find(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

template <class T, class Fn>
void decode_list(Decoder& d, const Node& doc, std::string_view key, std::vector<T>& out, Fn fn) {
  const Node* list = present(doc, key);
  if (list == nullptr || !d.expect_sequence(*list, std::string(key)))
    return;
  for (size_t i = 0; i < list->items().size(); ++i)
    fn(list->items()[i], index_path(std::string(key), i), out.emplace_back());
}

void decode_resource(Decoder& d, const Node& n, const std::string& path, Resource& out) {
  if (!d.expect_fields(
          n, path,
          {"name", "old_name", "type", "source", "check_every", "check_timeout", "tags", "version",
           "icon", "public", "webhook_token", "expose_build_created_by"}))
    return;
  d.field(n, "name", path, out.name);
  d.field(n, "old_name", path, out.old_name);
  d.field(n, "type", path, out.type);
  d.field(n, "source", path, out.source);
  d.field(n, "check_every", path, out.check_every);
  d.field(n, "check_timeout", path, out.check_timeout);
  d.field(n, "tags", path, out.tags);
  d.field(n, "version", path, out.version);
  d.field(n, "icon", path, out.icon);
  d.field(n, "public", path, out.is_public);
  d.field(n, "webhook_token", path, out.webhook_token);
  d.field(n, "expose_build_created_by", path, out.expose_build_created_by);
}

void decode_resource_type(Decoder& d, const Node& n, const std::string& path, ResourceType& out) {
  if (!d.expect_fields(
          n, path,
          {"name", "type", "source", "defaults", "privileged", "check_every", "tags", "params"}))
    return;
  d.field(n, "name", path, out.name);
  d.field(n, "type", path, out.type);
  d.field(n, "source", path, out.source);
  d.field(n, "defaults", path, out.defaults);
  d.field(n, "privileged", path, out.privileged);
  d.field(n, "check_every", path, out.check_every);
  d.field(n, "tags", path, out.tags);
  d.field(n, "params", path, out.params);
}

void decode_retention(Decoder& d, const Node& n, const std::string& path, BuildLogRetention& out) {
  if (!d.expect_fields(n, path, {"builds", "days", "minimum_succeeded_builds"}))
    return;
  d.field(n, "builds", path, out.builds);
  d.field(n, "days", path, out.days);
  d.field(n, "minimum_succeeded_builds", path, out.minimum_succeeded_builds);
}

void decode_hook(Decoder& d, const Node& n, std::string_view key, const std::string& path,
                 StepPtr& out) {
  if (const Node* v = present(n, key)) {
    out = StepPtr(Step{});
    detail::decode_step(d, *v, child_path(path, key), *out);
  }
}

void decode_job(Decoder& d, const Node& n, const std::string& path, Job& out) {
  if (!d.expect_fields(
          n, path,
          {"name", "old_name", "plan", "serial", "serial_groups", "max_in_flight", "public",
           "interruptible", "disable_manual_trigger", "build_log_retention", "build_logs_to_retain",
           "on_success", "on_failure", "on_error", "on_abort", "ensure"}))
    return;
  d.field(n, "name", path, out.name);
  d.field(n, "old_name", path, out.old_name);
  if (const Node* plan = present(n, "plan"))
    detail::decode_plan(d, *plan, child_path(path, "plan"), out.plan);
  else
    d.error(n, child_path(path, "plan"), "missing required field");
  d.field(n, "serial", path, out.serial);
  d.field(n, "serial_groups", path, out.serial_groups);
  d.field(n, "max_in_flight", path, out.max_in_flight);
  d.field(n, "public", path, out.is_public);
  d.field(n, "interruptible", path, out.interruptible);
  d.field(n, "disable_manual_trigger", path, out.disable_manual_trigger);
  if (const Node* v = present(n, "build_log_retention"))
    decode_retention(d, *v, child_path(path, "build_log_retention"),
                     out.build_log_retention.emplace());
  d.field(n, "build_logs_to_retain", path, out.build_logs_to_retain);
  decode_hook(d, n, "on_success", path, out.on_success);
  decode_hook(d, n, "on_failure", path, out.on_failure);
  decode_hook(d, n, "on_error", path, out.on_error);
  decode_hook(d, n, "on_abort", path, out.on_abort);
  decode_hook(d, n, "ensure", path, out.ensure);
}

void decode_group(Decoder& d, const Node& n, const std::string& path, Group& out) {
  if (!d.expect_fields(n, path, {"name", "jobs", "resources"}))
    return;
  d.field(n, "name", path, out.name);
  d.field(n, "jobs", path, out.jobs);
  d.field(n, "resources", path, out.resources);
}

void decode_var_source(Decoder& d, const Node& n, const std::string& path, VarSource& out) {
  if (!d.expect_fields(n, path, {"name", "type", "config"}))
    return;
  d.field(n, "name", path, out.name);
  d.field(n, "type", path, out.type);
  d.field(n, "config", path, out.config);
}

void decode_display(Decoder& d, const Node& n, Display& out) {
  if (!d.expect_fields(n, "display", {"background_image", "background_filter"}))
    return;
  d.field(n, "background_image", "display", out.background_image);
  d.field(n, "background_filter", "display", out.background_filter);
}

Node prepare(std::string_view text, const ParseOptions& options) {
  Node doc = load_yaml(text);
  if (options.vars != nullptr)
    return interpolate(doc, *options.vars, {options.strict_vars});
  return doc;
}

// Reported in document order, so the list reads top to bottom like the file.
void throw_if_failed(const Decoder& d) {
  if (d.errors().empty())
    return;
  std::vector<ConfigError> errors = d.errors();
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.mark.line, a.mark.column) < std::tie(b.mark.line, b.mark.column);
  });
  throw ParseError(std::move(errors));
}

}  // namespace

Pipeline decode_pipeline(const Node& doc) {
  Decoder d;
  Pipeline p;
  if (doc.is_null())
    return p;
  if (!d.expect_map(doc, "")) {
    throw_if_failed(d);
    return p;
  }
  decode_list(
      d, doc, "resources", p.resources,
      [&](const Node& n, const std::string& at, Resource& r) { decode_resource(d, n, at, r); });
  auto type_fn = [&](const Node& n, const std::string& at, ResourceType& t) {
    decode_resource_type(d, n, at, t);
  };
  decode_list(d, doc, "resource_types", p.resource_types, type_fn);
  decode_list(d, doc, "prototypes", p.prototypes, type_fn);
  decode_list(d, doc, "jobs", p.jobs,
              [&](const Node& n, const std::string& at, Job& j) { decode_job(d, n, at, j); });
  decode_list(d, doc, "groups", p.groups,
              [&](const Node& n, const std::string& at, Group& g) { decode_group(d, n, at, g); });
  decode_list(
      d, doc, "var_sources", p.var_sources,
      [&](const Node& n, const std::string& at, VarSource& v) { decode_var_source(d, n, at, v); });
  if (const Node* display = present(doc, "display"))
    decode_display(d, *display, p.display.emplace());
  throw_if_failed(d);
  return p;
}

Pipeline parse_pipeline(std::string_view text, const ParseOptions& options) {
  return decode_pipeline(prepare(text, options));
}

TaskConfig decode_task_config(const Node& doc) {
  Decoder d;
  TaskConfig config;
  detail::decode_task_config(d, doc, "", config);
  throw_if_failed(d);
  return config;
}

TaskConfig parse_task_config(std::string_view text, const ParseOptions& options) {
  return decode_task_config(prepare(text, options));
}

Pipeline pipeline_from_json(const Json& json) {
  return decode_pipeline(Node::from_json(json));
}

TaskConfig task_config_from_json(const Json& json) {
  return decode_task_config(Node::from_json(json));
}

}  // namespace concourse::atc::config
