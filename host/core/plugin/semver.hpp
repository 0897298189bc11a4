// Semantic versions (semver.org 2.0): parsing and precedence, for "newest wins" and name@version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace concourse::core::plugin {

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty = a release
  std::string text;                     // as written, build metadata included

  // Precedence per semver: build metadata ignored, a prerelease sorts before its release.
  friend int compare(const SemVer& a, const SemVer& b);
  friend bool operator<(const SemVer& a, const SemVer& b) { return compare(a, b) < 0; }
};

std::optional<SemVer> parse_semver(std::string_view text);

// True when `version` is selected by `pin`: "1.2.3" exactly, or a prefix "1" / "1.2" of it.
bool version_matches(const SemVer& version, std::string_view pin);

}  // namespace concourse::core::plugin
