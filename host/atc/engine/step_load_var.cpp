// load_var: a file from an artifact becomes a local var, `((.:name))` to the steps after it.
// The format is json, yaml, trim (the default for other extensions) or raw.
#include <filesystem>

#include "atc/config/node.hpp"
#include "steps.hpp"
#include "task_config.hpp"

namespace concourse::atc::engine {
namespace {

std::string default_format(const std::string& file) {
  std::string ext = std::filesystem::path(file).extension().string();
  if (ext == ".json")
    return "json";
  if (ext == ".yml" || ext == ".yaml")
    return "yaml";
  return "trim";
}

std::string trimmed(const std::string& s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

json parse_as(const std::string& format, const std::string& text, const std::string& file) {
  if (format == "raw")
    return text;
  if (format == "trim")
    return trimmed(text);
  try {
    if (format == "json")
      return json::parse(text);
    if (format == "yaml" || format == "yml")
      return config::load_yaml(text).to_json();
  } catch (const std::exception& e) {
    throw StepError("failed to parse " + file + " in format " + format + ": " + e.what());
  }
  throw StepError("invalid format " + format + ": expected json, yaml, trim or raw");
}

}  // namespace

std::string read_step_file(BuildContext& ctx, const std::string& file) {
  size_t slash = file.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == file.size())
    throw StepError("file '" + file + "' is not <artifact>/<path>");
  std::string name = file.substr(0, slash);
  auto a = ctx.artifact(name);
  if (!a)
    throw StepError(file + ": unknown artifact source: '" + name + "'");
  return read_artifact_file(ctx, *a, file.substr(slash + 1));
}

Outcome run_load_var(BuildContext& ctx, const std::string& id, const json& body,
                     const Cancel& cancel) {
  std::string name = body.value("load_var", "");
  std::string file = body.value("file", "");
  std::string format = body.value("format", "");
  ctx.emit_origin("initialize", id);
  ctx.emit_origin("start", id);
  if (name.empty())
    throw StepError("load_var has no name");
  json value =
      parse_as(format.empty() ? default_format(file) : format, read_step_file(ctx, file), file);
  if (cancel.stop())
    return Outcome::kAborted;
  ctx.locals.set(name, std::move(value), body.value("reveal", false));
  ctx.emit_origin("finish", id, {{"succeeded", true}});
  return Outcome::kSucceeded;
}

}  // namespace concourse::atc::engine
