#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "strategy.hpp"

namespace {

cc_gc_object object(uint32_t kind, const char* handle, const char* state) {
  cc_gc_object o{};
  o.struct_size = sizeof o;
  o.kind = kind;
  o.handle = concourse::sdk::str(handle);
  o.state = concourse::sdk::str(state);
  o.referenced = std::string(state) != "destroying";
  return o;
}

using Removal = std::pair<uint32_t, std::string>;

// Drives the plugin through its C vtable, as the host does.
std::vector<Removal> plan_through_abi(const std::vector<cc_gc_object>& objs) {
  cc_host_api api{};
  api.struct_size = sizeof api;
  const cc_gc_vtable* vt = concourse::sdk::gc_vtable<concourse::gc_default::DefaultStrategy>();
  cc_instance* inst = nullptr;
  cc_error err = concourse::sdk::Host::new_error();
  EXPECT_EQ(vt->instance_create(&api, nullptr, &inst, &err), CC_OK) << err.message;
  std::vector<const cc_gc_object*> ptrs;
  for (const auto& o : objs)
    ptrs.push_back(&o);
  cc_gc_snapshot snap{};
  snap.struct_size = sizeof snap;
  snap.objects = ptrs.data();
  snap.object_count = ptrs.size();
  std::vector<Removal> got;
  cc_gc_decision_sink sink{sizeof sink, 0, &got, [](void* ctx, uint32_t kind, cc_str h, cc_str) {
                             static_cast<std::vector<Removal>*>(ctx)->emplace_back(
                                 kind, std::string(concourse::sdk::view(h)));
                           }};
  EXPECT_EQ(vt->plan(inst, nullptr, &snap, &sink, &err), CC_OK) << err.message;
  vt->instance_destroy(inst);
  return got;
}

}  // namespace

TEST(DefaultStrategy, ProposesExactlyWhatTheAtcMarkedDestroying) {
  std::vector<cc_gc_object> objs{object(CC_GC_OBJECT_CONTAINER, "c-live", ""),
                                 object(CC_GC_OBJECT_CONTAINER, "c-dead", "destroying"),
                                 object(CC_GC_OBJECT_VOLUME, "v-dead", "destroying"),
                                 object(CC_GC_OBJECT_VOLUME, "v-created", "created")};
  objs[3].is_cache = 1;
  objs[3].referenced = 0;  // an unreferenced cache is not this strategy's business
  auto got = plan_through_abi(objs);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], Removal(CC_GC_OBJECT_CONTAINER, "c-dead"));
  EXPECT_EQ(got[1], Removal(CC_GC_OBJECT_VOLUME, "v-dead"));
}

TEST(DefaultStrategy, EmptySnapshotProposesNothing) {
  EXPECT_TRUE(plan_through_abi({}).empty());
}

TEST(DefaultStrategy, DescribesItself) {
  cc_host_api api{};
  api.struct_size = sizeof api;
  concourse::sdk::Host host(&api);
  concourse::gc_default::DefaultStrategy s(host, {});
  ASSERT_EQ(s.describe().size(), 1u);
  EXPECT_NE(s.describe()[0].find("destroying"), std::string::npos);
}
