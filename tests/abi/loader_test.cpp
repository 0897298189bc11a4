// The loader against real .so fixtures: every refusal reason, versions side by side, stripped
// plugins, plugins built against the frozen 1.0 headers, and the verify child.
#include <gtest/gtest.h>

#include <concourse/runtime.h>

#include <filesystem>
#include <fstream>

#include "core/plugin/call_context.hpp"
#include "core/plugin/registry.hpp"
#include "core/plugin/verify.hpp"
#include "support/worker_process.hpp"

namespace plugin = concourse::core::plugin;
namespace fs = std::filesystem;
using concourse::testing::TempDir;
using plugin::RefusalReason;

namespace {

std::string fixture(const std::string& name) {
  return std::string(FIXTURE_DIR) + "/" + name + ".so";
}

plugin::LoadOutcome load(const std::string& name, const std::string& cache = "") {
  return plugin::load_module(fixture(name), plugin::RegistryOptions{cache, {}, nullptr, ""});
}

void expect_refused(const std::string& name, RefusalReason reason, const std::string& needle) {
  auto out = load(name);
  ASSERT_FALSE(out.module) << name << " loaded";
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->reason, reason)
      << name << ": " << plugin::to_string(out.refusal->reason) << ": " << out.refusal->message;
  EXPECT_NE(out.refusal->message.find(needle), std::string::npos)
      << name << ": " << out.refusal->message;
}

}  // namespace

TEST(PluginLoader, LoadsAGoodPlugin) {
  auto out = load("good_1_0_0");
  ASSERT_TRUE(out.module) << out.refusal->message;
  EXPECT_EQ(out.module->name(), "fixture");
  EXPECT_EQ(out.module->version(), "1.0.0");
  EXPECT_EQ(out.module->kind(), static_cast<uint32_t>(CC_KIND_RUNTIME));
}

TEST(PluginLoader, RefusesEachBadPluginWithItsReason) {
  expect_refused("minor_too_new", RefusalReason::AbiMinorTooNew, "upgrade the worker");
  expect_refused("major_mismatch", RefusalReason::AbiMajorMismatch, "built with SDK 2.");
  expect_refused("desc_too_small", RefusalReason::DescriptorTooSmall, "struct_size 16");
  expect_refused("missing_slot", RefusalReason::BadVtable, "required runtime slot is NULL");
  expect_refused("returns_null", RefusalReason::EntryReturnedNull, "missing config");
  expect_refused("throws", RefusalReason::EntryThrew, "fixture entry exploded");
  expect_refused("bad_semver", RefusalReason::InvalidVersion, "'1.0'");
  expect_refused("bad_name", RefusalReason::InvalidName, "Bad_Name");
  expect_refused("unknown_kind", RefusalReason::UnknownKind, "99");
  expect_refused("undefined_symbol", RefusalReason::DlopenFailed,
                 "cc_fixture_symbol_nobody_defines");
  expect_refused("no_entry", RefusalReason::MissingEntry, "concourse_plugin_entry");
}

TEST(PluginLoader, RefusesFilesThatAreNotPlugins) {
  TempDir dir;
  std::ofstream(dir.path() + "/text.so") << "just text, not an ELF object";
  // A 32-bit ELF header: magic, ELFCLASS32, little endian, version 1.
  std::ofstream(dir.path() + "/elf32.so", std::ios::binary) << std::string(
                                                                   "\x7f"
                                                                   "ELF\x01\x01\x01",
                                                                   7)
                                                            << std::string(57, '\0');
  plugin::RegistryOptions o{dir.path() + "/cache", {}, nullptr, ""};
  auto text = plugin::load_module(dir.path() + "/text.so", o);
  ASSERT_TRUE(text.refusal);
  EXPECT_EQ(text.refusal->reason, RefusalReason::NotElf);
  auto elf32 = plugin::load_module(dir.path() + "/elf32.so", o);
  ASSERT_TRUE(elf32.refusal);
  EXPECT_EQ(elf32.refusal->reason, RefusalReason::WrongArch);
}

TEST(PluginLoader, StrippedAndFrozenHeaderPluginsLoad) {
  auto stripped = load("stripped");
  ASSERT_TRUE(stripped.module) << stripped.refusal->message;
  auto frozen = load("frozen_v1_0");
  ASSERT_TRUE(frozen.module) << frozen.refusal->message;
  // And it works: an instance answers through the vtable.
  TempDir work;
  auto inst = plugin::Instance::create(frozen.module, "{}", work.path());
  plugin::CallContext ctx;
  cc_capacity cap{};
  cap.struct_size = sizeof cap;
  cc_error err{};
  err.struct_size = sizeof err;
  ASSERT_EQ(inst->vtable<cc_runtime_vtable>()->capacity(inst->get(), ctx.get(), &cap, &err), CC_OK);
  EXPECT_EQ(cap.max_containers, 7u);
}

