// The mock resource: versions come from the config or the request, so pipelines can be tested
// without the outside world (semantics of concourse/mock-resource).
#include "duration.hpp"
#include "resource.hpp"

#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace concourse::resource;

namespace {

// Same test as the real resource: a uid_map that maps container root to host root.
bool is_privileged() {
  std::ifstream in("/proc/self/uid_map");
  if (!in) {
    throw Error("could not check privilege: cannot read /proc/self/uid_map");
  }
  long long inner = 0, outer = 0, length = 0;
  while (in >> inner >> outer >> length) {
    if (inner == 0 && outer == 0) {
      return true;
    }
  }
  return false;
}

json make_version(const std::string& v, bool privileged) {
  json out = {{"version", v}};
  if (privileged) {
    out["privileged"] = "true";
  }
  return out;
}

json source_metadata(const json& source) {
  json out = json::array();
  if (!has(source, "metadata")) {
    return out;
  }
  if (!source["metadata"].is_array()) {
    throw Error("invalid field 'metadata': expected a list of name/value pairs");
  }
  for (const auto& f : source["metadata"]) {
    out.push_back(metadata_field(get_string(f, "name"), get_string(f, "value")));
  }
  return out;
}

std::string initial_version(const json& source) {
  std::string v = get_string(source, "initial_version");
  if (!v.empty()) {
    return v;
  }
  // Set in the image metadata when the resource mirrored itself as a task image.
  const char* mirrored = std::getenv("MIRRORED_VERSION");
  return (mirrored != nullptr && *mirrored != '\0') ? mirrored : "mock";
}

json check(const Request& req) {
  std::string delay = get_string(req.source, "check_delay");
  if (!delay.empty()) {
    std::this_thread::sleep_for(parse_go_duration(delay));
  }
  std::string failure = get_string(req.source, "check_failure");
  if (!failure.empty()) {
    throw Error("intentionally failing to check: " + failure);
  }
  bool priv = is_privileged();
  json out = json::array();
  std::string forced = get_string(req.source, "force_version");
  if (!forced.empty()) {
    out.push_back(make_version(forced, priv));
  } else if (!req.version.empty()) {
    json v = req.version;
    if (priv) {
      v["privileged"] = "true";
    }
    out.push_back(v);
  } else if (!get_bool(req.source, "no_initial_version")) {
    out.push_back(make_version(initial_version(req.source), priv));
  }
  return out;
}

void create_files(const fs::path& dest, const json& files, const char* field_name) {
  if (files.is_null()) {
    return;
  }
  if (!files.is_object()) {
    throw Error(std::string("invalid field '") + field_name + "': expected a map of files");
  }
  for (const auto& [name, content] : files.items()) {
    fs::path target = dest / name;
    fs::create_directories(target.parent_path());
    // Non-string contents are written as JSON, as the real resource marshals them.
    write_file(target, content.is_string() ? content.get<std::string>() : content.dump());
  }
}

// Copies the filesystem the resource runs in, which is its own rootfs inside a container.
void mirror_self(const fs::path& rootfs) {
  const char* override_root = std::getenv("CONCOURSE_MOCK_MIRROR_ROOT");
  fs::path root = override_root != nullptr ? override_root : "/";
  fs::create_directories(rootfs);
  for (const auto& entry : fs::directory_iterator(root)) {
    std::string name = entry.path().filename().string();
    fs::path to = rootfs / name;
    if (name == "tmp" || name == "dev" || name == "proc" || name == "sys") {
      fs::create_directories(to);
      continue;
    }
    fs::copy(entry.path(), to,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                 fs::copy_options::overwrite_existing);
  }
}

json in(const Request& req, const fs::path& dest) {
  fs::create_directories(dest);
  std::string version = get_string(req.version, "version");
  write_file(dest / "version", version + "\n");
  write_file(dest / "privileged", is_privileged() ? "true" : "false");
  create_files(dest, has(req.source, "create_files") ? req.source["create_files"] : json(),
               "create_files");
  create_files(
      dest,
      has(req.params, "create_files_via_params") ? req.params["create_files_via_params"] : json(),
      "create_files_via_params");
  if (get_bool(req.source, "mirror_self") || get_bool(req.params, "mirror_self_via_params")) {
    mirror_self(dest / "rootfs");
    json meta = {{"env", json::array({"MIRRORED_VERSION=" + version})}, {"user", "root"}};
    write_file(dest / "metadata.json", meta.dump() + "\n");
  }
  return json{{"version", req.version}, {"metadata", source_metadata(req.source)}};
}

json out(const Request& req, const fs::path& src) {
  std::string version = get_string(req.params, "version");
  std::string file = get_string(req.params, "file");
  if (!file.empty()) {
    version = trim(read_file(src / file));
  }
  if (get_bool(req.params, "print_env")) {
    // stdout is reserved for the JSON response, so the environment goes to the build log.
    for (char** e = environ; *e != nullptr; ++e) {
      log(*e);
    }
  }
  bool priv = is_privileged();
  if (priv) {
    log("pushing in a privileged container");
  }
  log("pushing version: " + version);
  return json{{"version", make_version(version, priv)}, {"metadata", source_metadata(req.source)}};
}

}  // namespace

int main(int argc, char** argv) {
  return run_main(
      argc, argv,
      [](const std::string& cmd, const Request& req, const std::vector<std::string>& args) -> json {
        std::string message = get_string(req.source, "log");
        if (!message.empty()) {
          log(message);
        }
        if (cmd == "check") {
          return check(req);
        }
        return cmd == "in" ? in(req, args[0]) : out(req, args[0]);
      });
}
