// The hijacked process protocol (Run / Attach / stdout / stderr) end to end over raw sockets,
// with real processes behind the fake runtime, plus the process table's bounded buffering.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "worker/garden/process_table.hpp"
#include "worker/garden/tests/server_fixture.hpp"

namespace concourse::worker::garden::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json sh(const std::string& script, const std::string& id = "") {
  json spec{{"path", "sh"}, {"args", {"-c", script}}};
  if (!id.empty())
    spec["id"] = id;
  return spec;
}

class Processes : public GardenServerTest {
 protected:
  void SetUp() override {
    start();
    ASSERT_EQ(create("c").status, 200);
  }
};

TEST_F(Processes, RawProtocolRunReadsOutputsThenTheExitStatus) {
  auto deadline = Clock::now() + 10s;
  RawConnection control(port());
  std::string spec = sh("echo hi; echo err >&2; exit 7", "raw").dump();
  control.send(
      "POST /containers/c/processes HTTP/1.1\r\nHost: api\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(spec.size()) + "\r\n\r\n" + spec);
  auto head = control.read_head(deadline);
  ASSERT_EQ(head.status, 201);
  EXPECT_EQ(head.headers["content-type"], "application/json");
  auto first = json::parse(*control.read_line(deadline));
  EXPECT_EQ(first["process_id"], "raw");
  std::string stream_id = first.at("stream_id");

  std::string out_path = "/containers/c/processes/raw/attaches/" + stream_id;
  RawConnection out(port()), err(port());
  out.send("GET " + out_path + "/stdout HTTP/1.1\r\nHost: api\r\n\r\n");
  err.send("GET " + out_path + "/stderr HTTP/1.1\r\nHost: api\r\n\r\n");
  EXPECT_EQ(out.read_head(deadline).status, 200);
  EXPECT_EQ(err.read_head(deadline).status, 200);
  EXPECT_EQ(out.read_to_eof(deadline), "hi\n");
  EXPECT_EQ(err.read_to_eof(deadline), "err\n");

  auto last = json::parse(*control.read_line(deadline));
  EXPECT_EQ(last, json({{"process_id", "raw"}, {"exit_status", 7}}));
  EXPECT_FALSE(control.read_line(deadline).has_value());  // and the server closes
}

TEST_F(Processes, RunProcessHelperAndGeneratedIds) {
  auto r = run_process(port(), "c", sh("echo hi; echo err >&2; exit 7"));
  EXPECT_EQ(r.stdout_data, "hi\n");
  EXPECT_EQ(r.stderr_data, "err\n");
  EXPECT_EQ(r.exit_status, 7);
  EXPECT_EQ(r.process_id.size(), 36u);  // a v4 UUID
}

TEST_F(Processes, StdinFramesAndEof) {
  auto r = run_process(port(), "c", {{"path", "cat"}}, "hello\nworld");
  EXPECT_EQ(r.stdout_data, "hello\nworld");
  EXPECT_EQ(r.exit_status, 0);

  auto s = ProcessSession::run(port(), "c", sh("read a; read b; echo \"$b $a\""));
  s.send_stdin("first\n");
  s.send_stdin("second\n");
  s.close_stdin();
  EXPECT_EQ(s.wait().stdout_data, "second first\n");
}

TEST_F(Processes, SignalFramesKillAndTerminate) {
  auto killed = ProcessSession::run(port(), "c", {{"path", "cat"}});
  killed.signal(1);
  EXPECT_EQ(killed.wait().exit_status, 137);

  auto terminated = ProcessSession::run(port(), "c", {{"path", "sleep"}, {"args", {"30"}}});
  terminated.signal(0);
  EXPECT_EQ(terminated.wait().exit_status, 143);
}

TEST_F(Processes, ReattachAfterTheClientLeftMidRun) {
  auto first = ProcessSession::run(port(), "c", sh("read x; echo got $x; exit 3", "task"));
  first.disconnect();
  // The process keeps running with nobody attached; a new client finds it by id.
  auto second = ProcessSession::attach(port(), "c", "task");
  EXPECT_EQ(second.process_id(), "task");
  second.send_stdin("go\n");
  auto r = second.wait();
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.stdout_data, "got go\n");
}

TEST_F(Processes, AttachToAnExitedProcessGetsItsStatusAtOnce) {
  auto r = run_process(port(), "c", sh("echo done; exit 5", "p1"));
  ASSERT_EQ(r.exit_status, 5);
  auto again = attach_process(port(), "c", "p1");
  EXPECT_EQ(again.exit_status, 5);
  EXPECT_EQ(again.stdout_data, "");
}

