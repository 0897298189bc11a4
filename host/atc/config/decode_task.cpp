// Task configuration (atc/task.go): strict keys, and `params` values coerced to strings the way
// Concourse's CoercedString does, because they become environment variables.
#include "decoder.hpp"

#include <cmath>

namespace concourse::atc::config::detail {
namespace {

std::string coerce(const Node& v) {
  if (v.is_null())
    return "";
  if (v.is_string())
    return v.value().get<std::string>();
  const Json& j = v.to_json();
  // Go decodes YAML numbers to float64 and prints whole ones without a fraction.
  if (j.is_number_float() && std::trunc(j.get<double>()) == j.get<double>() &&
      std::fabs(j.get<double>()) < 1e15)
    return std::to_string(static_cast<int64_t>(j.get<double>()));
  return j.dump();
}

void decode_image_resource(Decoder& d, const Node& n, const std::string& path, ImageResource& out) {
  if (!d.expect_fields(n, path, {"name", "type", "source", "params", "version", "tags"}))
    return;
  d.field(n, "name", path, out.name);
  d.field(n, "type", path, out.type);
  d.field(n, "source", path, out.source);
  d.field(n, "params", path, out.params);
  d.field(n, "version", path, out.version);
  d.field(n, "tags", path, out.tags);
}

void decode_inputs(Decoder& d, const Node& n, const std::string& path,
                   std::vector<TaskInput>& out) {
  if (!d.expect_sequence(n, path))
    return;
  for (size_t i = 0; i < n.items().size(); ++i) {
    std::string at = index_path(path, i);
    const Node& item = n.items()[i];
    if (!d.expect_fields(item, at, {"name", "path", "optional"}))
      continue;
    TaskInput& input = out.emplace_back();
    d.field(item, "name", at, input.name);
    d.field(item, "path", at, input.path);
    d.field(item, "optional", at, input.optional);
  }
}

void decode_outputs(Decoder& d, const Node& n, const std::string& path,
                    std::vector<TaskOutput>& out) {
  if (!d.expect_sequence(n, path))
    return;
  for (size_t i = 0; i < n.items().size(); ++i) {
    std::string at = index_path(path, i);
    const Node& item = n.items()[i];
    // `optional` means nothing on an output, but real pipelines carry it and Concourse lets it
    // through, so it is accepted and dropped.
    if (!d.expect_fields(item, at, {"name", "path", "optional"}))
      continue;
    TaskOutput& output = out.emplace_back();
    d.field(item, "name", at, output.name);
    d.field(item, "path", at, output.path);
  }
}

void decode_caches(Decoder& d, const Node& n, const std::string& path,
                   std::vector<std::string>& out) {
  if (!d.expect_sequence(n, path))
    return;
  for (size_t i = 0; i < n.items().size(); ++i) {
    std::string at = index_path(path, i);
    const Node& item = n.items()[i];
    if (!d.expect_fields(item, at, {"path"}))
      continue;
    d.field(item, "path", at, out.emplace_back());
  }
}

void decode_run(Decoder& d, const Node& n, const std::string& path, TaskRun& out) {
  if (!d.expect_fields(n, path, {"path", "args", "dir", "user"}))
    return;
  d.field(n, "path", path, out.path);
  d.field(n, "args", path, out.args);
  d.field(n, "dir", path, out.dir);
  d.field(n, "user", path, out.user);
}

const Node* present(const Node& map, std::string_view key) {
  const Node* v = map.find(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

}  // namespace

void decode_task_config(Decoder& d, const Node& n, const std::string& path, TaskConfig& out) {
  if (!d.expect_fields(n, path,
                       {"platform", "image_resource", "rootfs_uri", "inputs", "outputs", "caches",
                        "params", "run", "container_limits"}))
    return;
  d.field(n, "platform", path, out.platform);
  d.field(n, "rootfs_uri", path, out.rootfs_uri);
  if (const Node* v = present(n, "image_resource"))
    decode_image_resource(d, *v, child_path(path, "image_resource"), out.image_resource.emplace());
  if (const Node* v = present(n, "inputs"))
    decode_inputs(d, *v, child_path(path, "inputs"), out.inputs);
  if (const Node* v = present(n, "outputs"))
    decode_outputs(d, *v, child_path(path, "outputs"), out.outputs);
  if (const Node* v = present(n, "caches"))
    decode_caches(d, *v, child_path(path, "caches"), out.caches);
  if (const Node* v = present(n, "params");
      v != nullptr && d.expect_map(*v, child_path(path, "params"))) {
    for (const Node::Entry& e : v->entries())
      out.params[e.key] = coerce(e.value);
  }
  if (const Node* v = present(n, "run"))
    decode_run(d, *v, child_path(path, "run"), out.run);
  if (const Node* v = present(n, "container_limits"))
    d.read_limits(*v, child_path(path, "container_limits"), out.container_limits.emplace());
}

}  // namespace concourse::atc::config::detail
