// Descriptor validation without dlopen: the checks in their documented order.
#include "core/plugin/validate.hpp"

#include <gtest/gtest.h>

#include <concourse/probe.h>

using concourse::core::plugin::RefusalReason;
using concourse::core::plugin::validate_descriptor;

namespace {

int32_t create(const cc_host_api*, const cc_instance_params*, cc_instance**, cc_error*) {
  return CC_OK;
}
void destroy(cc_instance*) {}
int32_t probe(cc_instance*, const cc_call_ctx*, cc_probe_result*, cc_error*) {
  return CC_OK;
}

cc_probe_vtable vt{sizeof(cc_probe_vtable), 0, &create, &destroy, &probe};

cc_plugin_descriptor good() {
  return {sizeof(cc_plugin_descriptor),
          CC_ABI_MAJOR,
          CC_ABI_MINOR,
          CC_KIND_HEALTH_PROBE,
          "basic",
          "1.0.0",
          "d",
          0,
          0,
          nullptr,
          &vt,
          nullptr};
}

RefusalReason reason_of(const cc_plugin_descriptor& d) {
  auto r = validate_descriptor(&d, "x.so");
  EXPECT_TRUE(r);
  return r ? r->reason : RefusalReason::NotElf;
}

}  // namespace

TEST(Validate, AcceptsAGoodDescriptorAndOlderMinors) {
  auto d = good();
  EXPECT_FALSE(validate_descriptor(&d, "x.so"));
}

TEST(Validate, RefusesInOrder) {
  auto d = good();
  d.struct_size = 8;
  d.abi_major = 99;  // size is checked first
  EXPECT_EQ(reason_of(d), RefusalReason::DescriptorTooSmall);
  d = good();
  d.abi_major = CC_ABI_MAJOR + 1;
  EXPECT_EQ(reason_of(d), RefusalReason::AbiMajorMismatch);
  d = good();
  d.abi_minor = CC_ABI_MINOR + 1;
  EXPECT_EQ(reason_of(d), RefusalReason::AbiMinorTooNew);
  d = good();
  d.kind = 0;
  EXPECT_EQ(reason_of(d), RefusalReason::UnknownKind);
  d = good();
  d.vtable = nullptr;
  EXPECT_EQ(reason_of(d), RefusalReason::BadVtable);
  cc_probe_vtable short_vt = vt;
  short_vt.struct_size = 8;
  d = good();
  d.vtable = &short_vt;
  EXPECT_EQ(reason_of(d), RefusalReason::BadVtable);
  cc_probe_vtable null_slot = vt;
  null_slot.probe = nullptr;
  d.vtable = &null_slot;
  EXPECT_EQ(reason_of(d), RefusalReason::BadVtable);
  d = good();
  d.name = nullptr;
  EXPECT_EQ(reason_of(d), RefusalReason::InvalidName);
  d.name = "-leading-dash";
  EXPECT_EQ(reason_of(d), RefusalReason::InvalidName);
  d = good();
  d.version = "v1";
  EXPECT_EQ(reason_of(d), RefusalReason::InvalidVersion);
  d.version = nullptr;
  EXPECT_EQ(reason_of(d), RefusalReason::InvalidVersion);
}