TEST_F(Processes, UnknownProcessesAndExecutables) {
  auto r = http(port(), "GET", "/containers/c/processes/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["Type"], "ProcessNotFoundError");
  EXPECT_EQ(r.json()["Message"], "unknown process: nope");
  EXPECT_EQ(r.json()["ProcessID"], "nope");

  auto missing = http(port(), "POST", "/containers/c/processes", R"({"path":"/no/such/binary"})");
  EXPECT_EQ(missing.status, 500);
  EXPECT_EQ(missing.json()["Type"], "ExecutableNotFoundError");

  // The output routes answer an unknown stream as Garden does: 200, then close.
  RawConnection out(port());
  out.send("GET /containers/c/processes/x/attaches/999/stdout HTTP/1.1\r\nHost: api\r\n\r\n");
  auto deadline = Clock::now() + 5s;
  EXPECT_EQ(out.read_head(deadline).status, 200);
  EXPECT_EQ(out.read_to_eof(deadline), "");
}

TEST_F(Processes, ALiveProcessIdCannotBeReused) {
  auto running = ProcessSession::run(port(), "c", {{"id", "same"}, {"path", "cat"}});
  auto dup = http(port(), "POST", "/containers/c/processes", R"({"id":"same","path":"cat"})");
  EXPECT_EQ(dup.status, 500);
  EXPECT_NE(dup.json()["Message"].get<std::string>().find("already running"), std::string::npos);
  running.close_stdin();
  EXPECT_EQ(running.wait().exit_status, 0);
  // Once it exited, the id is free again.
  EXPECT_EQ(run_process(port(), "c", sh("exit 4", "same")).exit_status, 4);
}

TEST_F(Processes, TtyProcessesGetATerminalAndResizeFrames) {
  auto s = ProcessSession::run(
      port(), "c",
      {{"path", "sh"},
       {"args", {"-c", "test -t 0 && test -t 1 && echo on-a-tty; read x; echo got-$x"}},
       {"tty", {{"window_size", {{"columns", 500}, {"rows", 500}}}}}});
  s.resize(120, 40);
  s.send_stdin("yes\n");
  auto r = s.wait();
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_NE(r.stdout_data.find("on-a-tty"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("got-yes"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stderr_data, "");
  EXPECT_TRUE(eventually([&] { return fake_->count_calls("process_resize_tty") == 1; }));
}

TEST_F(Processes, LargeOutputIsDeliveredCompletelyBeforeTheExitStatus) {
  auto r = run_process(port(), "c", sh("head -c 20000000 /dev/zero; echo tail >&2; exit 2"));
  EXPECT_EQ(r.stdout_data.size(), 20'000'000u);
  EXPECT_EQ(r.stderr_data, "tail\n");
  EXPECT_EQ(r.exit_status, 2);
}

TEST_F(Processes, QuickExitsRaceTheRunCall) {
  for (int i = 0; i < 20; ++i) {
    auto r = run_process(port(), "c", {{"path", "true"}});
    ASSERT_EQ(r.exit_status, 0) << r.error;
  }
}

TEST_F(Processes, ManyConcurrentProcesses) {
  std::vector<std::future<ProcessResult>> runs;
  for (int i = 0; i < 12; ++i) {
    runs.push_back(std::async(std::launch::async, [this, i] {
      return run_process(port(), "c",
                         sh("echo " + std::to_string(i) + "; exit " + std::to_string(i)));
    }));
  }
  for (int i = 0; i < 12; ++i) {
    auto r = runs[static_cast<size_t>(i)].get();
    EXPECT_EQ(r.stdout_data, std::to_string(i) + "\n");
    EXPECT_EQ(r.exit_status, i);
  }
}

TEST_F(Processes, StoppingTheServerEndsStreamsAndReleasesProcesses) {
  auto s = ProcessSession::run(port(), "c", {{"path", "sleep"}, {"args", {"30"}}});
  auto done = run_process(port(), "c", {{"path", "true"}});
  ASSERT_EQ(done.exit_status, 0);
  auto t0 = Clock::now();
  server_->stop();
  EXPECT_LT(Clock::now() - t0, 5s);
  auto r = s.wait();  // the connections close instead of hanging
  EXPECT_FALSE(r.exit_status.has_value());
  EXPECT_EQ(fake_->released(), 2u);
  EXPECT_EQ(fake_->misuse(), 0u);
  server_->stop();  // idempotent
}

TEST_F(Processes, DestroyKillsProcessesAndForgetsThem) {
  auto s = ProcessSession::run(port(), "c", {{"id", "long"}, {"path", "sleep"}, {"args", {"30"}}});
  ASSERT_EQ(http(port(), "DELETE", "/containers/c").status, 200);
  EXPECT_EQ(s.wait().exit_status, 137);
  EXPECT_EQ(http(port(), "GET", "/containers/c/processes/long").json()["Type"],
            "ContainerNotFoundError");
}

class AttachAfterRestart : public GardenServerTest {};

TEST_F(AttachAfterRestart, ANewServerReattachesThroughTheRuntime) {
  start({}, kFakeCapabilities | CC_RT_CAP_ATTACH_AFTER_RESTART);
  ASSERT_EQ(create("c").status, 200);
  auto before =
      ProcessSession::run(port(), "c", {{"id", "survivor"}, {"path", "sleep"}, {"args", {"30"}}});
  before.disconnect();
  restart();
  // The new server holds no record of "survivor": it asks the runtime.
  auto s = ProcessSession::attach(port(), "c", "survivor");
  EXPECT_EQ(fake_->count_calls("process_attach"), 1u);
  ASSERT_EQ(http(port(), "PUT", "/containers/c/stop", R"({"kill":true})").status, 200);
  EXPECT_EQ(s.wait().exit_status, 137);
  // Exited processes are re-attachable too, and unknown ones are ProcessNotFoundError.
  restart();
  EXPECT_EQ(attach_process(port(), "c", "survivor").exit_status, 137);
  auto ghost = http(port(), "GET", "/containers/c/processes/ghost");
  EXPECT_EQ(ghost.status, 404);
  EXPECT_EQ(ghost.json()["Type"], "ProcessNotFoundError");
  EXPECT_EQ(fake_->misuse(), 0u);
}

// The process table on its own, with short timings: bounded queues and abandoned streams.
class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessTiming timing;
    timing.queue_cap = 64 * 1024;
    timing.unattached_expiry = 300ms;
    timing.exited_retention = 1s;
    timing.exit_drain_grace = 200ms;
    fake_.set_notify(
        [this](uint64_t t, int32_t s, std::string_view e) { table_->on_exit(t, s, e); });
    runtime_ = std::make_unique<RuntimeClient>(fake_.binding());
    bomberman_ = std::make_unique<Bomberman>([](const std::string&, std::chrono::nanoseconds) {});
    table_ = std::make_unique<ProcessTable>(*runtime_, *bomberman_,
                                            concourse::log::Logger("table-test"), timing);
    table_->start();
    cc_container_spec spec{};
    spec.struct_size = sizeof spec;
    spec.handle = cc_str{"c", 1};
    cc_error err{};
    err.struct_size = sizeof err;
    ASSERT_EQ(fake_.vtable().container_create(reinterpret_cast<cc_instance*>(&fake_), nullptr,
                                              &spec, &err),
              CC_OK);
  }
  void TearDown() override {
    table_->stop();
    fake_.set_notify(nullptr);
  }

  std::shared_ptr<Stream> run(const std::string& id, const std::string& script) {
    auto rec = table_->reserve("c", id, false);
    std::string path = "sh", a0 = "-c";
    cc_str args[2] = {{a0.data(), a0.size()}, {script.data(), script.size()}};
    cc_process_spec spec{};
    spec.struct_size = sizeof spec;
    spec.id = cc_str{id.data(), id.size()};
    spec.path = cc_str{path.data(), path.size()};
    spec.args = args;
    spec.arg_count = 2;
    auto started = runtime_->run(nullptr, "c", spec, rec->token);
    return table_->activate(rec, started.process, started.io);
  }

  FakeRuntime fake_;
  std::unique_ptr<RuntimeClient> runtime_;
  std::unique_ptr<Bomberman> bomberman_;
  std::unique_ptr<ProcessTable> table_;
};

TEST_F(TableTest, AFullQueuePausesTheProcessUntilTheAbandonedStreamIsDropped) {
  auto s = run("flood", "head -c 2000000 /dev/zero; exit 9");
  table_->control_closed(*s);
  // Nobody attaches: the queue stops at its cap instead of holding 2 MB...
  ASSERT_TRUE(eventually([&] { return table_->queued_bytes(*s, kStdout) >= 64 * 1024; }));
  EXPECT_LE(table_->queued_bytes(*s, kStdout), 2u * 64 * 1024);
  EXPECT_EQ(fake_.live_processes(), 1u);
  // ...and once the stream is given up on, the process runs to its end.
  ASSERT_TRUE(eventually([&] { return fake_.live_processes() == 0; }));
  EXPECT_EQ(table_->queued_bytes(*s, kStdout), 0u);
  // The exited record is retired and, once nothing refers to it, its process released.
  s.reset();
  EXPECT_TRUE(eventually([&] { return table_->record_count() == 0; }));
  EXPECT_TRUE(eventually([&] { return fake_.released() == 1; }));
}

TEST_F(TableTest, OutputHeldOpenByAStrayChildStillEnds) {
  // The child outlives the shell by seconds; the final frame must not wait for it.
  auto s = run("daemon", "sleep 3 & echo started; exit 0");
  auto frame = std::async(std::launch::async, [&] {
    auto deadline = Clock::now() + 2s;
    while (Clock::now() < deadline) {
      if (auto f = table_->take_final_frame(*s))
        return *f;
      std::this_thread::sleep_for(5ms);
    }
    return std::string("timeout");
  });
  EXPECT_EQ(frame.get(), "{\"process_id\":\"daemon\",\"exit_status\":0}\n");
}

}  // namespace
}  // namespace concourse::worker::garden::testing
