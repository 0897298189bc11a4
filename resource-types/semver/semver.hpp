// Semantic versions and the semver resource's bump rules (concourse/semver-resource, which
// uses blang/semver's strict parser).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace concourse::resource::semver {

struct PreId {
  std::string str;
  std::uint64_t num = 0;
  bool is_num = false;
};

struct Version {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<PreId> pre;
  std::vector<std::string> build;
};

Version parse(std::string_view text);  // throws Error
std::string to_string(const Version& v);
// SemVer precedence: build metadata ignored.
int compare(const Version& a, const Version& b);
bool equals(const Version& a, const Version& b);  // including build, like blang's Equals

struct BumpParams {
  std::string bump;  // major | minor | patch | final | ""
  std::string pre, build;
  bool pre_without_version = false, build_without_version = false;
  bool any() const { return !bump.empty() || !pre.empty() || !build.empty(); }
};

Version apply(const BumpParams& params, Version v);

}  // namespace concourse::resource::semver
