#include "worker/beacon/lifecycle.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>

#include "core/error.hpp"
#include "tsa/atc_client.hpp"

namespace concourse::worker::beacon {
namespace {

enum class Phase { Running, Landing, Retiring };

// Handles from Garden's {"handles":[...]} or Baggageclaim's [{"handle":...}], destroyed one by
// one; a failure is logged and counted, the rest still go.
int destroy_each(const std::string& base, const std::string& list_path,
                 const std::string& delete_prefix, const concourse::log::Logger& log) {
  auto timeout = std::chrono::minutes(5);
  auto list = tsa::http_request("GET", base + list_path, "", "", timeout);
  auto j = nlohmann::json::parse(list.body, nullptr, false);
  std::vector<std::string> handles;
  // Garden answers {"Handles":[...]} (Go's field name on the wire); "handles" is accepted too.
  const char* key = j.is_object() && j.contains("Handles") ? "Handles" : "handles";
  if (j.is_object() && j.contains(key) && j[key].is_array()) {
    for (const auto& h : j[key])
      handles.push_back(h.get<std::string>());
  } else if (j.is_array()) {
    for (const auto& v : j)
      handles.push_back(v.value("handle", std::string()));
  } else {
    throw core::Error(CC_E_INTERNAL, "GET " + base + list_path + ": unexpected answer");
  }
  int failed = 0;
  for (const auto& h : handles) {
    auto r =
        tsa::http_request("DELETE", base + delete_prefix + tsa::url_escape(h), "", "", timeout);
    if (r.status / 100 != 2) {
      ++failed;
      log.warn("destroy-failed", {{"handle", h}, {"status", std::to_string(r.status)}});
    }
  }
  return failed;
}

void try_command(const char* what, const std::function<void()>& fn,
                 const concourse::log::Logger& log) {
  try {
    fn();
  } catch (const std::exception& e) {
    log.error(std::string(what) + "-failed", {{"error", e.what()}});
  }
}

}  // namespace

int destroy_all(const LifecycleOptions& options, const concourse::log::Logger& log) {
  int failed = 0;
  try {
    failed += destroy_each(options.garden_url, "/containers", "/containers/", log);
    failed += destroy_each(options.baggageclaim_url, "/volumes", "/volumes/", log);
  } catch (const std::exception& e) {
    log.error("destroy-all-failed", {{"error", e.what()}});
    ++failed;
  }
  log.info("destroyed-everything", {{"failures", std::to_string(failed)}});
  return failed;
}

int run_lifecycle(Beacon& beacon, const LifecycleOptions& options,
                  const concourse::log::Logger& log) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2})
    sigaddset(&set, s);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    throw core::Error(CC_E_INTERNAL, "signalfd failed");
  Phase phase = Phase::Running;
  int code = 0;
  for (;;) {
    pollfd fds[2] = {{sfd, POLLIN, 0}, {beacon.ended_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0)
      continue;
    if (fds[1].revents != 0) {
      log.info("registration-ended", {{"phase", phase == Phase::Retiring  ? "retiring"
                                                : phase == Phase::Landing ? "landing"
                                                                          : "running"}});
      if (phase == Phase::Retiring)
        code = destroy_all(options, log) == 0 ? 0 : 1;
      // The TSA refused the worker (wrong team...): a failure for whoever supervises us, as
      // Concourse's worker exits with the beacon's error.
      else if (beacon.exit_status() > 0)
        code = 1;
      break;
    }
    signalfd_siginfo info{};
    if (read(sfd, &info, sizeof info) != sizeof info)
      continue;
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGUSR1 && phase == Phase::Running) {
      log.info("landing");
      phase = Phase::Landing;
      try_command(
          "land", [&] { beacon.land(); }, log);
    } else if (sig == SIGUSR2 && phase != Phase::Retiring) {
      log.info("retiring");
      phase = Phase::Retiring;
      try_command(
          "retire", [&] { beacon.retire(); }, log);
    } else if (sig == SIGINT || sig == SIGTERM) {
      log.info("signal-received", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
      beacon.stop();
      if (phase == Phase::Retiring)
        try_command(
            "delete-worker", [&] { beacon.delete_worker(); }, log);
      break;
    }
  }
  ::close(sfd);
  return code;
}

}  // namespace concourse::worker::beacon