TEST(PluginRegistry, ScansADirectoryLoadsTheGoodRefusesTheBad) {
  TempDir dir, cache;
  for (auto n : {"good_1_0_0", "good_1_1_0", "good_1_2_0_rc", "bad_name", "minor_too_new"}) {
    fs::copy_file(fixture(n), dir.path() + "/" + n + ".so");
  }
  // The same name and version twice is refused the second time.
  fs::copy_file(fixture("good_1_0_0"), dir.path() + "/zz_copy_of_good.so");
  std::ofstream(dir.path() + "/README.txt") << "not a plugin, not even looked at";
  plugin::Registry reg({cache.path(), {}, nullptr, ""});
  auto result = reg.scan(dir.path());
  EXPECT_EQ(result.loaded.size(), 3u);
  ASSERT_EQ(result.refused.size(), 3u);
  EXPECT_EQ(result.refused.back().reason, RefusalReason::Duplicate);

  // Newest wins (semver precedence: 1.2.0-rc.1 > 1.1.0 > 1.0.0), and pins select exactly.
  EXPECT_EQ(reg.find(CC_KIND_RUNTIME, "fixture")->version(), "1.2.0-rc.1");
  EXPECT_EQ(reg.find(CC_KIND_RUNTIME, "fixture@1.0.0")->version(), "1.0.0");
  EXPECT_EQ(reg.find(CC_KIND_RUNTIME, "fixture@1.1")->version(), "1.1.0");
  EXPECT_EQ(reg.find(CC_KIND_RUNTIME, "fixture@2"), nullptr);
  EXPECT_EQ(reg.find(CC_KIND_HEALTH_PROBE, "fixture"), nullptr);
}

TEST(PluginRegistry, OverwritingALoadedPluginFileIsHarmless) {
  TempDir dir, cache;
  std::string path = dir.path() + "/runtime.so";
  fs::copy_file(fixture("good_1_0_0"), path);
  plugin::Registry reg({cache.path(), {}, nullptr, ""});
  reg.scan(dir.path());
  auto mod = reg.find(CC_KIND_RUNTIME, "fixture");
  ASSERT_TRUE(mod);
  EXPECT_NE(mod->loaded_path(), path) << "must load from the private cache copy";
  // Overwrite the file in place, as an operator upgrading by `cp` would.
  fs::copy_file(fixture("good_1_1_0"), path, fs::copy_options::overwrite_existing);
  TempDir work;
  auto inst = plugin::Instance::create(mod, "{}", work.path());
  plugin::CallContext ctx;
  cc_error err{};
  err.struct_size = sizeof err;
  EXPECT_EQ(inst->vtable<cc_runtime_vtable>()->ping(inst->get(), ctx.get(), &err), CC_OK);
  // A second scan sees the new version beside the old one.
  plugin::Registry reg2({cache.path(), {}, nullptr, ""});
  reg2.scan(dir.path());
  EXPECT_EQ(reg2.find(CC_KIND_RUNTIME, "fixture")->version(), "1.1.0");
}

#ifdef CONCOURSE_BIN
TEST(PluginVerify, ACrashingPluginIsReportedNotFatal) {
  auto v = plugin::verify_in_child(CONCOURSE_BIN, fixture("segfaults"));
  EXPECT_FALSE(v.ok);
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer turns the child's SIGSEGV into a report and exit 1: still refused, but
  // as a verifier that died without a verdict rather than by the signal.
  EXPECT_EQ(v.reason, "verify-failed") << v.message;
#else
  EXPECT_EQ(v.reason, "entry-crashed");
  EXPECT_NE(v.message.find("signal 11"), std::string::npos) << v.message;
#endif
  auto good = plugin::verify_in_child(CONCOURSE_BIN, fixture("good_1_0_0"));
  EXPECT_TRUE(good.ok) << good.message;
  EXPECT_EQ(good.name, "fixture");
  auto bad = plugin::verify_in_child(CONCOURSE_BIN, fixture("minor_too_new"));
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.reason, "abi-minor-too-new");
}

TEST(PluginVerify, AScanWithAVerifierSurvivesACrashingPlugin) {
  TempDir dir, cache;
  for (auto n : {"good_1_0_0", "segfaults"})
    fs::copy_file(fixture(n), dir.path() + "/" + n + ".so");
  plugin::Registry reg({cache.path(), {}, nullptr, CONCOURSE_BIN});
  auto result = reg.scan(dir.path());
  ASSERT_EQ(result.loaded.size(), 1u);
  ASSERT_EQ(result.refused.size(), 1u);
  EXPECT_EQ(result.refused[0].reason, RefusalReason::EntryCrashed);
  // The verdict for the good one is cached by content: a second scan spawns no verifier for it.
  bool marker = false;
  for (const auto& e : fs::directory_iterator(cache.path())) {
    marker = marker || e.path().extension() == ".verified";
  }
  EXPECT_TRUE(marker);
}
#endif
