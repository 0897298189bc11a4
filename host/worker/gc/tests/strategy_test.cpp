#include "worker/gc/strategy.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.hpp"

namespace concourse::worker::gc {
namespace {

// A strategy written directly against the C vtable, to exercise exactly what the host sees.
struct Scripted {
  int32_t rc = CC_OK;
  bool saw_deadline = false;
  size_t saw_objects = 0;
};

int32_t scripted_plan(cc_instance* inst, const cc_call_ctx* ctx, const cc_gc_snapshot* snap,
                      cc_gc_decision_sink* out, cc_error* err) {
  auto* s = reinterpret_cast<Scripted*>(inst);
  s->saw_deadline = ctx != nullptr && ctx->deadline_ns != 0;
  s->saw_objects = snap->object_count;
  if (s->rc != CC_OK) {
    err->code = s->rc;
    std::strcpy(err->message, "boom");
    return s->rc;
  }
  out->remove(out->ctx, CC_GC_OBJECT_VOLUME, cc_str{"v1", 2}, cc_str{"because", 7});
  out->remove(out->ctx, CC_GC_OBJECT_CONTAINER, cc_str{nullptr, 0}, cc_str{nullptr, 0});
  return CC_OK;
}

cc_gc_vtable scripted_vtable() {
  cc_gc_vtable vt{};
  vt.struct_size = sizeof vt;
  vt.plan = &scripted_plan;
  return vt;
}

TEST(GcStrategy, CopiesDecisionsOutOfTheSink) {
  Scripted s;
  auto vt = scripted_vtable();
  Strategy strategy({&vt, reinterpret_cast<cc_instance*>(&s), "scripted@1.0.0"});
  cc_gc_snapshot snap{};
  snap.struct_size = sizeof snap;
  auto d = strategy.plan(snap, std::chrono::seconds(5));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].kind, static_cast<uint32_t>(CC_GC_OBJECT_VOLUME));
  EXPECT_EQ(d[0].handle, "v1");
  EXPECT_EQ(d[0].reason, "because");
  EXPECT_EQ(d[1].handle, "");
  EXPECT_TRUE(s.saw_deadline);
}

TEST(GcStrategy, PluginFailureBecomesAnErrorNamingThePlugin) {
  Scripted s;
  s.rc = CC_E_UNAVAILABLE;
  auto vt = scripted_vtable();
  Strategy strategy({&vt, reinterpret_cast<cc_instance*>(&s), "scripted@1.0.0"});
  cc_gc_snapshot snap{};
  snap.struct_size = sizeof snap;
  try {
    strategy.plan(snap, std::chrono::seconds(5));
    FAIL() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_EQ(e.code(), CC_E_UNAVAILABLE);
    EXPECT_NE(std::string(e.what()).find("scripted@1.0.0"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("boom"), std::string::npos);
  }
}

TEST(GcStrategy, RefusesABindingWithoutPlan) {
  cc_gc_vtable vt{};
  vt.struct_size = sizeof vt;
  int dummy = 0;
  EXPECT_THROW(Strategy({&vt, reinterpret_cast<cc_instance*>(&dummy), "x@1"}), core::Error);
}

}  // namespace
}  // namespace concourse::worker::gc
