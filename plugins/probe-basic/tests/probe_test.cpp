#include <gtest/gtest.h>

#include <cstring>

#include "probe.hpp"

namespace {

struct FakeWorker {
  bool garden_up = true, bc_up = true;
  cc_worker_api api{};
  FakeWorker() {
    api.struct_size = sizeof api;
    api.ctx = this;
    api.garden_ping = [](void* c, const cc_call_ctx*, cc_error* e) -> int32_t {
      if (static_cast<FakeWorker*>(c)->garden_up)
        return CC_OK;
      std::strcpy(e->message, "connection refused");
      return e->code = CC_E_UNAVAILABLE;
    };
    api.volumes_list = [](void* c, const cc_call_ctx*, cc_str_sink*, cc_error* e) -> int32_t {
      if (static_cast<FakeWorker*>(c)->bc_up)
        return CC_OK;
      std::strcpy(e->message, "timed out");
      return e->code = CC_E_TIMEOUT;
    };
  }
};

}  // namespace

TEST(BasicProbe, PassesOnlyWhenBothServersAnswer) {
  FakeWorker w;
  cc_host_api api{};
  api.struct_size = sizeof api;
  api.worker = &w.api;
  concourse::sdk::Host host(&api);
  concourse::probe_basic::BasicProbe probe(host, {});
  concourse::sdk::Call call(host, nullptr);
  EXPECT_EQ(probe.probe(call).status, static_cast<uint32_t>(CC_PROBE_OK));
  w.bc_up = false;
  auto r = probe.probe(call);
  EXPECT_EQ(r.status, static_cast<uint32_t>(CC_PROBE_FAIL));
  EXPECT_EQ(r.message, "baggageclaim: timed out");
  w.garden_up = false;
  EXPECT_EQ(probe.probe(call).message, "garden: connection refused");
  cc_host_api no_worker{};
  no_worker.struct_size = sizeof no_worker;
  concourse::sdk::Host lonely(&no_worker);
  concourse::probe_basic::BasicProbe orphan(lonely, {});
  EXPECT_EQ(orphan.probe(call).status, static_cast<uint32_t>(CC_PROBE_FAIL));
}
