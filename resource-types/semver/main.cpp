// The semver resource: a version number kept in a file on a git branch.
#include "driver.hpp"

namespace fs = std::filesystem;
using namespace concourse::resource;
using namespace concourse::resource::semver;

namespace {

GitDriver driver_from(const json& source) {
  std::string driver = get_string(source, "driver", "s3");
  if (driver != "git") {
    throw Error("driver '" + driver + "' is not supported by this implementation (only 'git')");
  }
  return GitDriver(source);
}

BumpParams bump_params(const json& p) {
  return BumpParams{get_string(p, "bump"), get_string(p, "pre"), get_string(p, "build"),
                    get_bool(p, "pre_without_version"), get_bool(p, "build_without_version")};
}

json check(const Request& req) {
  GitDriver driver = driver_from(req.source);
  std::optional<Version> cursor;
  std::string number = get_string(req.version, "number");
  if (!number.empty()) {
    try {
      cursor = parse(number);
    } catch (const Error& e) {
      log(std::string("skipping invalid current version: ") + e.what());
    }
  }
  json out = json::array();
  for (const auto& v : driver.check(cursor)) {
    out.push_back({{"number", to_string(v)}});
  }
  return out;
}

json in(const Request& req, const fs::path& dest) {
  fs::create_directories(dest);
  std::string number = get_string(req.version, "number");
  Version input = parse(number);
  Version bumped = apply(bump_params(req.params), input);
  if (!equals(bumped, input)) {
    log("bumped locally from " + to_string(input) + " to " + to_string(bumped));
  }
  write_file(dest / "number", to_string(bumped));
  write_file(dest / "version", to_string(bumped));
  return json{{"version", req.version},
              {"metadata", json::array({metadata_field("number", number)})}};
}

json out(const Request& req, const fs::path& src) {
  GitDriver driver = driver_from(req.source);
  BumpParams bump = bump_params(req.params);
  std::string file = get_string(req.params, "file");
  Version next;
  if (get_bool(req.params, "get_latest")) {
    next = driver.check(std::nullopt).front();
  } else if (!file.empty()) {
    std::string content = trim(read_file(src / file));
    next = parse(content.substr(0, content.find_first_of(" \t\r\n")));
    driver.set(next);
  } else if (bump.any()) {
    next = driver.bump(bump);
  } else {
    throw Error("no version bump specified");
  }
  std::string n = to_string(next);
  return json{{"version", {{"number", n}}},
              {"metadata", json::array({metadata_field("number", n)})}};
}

}  // namespace

int main(int argc, char** argv) {
  return run_main(
      argc, argv,
      [](const std::string& cmd, const Request& req, const std::vector<std::string>& args) -> json {
        if (cmd == "check") {
          return check(req);
        }
        return cmd == "in" ? in(req, args[0]) : out(req, args[0]);
      });
}
