// houdini through its C vtable, exactly as the worker drives it, with a test host table.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <concourse/sdk.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "core/archive/archive.hpp"
#include "core/error.hpp"
#include "houdini.hpp"
#include "support/worker_process.hpp"

namespace fs = std::filesystem;
using concourse::testing::TempDir;

namespace {

struct TestHost {
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, int> exits;
  std::map<uint64_t, int> exit_counts;
  cc_host_api api{};

  TestHost() {
    api.struct_size = sizeof api;
    api.abi_major = CC_ABI_MAJOR;
    api.abi_minor = CC_ABI_MINOR;
    api.host_version = "test";
    api.host_ctx = this;
    api.log = [](void*, uint32_t, cc_str, const cc_kv*, size_t) {};
    api.log_enabled = [](void*, uint32_t) -> int32_t { return 0; };
    api.now_ns = [](void*) -> int64_t { return 0; };
    api.is_cancelled = [](void*, const cc_call_ctx*) -> int32_t { return 0; };
    api.notify_process_exit = [](void* ctx, uint64_t token, int32_t status, cc_str) {
      auto* self = static_cast<TestHost*>(ctx);
      std::lock_guard lock(self->mu);
      self->exits[token] = status;
      self->exit_counts[token]++;
      self->cv.notify_all();
    };
    api.tar_extract = [](void*, const cc_call_ctx*, cc_str dest, int fd, const cc_tar_opts*,
                         cc_error* err) -> int32_t {
      try {
        concourse::core::archive::extract_fd(fd, std::string(dest.ptr, dest.len), {});
        return CC_OK;
      } catch (const concourse::core::Error& e) {
        return concourse::sdk::set_error(err, e.code(), e.what());
      }
    };
    api.tar_create = [](void*, const cc_call_ctx*, cc_str path, int fd, const cc_tar_opts*,
                        cc_error* err) -> int32_t {
      try {
        concourse::core::archive::create_fd(std::string(path.ptr, path.len), fd, {});
        return CC_OK;
      } catch (const concourse::core::Error& e) {
        return concourse::sdk::set_error(err, e.code(), e.what());
      }
    };
  }

  int wait_exit(uint64_t token) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return exits.count(token) != 0; });
    return exits.count(token) ? exits[token] : -999;
  }
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

cc_str s(const std::string& v) {
  return {v.data(), v.size()};
}

class HoudiniTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { close(); }
  void open() {
    std::string cfg = "{}", data = work_.path() + "/data";
    fs::create_directories(data);
    cc_instance_params p{sizeof(cc_instance_params), 0, s(cfg), s(work_.path()), s(data)};
    cc_error err = concourse::sdk::Host::new_error();
    ASSERT_EQ(vt_->instance_create(&host_.api, &p, &inst_, &err), CC_OK) << err.message;
  }
  void close() {
    if (inst_ != nullptr)
      vt_->instance_destroy(inst_);
    inst_ = nullptr;
  }
  int32_t create(const std::string& handle, std::vector<cc_kv> props = {},
                 const std::string& rootfs = "", std::vector<std::string> env = {}) {
    std::vector<cc_str> e;
    for (auto& v : env)
      e.push_back(s(v));
    cc_container_spec spec{};
    spec.struct_size = sizeof spec;
    spec.handle = s(handle);
    spec.rootfs = s(rootfs);
    spec.properties = props.data();
    spec.property_count = props.size();
    spec.env = e.data();
    spec.env_count = e.size();
    cc_error err = concourse::sdk::Host::new_error();
    int32_t rc = vt_->container_create(inst_, nullptr, &spec, &err);
    last_error_ = err.message;
    return rc;
  }
  struct Run {
    int32_t rc;
    cc_process* proc;
    cc_process_io io;
    uint64_t token;
  };
  Run run(const std::string& handle, std::vector<std::string> args, bool tty = false,
          std::vector<std::string> env = {}, const std::string& dir = "",
          const std::string& path = "sh") {
    std::vector<cc_str> a, e;
    for (auto& v : args)
      a.push_back(s(v));
    for (auto& v : env)
      e.push_back(s(v));
    static uint64_t next_token = 1;
    std::string id = "p" + std::to_string(next_token);
    cc_tty_size size{80, 24};
    cc_process_spec spec{};
    spec.struct_size = sizeof spec;
    spec.id = s(id);
    spec.path = s(path);
    spec.args = a.data();
    spec.arg_count = a.size();
    spec.env = e.data();
    spec.env_count = e.size();
    spec.dir = s(dir);
    spec.tty = tty ? &size : nullptr;
    Run r{};
    r.io.struct_size = sizeof r.io;
    r.token = next_token++;
    cc_error err = concourse::sdk::Host::new_error();
    r.rc = vt_->process_run(inst_, nullptr, s(handle), &spec, r.token, &r.proc, &r.io, &err);
    last_error_ = err.message;
    return r;
  }
  void release(Run& r) {
    for (int fd : {r.io.stdin_fd, r.io.stdout_fd, r.io.stderr_fd}) {
      if (fd >= 0)
        ::close(fd);
    }
    vt_->process_release(inst_, r.proc);
  }

  TempDir work_;
  TestHost host_;
  const cc_runtime_vtable* vt_ = concourse::sdk::runtime_vtable<concourse::houdini::Houdini>();
  cc_instance* inst_ = nullptr;
  std::string last_error_;
};

}  // namespace

TEST_F(HoudiniTest, RunsAProcessWithOutputAndExitCodeReportedOnce) {
  ASSERT_EQ(create("c1"), CC_OK) << last_error_;
  auto r = run("c1", {"-c", "echo out; echo err >&2; pwd; exit 3"});
  ASSERT_EQ(r.rc, CC_OK) << last_error_;
  ::close(r.io.stdin_fd);
  r.io.stdin_fd = -1;
  std::string out = read_all(r.io.stdout_fd);
  EXPECT_EQ(read_all(r.io.stderr_fd), "err\n");
  EXPECT_EQ(out, "out\n" + work_.path() + "/containers/c1\n");
  EXPECT_EQ(host_.wait_exit(r.token), 3);
  int32_t status = -1;
  cc_error err = concourse::sdk::Host::new_error();
  EXPECT_EQ(vt_->process_wait(inst_, nullptr, r.proc, &status, &err), CC_OK);
  EXPECT_EQ(status, 3);
  release(r);
  std::lock_guard lock(host_.mu);
  EXPECT_EQ(host_.exit_counts[r.token], 1);
}

TEST_F(HoudiniTest, PipesStdinLayersEnvAndUsesTheWorkingDir) {
  ASSERT_EQ(create("c1", {}, "", {"A=container", "B=container"}), CC_OK);
  auto r = run("c1", {"-c", "cat; echo $A $B; pwd"}, false, {"B=process"}, "/tmp/build/x");
  ASSERT_EQ(r.rc, CC_OK) << last_error_;
  ASSERT_EQ(::write(r.io.stdin_fd, "piped\n", 6), 6);
  ::close(r.io.stdin_fd);
  r.io.stdin_fd = -1;
  EXPECT_EQ(read_all(r.io.stdout_fd),
            "piped\ncontainer process\n" + work_.path() + "/containers/c1/tmp/build/x\n");
  EXPECT_EQ(host_.wait_exit(r.token), 0);
  release(r);
}

