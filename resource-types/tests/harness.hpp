// Helpers for running resource binaries and building scratch git repositories in tests.
#pragma once

#include "process.hpp"
#include "resource.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rt_test {

namespace fs = std::filesystem;
using concourse::resource::json;
using concourse::resource::ProcessOptions;
using concourse::resource::run_process;

struct Outcome {
  int rc = -1;
  json result;
  std::string err;
};

// A scratch directory with its own HOME (a .gitconfig carrying the identity the real resource
// images configure) and TMPDIR, so nothing touches the developer's config or caches.
class ScratchDir {
 public:
  ScratchDir() {
    // Captured once: later scratch dirs must not nest in (or outlive) an earlier one's TMPDIR.
    static const fs::path base = fs::temp_directory_path();
    std::string tmpl = (base / "rt-test-XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
    fs::create_directories(root_ / "home");
    fs::create_directories(root_ / "tmp");
    concourse::resource::write_file(
        root_ / "home" / ".gitconfig",
        "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = "
        "main\n[protocol \"file\"]\n\tallow = always\n");
    ::setenv("HOME", (root_ / "home").c_str(), 1);
    ::setenv("TMPDIR", (root_ / "tmp").c_str(), 1);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return root_; }
  fs::path operator/(const std::string& p) const { return root_ / p; }

 private:
  fs::path root_;
};

inline Outcome run_resource(const std::string& binary, const std::string& command,
                            const json& request, const std::vector<std::string>& args = {},
                            std::vector<std::pair<std::string, std::string>> env = {}) {
  std::vector<std::string> argv = {binary, command};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions opts;
  opts.stdin_data = request.dump();
  opts.capture_stderr = true;
  opts.env = std::move(env);
  auto r = run_process(argv, opts);
  Outcome o;
  o.rc = r.exit_code;
  o.err = r.err;
  if (r.exit_code == 0) {
    o.result = json::parse(r.out);
  }
  return o;
}

// Runs git with an argv vector and returns trimmed stdout; fails the test on error.
inline std::string git(const fs::path& cwd, std::vector<std::string> args) {
  args.insert(args.begin(), "git");
  ProcessOptions opts;
  opts.cwd = cwd;
  opts.capture_stderr = true;
  auto r = run_process(args, opts);
  EXPECT_EQ(r.exit_code, 0) << args[1] << ": " << r.err;
  return concourse::resource::trim(r.out);
}

inline std::string commit_file(const fs::path& repo, const std::string& file,
                               const std::string& content, const std::string& message) {
  fs::create_directories((repo / file).parent_path());
  concourse::resource::write_file(repo / file, content);
  git(repo, {"add", file});
  git(repo, {"commit", "-q", "-m", message});
  return git(repo, {"rev-parse", "HEAD"});
}

inline std::vector<std::string> refs_of(const json& versions) {
  std::vector<std::string> out;
  for (const auto& v : versions) {
    out.push_back(v["ref"].get<std::string>());
  }
  return out;
}

inline std::string metadata_value(const json& md, const std::string& name) {
  for (const auto& f : md) {
    if (f["name"] == name) {
      return f["value"];
    }
  }
  return "<absent>";
}

}  // namespace rt_test
