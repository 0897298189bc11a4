// Where a task's configuration comes from: inline in the plan, or a file inside an artifact
// (config_path "<artifact>/<path>") read back out of its volume.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "atc/config/errors.hpp"
#include "atc/config/parse.hpp"
#include "core/archive/archive.hpp"
#include "task_config.hpp"
#include "workers.hpp"

namespace concourse::atc::engine {
namespace fs = std::filesystem;

std::string read_artifact_file(BuildContext& ctx, const Artifact& a, const std::string& path) {
  std::string tar;
  BaggageclaimClient bc(ctx.workers.find(a.worker).baggageclaim_url);
  try {
    bc.stream_out(a.volume, path, [&](const char* d, size_t n) { tar.append(d, n); });
  } catch (const std::exception& e) {
    throw StepError("reading " + path + " from the artifact: " + e.what());
  }
  char tmpl[] = "/tmp/concourse-engine-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw StepError("cannot create a temporary directory");
  std::string dir = tmpl;
  size_t off = 0;
  std::string text;
  try {
    core::archive::extract_stream(
        [&](char* buf, size_t n) {
          size_t k = std::min(n, tar.size() - off);
          std::copy_n(tar.data() + off, k, buf);
          off += k;
          return k;
        },
        dir, {});
    std::ifstream in(fs::path(dir) / fs::path(path).filename());
    if (!in)
      throw StepError(path + " is not a file");
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } catch (...) {
    fs::remove_all(dir);
    throw;
  }
  fs::remove_all(dir);
  return text;
}

config::TaskConfig load_task_config(BuildContext& ctx, const json& task) {
  config::TaskConfig cfg;
  if (task.contains("config") && task["config"].is_object()) {
    cfg = config::task_config_from_json(task["config"]);
  } else {
    std::string path = task.value("config_path", "");
    size_t slash = path.find('/');
    if (slash == std::string::npos || slash == 0)
      throw StepError("task config path '" + path + "' is not <artifact>/<file>");
    std::string name = path.substr(0, slash);
    auto a = ctx.artifact(name);
    if (!a)
      throw StepError("task config " + path + ": unknown artifact source: '" + name + "'");
    std::string text = read_artifact_file(ctx, *a, path.substr(slash + 1));
    try {
      cfg = config::parse_task_config(text);
    } catch (const std::exception& e) {
      throw StepError("task config " + path + ": " + e.what());
    }
  }
  auto problems = cfg.validate();
  if (!problems.empty()) {
    std::string msg = "invalid task configuration:";
    for (const auto& p : problems)
      msg += "\n" + p;
    throw StepError(msg);
  }
  if (task.contains("params") && task["params"].is_object()) {
    for (const auto& [k, v] : task["params"].items())
      cfg.params[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return cfg;
}

}  // namespace concourse::atc::engine
