// How container metadata maps onto containerd labels. Properties are stored under their own
// keys, as Concourse's containerd backend does; the grace time under "garden.grace-time" (ns);
// the plugin's own keys under "concourse.internal/", which are never shown as properties.
#pragma once

#include <concourse/sdk.hpp>
#include <string>

#include "client.hpp"

namespace concourse::containerd::labels {

inline constexpr const char* kGraceTime = "garden.grace-time";
inline constexpr const char* kRootfs = "concourse.internal/rootfs";
inline constexpr const char* kLimits = "concourse.internal/limits";
inline constexpr const char* kPrivileged = "concourse.internal/privileged";
inline constexpr const char* kOverlay = "concourse.internal/overlay";

inline bool internal(const std::string& key) {
  return key == kGraceTime || key.rfind("concourse.internal/", 0) == 0;
}

inline sdk::Properties properties(const Labels& l) {
  sdk::Properties p;
  for (const auto& [k, v] : l) {
    if (!internal(k))
      p[k] = v;
  }
  return p;
}

inline std::string get(const Labels& l, const std::string& key) {
  auto it = l.find(key);
  return it == l.end() ? "" : it->second;
}

}  // namespace concourse::containerd::labels
