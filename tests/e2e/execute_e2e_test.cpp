// `fly execute` against `concourse quickstart` (web, houdini worker, PostgreSQL) as a user runs
// it: a local directory goes up as the task's input, the task writes an output from it, and the
// output comes back into the -o directory; a failing task makes fly exit non-zero.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include "support/quickstart.hpp"

namespace t = concourse::testing;
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has(const std::string& out, const std::string& what) {
  return out.find(what) != std::string::npos;
}

// Without an image the task runs on the worker's host in its container directory (houdini), so
// the script uses relative paths only.
constexpr const char* kTask = R"yaml(platform: linux
inputs:
- name: src
outputs:
- name: out
run:
  path: sh
  args:
  - -c
  - |
    echo "reading $(cat src/greeting.txt)"
    mkdir -p out/nested
    cat src/greeting.txt src/sub/more.txt > out/nested/combined.txt
    echo "exit=${EXIT_WITH}"
    exit ${EXIT_WITH}
params:
  EXIT_WITH: "((exit_with))"
)yaml";

// Copies a large input through: uploads stream, the server does not buffer them.
constexpr const char* kCopyTask = R"yaml(platform: linux
inputs:
- name: big
outputs:
- name: out
run:
  path: sh
  args: [-c, "cp big/blob.bin out/blob.bin && echo copied"]
)yaml";

// Waits (up to 60 s) for intercept to create ./release in its working directory.
constexpr const char* kWaitingTask = R"yaml(platform: linux
run:
  path: sh
  args:
  - -c
  - |
    i=0
    while [ ! -f release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
    test -f release && echo released
)yaml";

struct FlyPiped {
  int exit_code = -1;
  std::string out;
};

// `producer | fly -t qs ARGS`: fly with a pipe (not a terminal) on stdin.
FlyPiped fly_piped(const t::Quickstart& qs, const std::string& producer, const std::string& args) {
  std::string cmd = producer + " | HOME='" + qs.home() + "' '" FLY_BIN "' -t qs " + args + " 2>&1";
  FlyPiped r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

TEST(ExecuteE2E, RoundTripsFilesAndReportsFailures) {
  // The worker's GC sweeps are kept out of the way: this test is about execute, not GC timing.
  t::Quickstart qs(CONCOURSE_BIN, FLY_BIN, {"--worker-sweep-interval", "10m"});
  qs.start();
  t::TempDir dir;
  fs::path root = dir.path();
  write_file(root / "task.yml", kTask);
  write_file(root / "src/greeting.txt", "hello from fly\n");
  write_file(root / "src/sub/more.txt", "second file\n");
  {
    SCOPED_TRACE("succeeding task with an input and an output");
    auto started = std::chrono::steady_clock::now();
    auto r =
        qs.run("execute -c " + (root / "task.yml").string() + " -i src=" + (root / "src").string() +
               " -o out=" + (root / "got").string() + " -v exit_with=0");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    std::cout << "fly execute round trip: " << ms << " ms\n";
    EXPECT_EQ(r.exit_code, 0) << r.out << qs.process().log();
    EXPECT_TRUE(has(r.out, "executing build")) << r.out;
    EXPECT_TRUE(has(r.out, "reading hello from fly")) << r.out;
    EXPECT_TRUE(has(r.out, "succeeded")) << r.out;
    EXPECT_EQ(read_file(root / "got/nested/combined.txt"), "hello from fly\nsecond file\n");
  }
  {
    SCOPED_TRACE("an input far over the API's 8 MB body limit streams through");
    write_file(root / "copy.yml", kCopyTask);
    fs::create_directories(root / "big");
    std::string blob(24 << 20, '\0');
    std::mt19937_64 rng(42);
    for (size_t i = 0; i + 8 <= blob.size(); i += 8) {
      uint64_t v = rng();
      std::memcpy(blob.data() + i, &v, 8);
    }
    write_file(root / "big/blob.bin", blob);
    auto r =
        qs.run("execute -c " + (root / "copy.yml").string() + " -i big=" + (root / "big").string() +
               " -o out=" + (root / "big-out").string());
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(has(r.out, "copied")) << r.out;
    EXPECT_TRUE(read_file(root / "big-out/blob.bin") == blob) << "the output differs";
  }
  {
    SCOPED_TRACE("failing task");
    auto r = qs.run("execute -c " + (root / "task.yml").string() +
                    " -i src=" + (root / "src").string() + " -v exit_with=3");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(has(r.out, "exit=3")) << r.out;
    EXPECT_TRUE(has(r.out, "failed")) << r.out;
  }
  {
    SCOPED_TRACE("an unknown input is refused before anything is uploaded");
    auto r = qs.run("execute -c " + (root / "task.yml").string() +
                    " -i nope=" + (root / "src").string());
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(has(r.out, "unknown input `nope`")) << r.out;
  }
  {
    SCOPED_TRACE("intercept a running task with piped stdin");
    write_file(root / "wait.yml", kWaitingTask);
    t::FlyRun exec;
    std::thread running([&] { exec = qs.run("execute -c " + (root / "wait.yml").string()); });
    int64_t id = 0;
    for (int i = 0; i < 200 && id == 0; ++i) {
      for (const auto& b : nlohmann::json::parse(qs.fly("builds --json"))) {
        if (b.value("status", "") == "started")
          id = b.value("id", int64_t{0});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_NE(id, 0);
    // The container exists once the task has started; intercept until it is found.
    FlyPiped r;
    for (int i = 0; i < 50; ++i) {
      r = fly_piped(qs, "echo 'echo hi; touch release; exit 3'",
                    "intercept -b " + std::to_string(id) + " -s one-off -- sh");
      if (r.exit_code == 3)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_TRUE(has(r.out, "hi")) << r.out;
    running.join();
    EXPECT_EQ(exec.exit_code, 0) << exec.out;
    EXPECT_TRUE(has(exec.out, "released")) << exec.out;
  }
  EXPECT_EQ(qs.stop(), 0) << qs.process().log();
}

}  // namespace
