// What the sweepers need from this worker's own Garden and Baggageclaim servers, over loopback
// HTTP as Concourse's sweepers use their clients: the ATC sees those same servers, so GC works on
// exactly what the ATC can see. The volume listing keeps paths and properties (cc_worker_api only
// carries handles), because cache eviction needs both.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace concourse::worker::gc {

struct LocalEndpoints {
  std::string garden_host = "127.0.0.1";
  uint16_t garden_port = 7777;
  std::string baggageclaim_host = "127.0.0.1";
  uint16_t baggageclaim_port = 7788;
  // Concourse's sweeper clients give up after a minute without response headers.
  std::chrono::milliseconds timeout = std::chrono::minutes(1);
};

struct LocalVolume {
  std::string handle;
  std::string path;  // the data directory
  std::map<std::string, std::string> properties;
  int64_t ttl_seconds = 0;
};

// Every call throws core::Error: CC_E_UNAVAILABLE for transport failures, CC_E_INTERNAL for an
// unexpected status or body.
class LocalInventory {
 public:
  explicit LocalInventory(LocalEndpoints endpoints);

  std::vector<std::string> list_containers() const;
  std::vector<LocalVolume> list_volumes() const;
  // Both treat "already gone" (404) as done, as a repeated sweep must.
  void destroy_container(const std::string& handle) const;
  void destroy_volume(const std::string& handle) const;
  // POST /volumes/cleanup-orphans, which Concourse 8 sends after each volume sweep.
  void cleanup_orphans() const;

 private:
  LocalEndpoints ep_;
};

}  // namespace concourse::worker::gc