TEST_F(HoudiniTest, TerminalProcessAndSignals) {
  ASSERT_EQ(create("c1"), CC_OK);
  auto r = run("c1", {"-c", "tty >/dev/null && echo has-tty; stty size"}, true);
  ASSERT_EQ(r.rc, CC_OK) << last_error_;
  EXPECT_EQ(r.io.stderr_fd, -1);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(r.io.stdout_fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  EXPECT_NE(out.find("has-tty"), std::string::npos) << out;
  EXPECT_NE(out.find("24 80"), std::string::npos) << out;
  EXPECT_EQ(host_.wait_exit(r.token), 0);
  release(r);

  auto sleeper = run("c1", {"-c", "sleep 30"});
  ASSERT_EQ(sleeper.rc, CC_OK);
  cc_error err = concourse::sdk::Host::new_error();
  EXPECT_EQ(vt_->process_signal(inst_, sleeper.proc, CC_SIGNAL_KILL, &err), CC_OK);
  EXPECT_EQ(host_.wait_exit(sleeper.token), 137);
  release(sleeper);
}

TEST_F(HoudiniTest, UnknownExecutableAndHandleAreNotFound) {
  ASSERT_EQ(create("c1"), CC_OK);
  auto r = run("c1", {}, false, {}, "", "no-such-binary-anywhere");
  EXPECT_EQ(r.rc, CC_E_NOT_FOUND);
  EXPECT_NE(last_error_.find("executable not found"), std::string::npos);
  EXPECT_EQ(run("nope", {"-c", "true"}).rc, CC_E_NOT_FOUND);
  EXPECT_EQ(create("c1"), CC_E_EXISTS);
  EXPECT_EQ(create("../evil"), CC_E_INVALID);
  EXPECT_EQ(run("c1", {"-c", "true"}, false, {}, "../../..").rc, CC_E_INVALID);
}

TEST_F(HoudiniTest, PropertiesFilterAndSurviveARestart) {
  std::string k = "team", v1 = "main", v2 = "other";
  ASSERT_EQ(create("a", {{s(k), s(v1)}}), CC_OK);
  ASSERT_EQ(create("b", {{s(k), s(v2)}}), CC_OK);
  std::vector<std::string> listed;
  cc_str_sink sink{sizeof sink, &listed, [](void* ctx, cc_str h) {
                     static_cast<std::vector<std::string>*>(ctx)->emplace_back(h.ptr, h.len);
                   }};
  cc_kv filter{s(k), s(v1)};
  cc_error err = concourse::sdk::Host::new_error();
  ASSERT_EQ(vt_->container_list(inst_, nullptr, &filter, 1, &sink, &err), CC_OK);
  EXPECT_EQ(listed, std::vector<std::string>{"a"});
  std::string key = "color", val = "blue";
  ASSERT_EQ(vt_->property_set(inst_, nullptr, s("a"), s(key), s(val), &err), CC_OK);
  ASSERT_EQ(vt_->set_grace_time(inst_, nullptr, s("a"), 5'000'000'000, &err), CC_OK);

  close();  // the worker restarts
  open();
  listed.clear();
  ASSERT_EQ(vt_->container_list(inst_, nullptr, nullptr, 0, &sink, &err), CC_OK);
  EXPECT_EQ(listed.size(), 2u);
  std::string got;
  cc_str_sink one{sizeof one, &got, [](void* ctx, cc_str v) {
                    static_cast<std::string*>(ctx)->assign(v.ptr, v.len);
                  }};
  ASSERT_EQ(vt_->property_get(inst_, nullptr, s("a"), s(key), &one, &err), CC_OK);
  EXPECT_EQ(got, "blue");
  EXPECT_EQ(vt_->property_remove(inst_, nullptr, s("a"), s(key), &err), CC_OK);
  EXPECT_EQ(vt_->property_get(inst_, nullptr, s("a"), s(key), &one, &err), CC_E_NOT_FOUND);
  EXPECT_EQ(vt_->container_destroy(inst_, nullptr, s("a"), &err), CC_OK);
  EXPECT_EQ(vt_->container_destroy(inst_, nullptr, s("a"), &err), CC_OK) << "idempotent";
  EXPECT_FALSE(fs::exists(work_.path() + "/containers/a"));
}

TEST_F(HoudiniTest, StreamsInAndOut) {
  ASSERT_EQ(create("c1"), CC_OK);
  TempDir src;
  std::ofstream(src.path() + "/f.txt") << "hello";
  int in[2];
  ASSERT_EQ(::pipe(in), 0);
  std::thread writer([&] {
    concourse::core::archive::create_fd(src.path() + "/", in[1], {});
    ::close(in[1]);
  });
  cc_error err = concourse::sdk::Host::new_error();
  EXPECT_EQ(vt_->stream_in(inst_, nullptr, s("c1"), s("/data"), s(""), in[0], &err), CC_OK)
      << err.message;
  writer.join();
  ::close(in[0]);
  std::ifstream f(work_.path() + "/containers/c1/data/f.txt");
  std::string content((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(content, "hello");
  EXPECT_EQ(vt_->stream_out(inst_, nullptr, s("c1"), s("/missing"), s(""), 1, &err),
            CC_E_NOT_FOUND);
  EXPECT_EQ(vt_->stream_out(inst_, nullptr, s("c1"), s("/../.."), s(""), 1, &err), CC_E_INVALID);
}

TEST_F(HoudiniTest, MaxContainersIsEnforced) {
  close();
  std::string cfg = R"({"max_containers":1})", data = work_.path() + "/data";
  cc_instance_params p{sizeof(cc_instance_params), 0, s(cfg), s(work_.path()), s(data)};
  cc_error err = concourse::sdk::Host::new_error();
  ASSERT_EQ(vt_->instance_create(&host_.api, &p, &inst_, &err), CC_OK);
  ASSERT_EQ(create("one"), CC_OK);
  EXPECT_EQ(create("two"), CC_E_LIMIT);
  std::string bad = R"({"bogus":1})";
  cc_instance_params pb{sizeof(cc_instance_params), 0, s(bad), s(work_.path()), s(data)};
  cc_instance* other = nullptr;
  EXPECT_EQ(vt_->instance_create(&host_.api, &pb, &other, &err), CC_E_INVALID);
}

TEST_F(HoudiniTest, ChrootsIntoARawRootfsAndCleansUpItsMounts) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "a rootfs needs root (bind mounts + chroot)";
  const char* busybox = "/bin/busybox";
  if (!fs::exists(busybox))
    GTEST_SKIP() << "busybox-static is not installed";
  TempDir rootfs;
  fs::create_directories(rootfs.path() + "/bin");
  fs::copy_file(busybox, rootfs.path() + "/bin/busybox");
  for (auto tool : {"sh", "echo", "cat", "ls"}) {
    fs::create_symlink("busybox", rootfs.path() + "/bin/" + tool);
  }
  ASSERT_EQ(create("rooted", {}, "raw://" + rootfs.path()), CC_OK) << last_error_;
  EXPECT_TRUE(concourse::houdini::is_mount_point(rootfs.path() + "/proc"));
  auto r = run("rooted", {"-c", "echo hi; ls /proc/self >/dev/null && echo proc; pwd"}, false,
               {"PATH=/bin"});
  ASSERT_EQ(r.rc, CC_OK) << last_error_;
  ::close(r.io.stdin_fd);
  r.io.stdin_fd = -1;
  EXPECT_EQ(read_all(r.io.stdout_fd), "hi\nproc\n/\n");
  EXPECT_EQ(host_.wait_exit(r.token), 0);
  release(r);
  cc_error err = concourse::sdk::Host::new_error();
  ASSERT_EQ(vt_->container_destroy(inst_, nullptr, s("rooted"), &err), CC_OK);
  EXPECT_FALSE(concourse::houdini::is_mount_point(rootfs.path() + "/proc"));
  EXPECT_TRUE(fs::exists(rootfs.path() + "/bin/busybox")) << "the rootfs is not ours to delete";
}
