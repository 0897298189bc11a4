#include "atc/checker/check_runner.hpp"

#include "atc/engine/baggageclaim_client.hpp"
#include "atc/engine/context.hpp"
#include "atc/engine/garden_client.hpp"

namespace concourse::atc::checker {
namespace {

using nlohmann::json;

constexpr size_t kMaxError = 4096;

std::string stdin_request(const CheckCall& call) {
  json req{{"source", call.source.is_null() ? json::object() : call.source}};
  if (call.version.is_object() && !call.version.empty())
    req["version"] = call.version;
  return req.dump();
}

CheckResult parse_reply(const std::string& out) {
  CheckResult r;
  json reply = json::parse(out, nullptr, false);
  if (!reply.is_array()) {
    r.error = "check printed no JSON array of versions: " + out.substr(0, 512);
    return r;
  }
  for (const auto& v : reply) {
    if (!v.is_object()) {
      r.error = "check printed a version that is not an object: " + v.dump();
      return r;
    }
    r.versions.push_back(v);
  }
  r.ok = true;
  return r;
}

CheckResult check_on(const engine::WorkerTarget& w, engine::ImageCache& images,
                     const CheckCall& call, std::string& container, std::string& volume) {
  engine::BaggageclaimClient bc(w.baggageclaim_url);
  engine::Volume base = images.base_volume(w, call.type);
  volume = engine::random_handle();
  engine::Volume rootfs = bc.create(volume, {{"type", "cow"}, {"volume", base.handle}}, {});
  engine::ContainerSpec spec;
  spec.handle = engine::random_handle();
  spec.rootfs = "raw://" + rootfs.path;
  spec.properties = {{"concourse:check", "true"}};
  engine::GardenClient garden(w.garden_addr);
  container = garden.create(spec);
  std::string out, err;
  engine::ProcessIo io;
  io.stdin_data = stdin_request(call);
  io.on_stdout = [&out](const std::string& s) { out += s; };
  io.on_stderr = [&err](const std::string& s) {
    if (err.size() < kMaxError)
      err += s;
  };
  engine::ProcessSpec proc{"check", "/opt/resource/check", {}, {}, "", "", false};
  engine::ProcessOutcome p = garden.run(container, proc, io);
  if (!p.exit_status)
    return CheckResult{false, {}, "running check: " + p.error};
  if (*p.exit_status != 0) {
    std::string msg =
        err.empty() ? "check exited with status " + std::to_string(*p.exit_status) : err;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r'))
      msg.pop_back();
    return CheckResult{false, {}, msg};
  }
  return parse_reply(out);
}

}  // namespace

CheckResult run_check(engine::WorkerPool& workers, engine::ImageCache& images,
                      const CheckCall& call) {
  std::string container, volume;
  engine::WorkerTarget w;
  CheckResult result;
  try {
    w = workers.choose(call.team, call.tags, call.type);
    result = check_on(w, images, call, container, volume);
  } catch (const std::exception& e) {
    result = CheckResult{false, {}, e.what()};
  }
  // Check containers are not kept: the next check makes a fresh COW clone, which is cheap.
  try {
    if (!container.empty())
      engine::GardenClient(w.garden_addr).destroy(container);
    if (!volume.empty())
      engine::BaggageclaimClient(w.baggageclaim_url).destroy(volume);
  } catch (const std::exception&) {
    // Left for the worker's GC; the check result stands.
  }
  return result;
}

}  // namespace concourse::atc::checker
