#include "semver.hpp"

#include "resource.hpp"

#include <algorithm>

namespace concourse::resource::semver {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_ident(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) {
      return out;
    }
    start = pos + 1;
  }
}

std::uint64_t number(std::string_view s, const std::string& what, const std::string& full) {
  if (!all_digits(s)) {
    throw Error("invalid " + what + " in version '" + full + "'");
  }
  if (s.size() > 1 && s[0] == '0') {
    throw Error(what + " must not contain leading zeroes in version '" + full + "'");
  }
  return std::stoull(std::string(s));
}

}  // namespace

Version parse(std::string_view text) {
  std::string full(text);
  Version v;
  std::string_view rest = text;
  auto plus = rest.find('+');
  if (plus != std::string_view::npos) {
    for (auto& b : split(rest.substr(plus + 1), '.')) {
      if (!valid_ident(b)) {
        throw Error("invalid build metadata in version '" + full + "'");
      }
      v.build.push_back(b);
    }
    rest = rest.substr(0, plus);
  }
  auto dash = rest.find('-');
  if (dash != std::string_view::npos) {
    for (auto& p : split(rest.substr(dash + 1), '.')) {
      if (!valid_ident(p)) {
        throw Error("invalid prerelease in version '" + full + "'");
      }
      PreId id{p, 0, all_digits(p)};
      if (id.is_num) {
        id.num = number(p, "prerelease number", full);
      }
      v.pre.push_back(id);
    }
    rest = rest.substr(0, dash);
  }
  auto parts = split(rest, '.');
  if (parts.size() != 3) {
    throw Error("no major, minor and patch in version '" + full + "'");
  }
  v.major = number(parts[0], "major number", full);
  v.minor = number(parts[1], "minor number", full);
  v.patch = number(parts[2], "patch number", full);
  return v;
}

std::string to_string(const Version& v) {
  std::string s =
      std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
  for (std::size_t i = 0; i < v.pre.size(); ++i) {
    s += (i == 0 ? "-" : ".") + (v.pre[i].is_num ? std::to_string(v.pre[i].num) : v.pre[i].str);
  }
  for (std::size_t i = 0; i < v.build.size(); ++i) {
    s += (i == 0 ? "+" : ".") + v.build[i];
  }
  return s;
}

int compare(const Version& a, const Version& b) {
  auto cmp = [](std::uint64_t x, std::uint64_t y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (int c = cmp(a.major, b.major); c != 0)
    return c;
  if (int c = cmp(a.minor, b.minor); c != 0)
    return c;
  if (int c = cmp(a.patch, b.patch); c != 0)
    return c;
  // A release outranks any of its prereleases.
  if (a.pre.empty() || b.pre.empty()) {
    return a.pre.empty() == b.pre.empty() ? 0 : (a.pre.empty() ? 1 : -1);
  }
  for (std::size_t i = 0; i < std::min(a.pre.size(), b.pre.size()); ++i) {
    const PreId &x = a.pre[i], &y = b.pre[i];
    if (x.is_num != y.is_num) {
      return x.is_num ? -1 : 1;
    }
    int c = x.is_num ? cmp(x.num, y.num) : x.str.compare(y.str);
    if (c != 0) {
      return c < 0 ? -1 : 1;
    }
  }
  return cmp(a.pre.size(), b.pre.size());
}

bool equals(const Version& a, const Version& b) {
  return compare(a, b) == 0 && a.build == b.build;
}

namespace {

Version bump_pre(Version v, const std::string& pre, bool without_version) {
  if (without_version) {
    v.pre = {PreId{pre, 0, false}};
  } else if (v.pre.size() < 2 || v.pre[0].str != pre) {
    v.pre = {PreId{pre, 0, false}, PreId{"1", 1, true}};
  } else {
    // A non-numeric second identifier counts as 0, as blang's VersionNum does.
    std::uint64_t n = (v.pre[1].is_num ? v.pre[1].num : 0) + 1;
    v.pre = {PreId{pre, 0, false}, PreId{std::to_string(n), n, true}};
  }
  return v;
}

Version bump_build(Version v, const std::string& build, bool without_version) {
  if (without_version) {
    v.build = {build};
  } else if (v.build.size() < 2 || v.build[0] != build || !all_digits(v.build[1])) {
    v.build = {build, "1"};
  } else {
    v.build = {build, std::to_string(std::stoull(v.build[1]) + 1)};
  }
  return v;
}

}  // namespace

Version apply(const BumpParams& p, Version v) {
  if (p.bump == "major") {
    ++v.major, v.minor = 0, v.patch = 0, v.pre.clear();
  } else if (p.bump == "minor") {
    ++v.minor, v.patch = 0, v.pre.clear();
  } else if (p.bump == "patch") {
    ++v.patch, v.pre.clear();
  } else if (p.bump == "final") {
    v.pre.clear();
  } else if (!p.bump.empty()) {
    // The real resource ignores unknown bump kinds; say so instead of failing the build.
    log("ignoring unknown bump '" + p.bump + "' (expected major, minor, patch or final)");
  }
  if (!p.pre.empty()) {
    v = bump_pre(std::move(v), p.pre, p.pre_without_version);
  }
  if (!p.build.empty()) {
    v = bump_build(std::move(v), p.build, p.build_without_version);
  }
  return v;
}

}  // namespace concourse::resource::semver
