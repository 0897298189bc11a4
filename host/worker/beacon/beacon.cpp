#include "worker/beacon/beacon.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "core/error.hpp"
#include "worker/beacon/registration.hpp"
#include "worker/beacon/tsa_client.hpp"

namespace concourse::worker::beacon {
namespace {

std::vector<std::string> shuffled(std::vector<std::string> hosts) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::shuffle(hosts.begin(), hosts.end(), rng);
  return hosts;
}

}  // namespace

Beacon::Beacon(BeaconOptions options, WorkerInfo info, ResourceTypesProvider resource_types,
               concourse::log::Logger log)
    : options_(std::move(options)),
      info_(std::move(info)),
      resource_types_(std::move(resource_types)),
      log_(std::move(log)),
      ended_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (info_.start_time == 0)
    info_.start_time = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  if (options_.tsa_hosts.empty())
    throw core::Error(CC_E_INVALID, "beacon: no --tsa-host");
}

Beacon::~Beacon() {
  stop();
  ::close(ended_fd_);
}

std::string Beacon::worker_json() const {
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& t : info_.tags) {
    if (!t.empty())
      tags.push_back(t);
  }
  nlohmann::json j = {
      {"name", info_.name},
      {"addr", options_.garden_addr},
      {"baggageclaim_url", "http://" + options_.baggageclaim_addr},
      {"platform", info_.platform},
      {"tags", tags},
      {"team", info_.team},
      {"version", info_.version},
      {"start_time", info_.start_time},
      {"ephemeral", info_.ephemeral},
      {"resource_types", resource_types_ ? resource_types_() : nlohmann::json::array()},
      {"active_containers", 0},
      {"active_volumes", 0},
      {"active_tasks", 0},
  };
  for (const auto& [key, value] : {std::pair{"http_proxy_url", &info_.http_proxy_url},
                                   {"https_proxy_url", &info_.https_proxy_url},
                                   {"no_proxy", &info_.no_proxy},
                                   {"certs_path", &info_.certs_path}}) {
    if (!value->empty())
      j[key] = *value;
  }
  return j.dump();
}

void Beacon::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_)
    return;
  thread_ = std::thread([this] { registration_loop(); });
}

bool Beacon::pause(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

void Beacon::registration_loop() {
  auto end = RegistrationEnd::Stopped;
  auto delay = std::chrono::nanoseconds(std::chrono::seconds(1));
  for (;;) {
    auto host = shuffled(options_.tsa_hosts).front();
    std::shared_ptr<Registration> reg;
    uint64_t generation = generation_;
    try {
      auto session = dial_tsa(options_, host);
      reg = std::make_shared<Registration>(std::move(session), options_, worker_json(),
                                           log_.child({{"tsa", host}}), registered_, heartbeats_);
    } catch (const core::Error& e) {
      log_.warn("dial-failed", {{"tsa", host}, {"error", e.what()}});
    }
    if (reg) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_)
          break;
        current_ = reg;
      }
      ++registrations_;
      if (generation_ != generation)  // refresh() came while this JSON was being made
        reg->request_refresh();
      auto result = reg->run();
      {
        std::lock_guard<std::mutex> lock(mu_);
        current_.reset();
      }
      if (result.outcome == Registration::Outcome::Refresh) {
        registered_ = false;
        drain_in_background(std::move(reg));
        log_.info("re-registering", {{"reason", "worker changed (resource types)"}});
        delay = std::chrono::seconds(1);
        continue;
      }
      if (registered_)
        delay = std::chrono::seconds(1);
      registered_ = false;
      if (result.outcome == Registration::Outcome::Exited) {
        // A non-zero status is the TSA refusing the worker (wrong team, bad payload); its
        // stderr is the only place that says why.
        if (result.exit_status != 0)
          log_.error("registration-ended", {{"exit_status", std::to_string(result.exit_status)},
                                            {"error", result.error}});
        else
          log_.info("registration-ended", {{"exit_status", "0"}});
        end = RegistrationEnd::Exited;
        exit_status_ = result.exit_status;
        break;
      }
      if (result.outcome == Registration::Outcome::Stopped)
        break;
      log_.warn("registration-failed", {{"tsa", host}, {"error", result.error}});
    }
    if (!pause(delay))
      break;
    delay = std::min<std::chrono::nanoseconds>(delay * 2, options_.max_retry_delay);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = end;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(ended_fd_, &one, sizeof one);
  cv_.notify_all();
}

void Beacon::refresh() {
  ++generation_;
  std::shared_ptr<Registration> reg;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reg = current_;
  }
  if (reg)
    reg->request_refresh();
}

// The old registration is cancelled only once the new one is registered (or 30 s passed), so
// the ATC always has an address for the worker; its forwarded connections finish on it.
void Beacon::drain_in_background(std::shared_ptr<Registration> old) {
  std::lock_guard<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::thread t([this, old, deadline] {
    old->drain([this, deadline] {
      std::lock_guard<std::mutex> l(mu_);
      return registered_ || stopping_ || std::chrono::steady_clock::now() >= deadline;
    });
  });
  draining_.emplace_back(std::move(old), std::move(t));
}

void Beacon::stop() {
  std::shared_ptr<Registration> reg;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    reg = current_;
  }
  cv_.notify_all();
  if (reg)
    reg->stop();
  if (thread_.joinable())
    thread_.join();
  std::vector<std::pair<std::shared_ptr<Registration>, std::thread>> draining;
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining.swap(draining_);
  }
  for (auto& [old, t] : draining) {
    old->abandon();
    if (t.joinable())
      t.join();
  }
}

bool Beacon::wait_ended(std::chrono::nanoseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return ended_ != RegistrationEnd::Running; });
}

std::string Beacon::run(const std::string& command_line, const std::string& worker_json) {
  std::string last_error = "no --tsa-host";
  for (const auto& host : shuffled(options_.tsa_hosts)) {
    SessionPtr session;
    try {
      session = dial_tsa(options_, host);
    } catch (const core::Error& e) {
      last_error = e.what();
      continue;
    }
    auto out = run_on(session.get(), command_line, worker_json);
    if (out.exit_status != 0) {
      while (!out.err.empty() && out.err.back() == '\n')
        out.err.pop_back();
      throw core::Error(CC_E_INTERNAL, "tsa command '" + command_line + "' exited " +
                                           std::to_string(out.exit_status) + ": " + out.err);
    }
    return out.out;
  }
  throw core::Error(CC_E_UNAVAILABLE, "tsa unreachable: " + last_error);
}

void Beacon::land() {
  run("land-worker", worker_json());
}

void Beacon::retire() {
  run("retire-worker", worker_json());
}

void Beacon::delete_worker() {
  run("delete-worker", worker_json());
}

}  // namespace concourse::worker::beacon
