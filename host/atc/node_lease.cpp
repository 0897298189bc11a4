#include "atc/node_lease.hpp"

#include "atc/db/builds.hpp"
#include "atc/db/web_nodes.hpp"

namespace concourse::atc {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

NodeLease::NodeLease(db::Database& db, std::string name, std::chrono::milliseconds interval,
                     std::chrono::milliseconds ttl, concourse::log::Logger log)
    : db_(db), name_(std::move(name)), interval_(interval), ttl_(ttl), log_(std::move(log)) {}

NodeLease::~NodeLease() {
  stop();
}

void NodeLease::start() {
  renew_once();
  std::lock_guard lock(mu_);
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void NodeLease::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  try {
    db::WebNodes(db_).remove(name_);
  } catch (const std::exception& e) {
    log_.warn("lease-release-failed", {{"error", e.what()}});
  }
}

size_t NodeLease::renew_once() {
  int64_t now = unix_ms();
  db::WebNodes nodes(db_);
  nodes.renew(name_, now);
  auto dead = nodes.expire(now - ttl_.count(), name_);
  for (const auto& node : dead) {
    auto lost = db::Builds(db_).error_lost_builds(
        node, "build lost: web node " + node + " stopped renewing its lease");
    log_.error("web-node-expired", {{"web_node", node},
                                    {"builds_errored", std::to_string(lost.size())},
                                    {"ttl", std::to_string(ttl_.count()) + "ms"}});
  }
  return dead.size();
}

void NodeLease::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, interval_, [this] { return stopping_; }))
      break;
    lock.unlock();
    try {
      renew_once();
    } catch (const std::exception& e) {
      // A database outage must not end the loop; a node that cannot renew is expired by peers.
      log_.error("lease-renew-failed", {{"error", e.what()}});
    }
    lock.lock();
  }
}

}  // namespace concourse::atc
