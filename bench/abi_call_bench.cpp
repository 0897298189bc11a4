// A runtime vtable call through the loaded houdini plugin vs a direct call of a function doing
// the same (nothing): the price of the C ABI boundary itself.
#include <concourse/runtime.h>

#include <cstdio>
#include <filesystem>

#include "bench_util.hpp"
#include "core/plugin/call_context.hpp"
#include "core/plugin/registry.hpp"

namespace {

// The baseline: the same signature as the vtable slot, called directly, not inlined.
__attribute__((noinline)) int32_t direct_ping(cc_instance* rt, const cc_call_ctx* ctx,
                                              cc_error* err) {
  asm volatile("" : : "r"(rt), "r"(ctx), "r"(err) : "memory");
  return CC_OK;
}

}  // namespace

int main(int argc, char** argv) {
  namespace plugin = concourse::core::plugin;
  namespace b = concourse::bench;
  std::string plugin_dir = argc > 1 ? argv[1] : CONCOURSE_PLUGIN_DIR;
  auto work = std::filesystem::temp_directory_path() / "cc-abi-bench";
  std::filesystem::create_directories(work);
  plugin::Registry registry({(work / "cache").string(), {}, nullptr, ""});
  registry.scan(plugin_dir);
  auto mod = registry.find(CC_KIND_RUNTIME, "houdini");
  if (!mod) {
    std::fprintf(stderr, "error: houdini not found in %s\n", plugin_dir.c_str());
    return 1;
  }
  auto inst = plugin::Instance::create(mod, "{}", work.string());
  const auto* vt = inst->vtable<cc_runtime_vtable>();
  plugin::CallContext ctx;
  cc_error err{};
  err.struct_size = sizeof err;
  constexpr int kCalls = 2'000'000;
  auto per_call_ns = [&](auto&& call) {
    std::vector<double> rounds;
    for (int r = 0; r < 7; ++r) {
      auto t0 = b::Clock::now();
      for (int i = 0; i < kCalls; ++i)
        call();
      rounds.push_back(b::ms_since(t0) * 1e6 / kCalls);
    }
    return b::stats_of(rounds);
  };
  auto through_abi = per_call_ns([&] { vt->ping(inst->get(), ctx.get(), &err); });
  auto direct = per_call_ns([&] { direct_ping(inst->get(), ctx.get(), &err); });
  std::printf("runtime vtable call vs direct call (%d calls x 7 rounds, ns per call)\n", kCalls);
  b::print_row("direct call (baseline)", direct, "ns");
  b::print_row("houdini ping through the C ABI", through_abi, "ns");
  std::printf("  overhead: %.2f ns per call (%.2fx)\n", through_abi.median - direct.median,
              through_abi.median / direct.median);
  inst.reset();
  std::filesystem::remove_all(work);
  return 0;
}
