#include "worker/health_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "support/http.hpp"

using concourse::worker::HealthServer;
using concourse::worker::ProbeBinding;
using concourse::worker::ProbeRunner;
using namespace std::chrono_literals;

namespace {

// Fake probes: the instance pointer encodes the behaviour.
enum Behaviour { kOk = 1, kFail, kError, kSlow };

int32_t fake_probe(cc_instance* inst, const cc_call_ctx*, cc_probe_result* out, cc_error* err) {
  switch (static_cast<Behaviour>(reinterpret_cast<intptr_t>(inst))) {
    case kOk:
      out->status = CC_PROBE_OK;
      return CC_OK;
    case kFail:
      out->status = CC_PROBE_FAIL;
      std::strcpy(out->message, "garden did not answer");
      return CC_OK;
    case kError:
      err->code = CC_E_UNAVAILABLE;
      std::strcpy(err->message, "backend down");
      return CC_E_UNAVAILABLE;
    case kSlow:
      std::this_thread::sleep_for(500ms);
      out->status = CC_PROBE_OK;
      return CC_OK;
  }
  return CC_E_INTERNAL;
}

const cc_probe_vtable kVtable{sizeof(cc_probe_vtable), 0, nullptr, nullptr, &fake_probe};

ProbeBinding probe(Behaviour b, const char* name) {
  return {&kVtable, reinterpret_cast<cc_instance*>(static_cast<intptr_t>(b)), name};
}

concourse::log::Logger quiet() {
  return concourse::log::Logger("test");
}

}  // namespace

TEST(ProbeRunner, AllOkIsHealthy) {
  ProbeRunner r({probe(kOk, "a"), probe(kOk, "b")}, 1s, quiet());
  auto out = r.run_all();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].healthy && out[1].healthy);
}

TEST(ProbeRunner, FailureErrorAndTimeoutAreReported) {
  ProbeRunner r({probe(kFail, "f"), probe(kError, "e"), probe(kSlow, "s")}, 100ms, quiet());
  auto t0 = std::chrono::steady_clock::now();
  auto out = r.run_all();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 400ms) << "the deadline was not honoured";
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].healthy);
  EXPECT_EQ(out[0].message, "garden did not answer");
  EXPECT_FALSE(out[1].healthy);
  EXPECT_NE(out[1].message.find("backend down"), std::string::npos);
  EXPECT_FALSE(out[2].healthy);
  EXPECT_EQ(out[2].message, "timed out");
}

TEST(HealthServer, AnswersEveryPathWith200OrA503) {
  auto ok = std::make_shared<ProbeRunner>(std::vector<ProbeBinding>{probe(kOk, "a")}, 1s, quiet());
  HealthServer good("127.0.0.1", 0, ok, quiet());
  good.start();
  auto r = concourse::testing::http("GET", good.port(), "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(concourse::testing::http("DELETE", good.port(), "/any/path").status, 200);
  good.stop();

  auto bad =
      std::make_shared<ProbeRunner>(std::vector<ProbeBinding>{probe(kFail, "f")}, 1s, quiet());
  HealthServer sick("127.0.0.1", 0, bad, quiet());
  sick.start();
  r = concourse::testing::http("GET", sick.port(), "/");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("garden did not answer"), std::string::npos);

  auto none = std::make_shared<ProbeRunner>(std::vector<ProbeBinding>{}, 1s, quiet());
  HealthServer empty("127.0.0.1", 0, none, quiet());
  empty.start();
  EXPECT_EQ(concourse::testing::http("GET", empty.port(), "/").status, 503)
      << "no probe loaded must not look healthy";
}
