#include "core/plugin/semver.hpp"

#include <cctype>

namespace concourse::core::plugin {
namespace {

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0'))
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool identifier_ok(std::string_view s, bool numeric_no_leading_zero) {
  if (s.empty())
    return false;
  bool all_digits = true;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
      return false;
    if (!std::isdigit(static_cast<unsigned char>(c)))
      all_digits = false;
  }
  return !(numeric_no_leading_zero && all_digits && s.size() > 1 && s[0] == '0');
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

int compare_identifier(const std::string& a, const std::string& b) {
  auto na = number(a), nb = number(b);
  if (na && nb)
    return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  if (na)
    return -1;  // numeric identifiers sort before alphanumeric ones
  if (nb)
    return 1;
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace

std::optional<SemVer> parse_semver(std::string_view text) {
  SemVer v;
  v.text = std::string(text);
  std::string_view core = text;
  if (auto plus = core.find('+'); plus != std::string_view::npos) {
    for (auto id : split(core.substr(plus + 1), '.')) {
      if (!identifier_ok(id, false))
        return std::nullopt;
    }
    core = core.substr(0, plus);
  }
  if (auto dash = core.find('-'); dash != std::string_view::npos) {
    for (auto id : split(core.substr(dash + 1), '.')) {
      if (!identifier_ok(id, true))
        return std::nullopt;
      v.prerelease.emplace_back(id);
    }
    core = core.substr(0, dash);
  }
  auto parts = split(core, '.');
  if (parts.size() != 3)
    return std::nullopt;
  auto ma = number(parts[0]), mi = number(parts[1]), pa = number(parts[2]);
  if (!ma || !mi || !pa)
    return std::nullopt;
  v.major = *ma;
  v.minor = *mi;
  v.patch = *pa;
  return v;
}

int compare(const SemVer& a, const SemVer& b) {
  if (a.major != b.major)
    return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor)
    return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch)
    return a.patch < b.patch ? -1 : 1;
  if (a.prerelease.empty() != b.prerelease.empty())
    return a.prerelease.empty() ? 1 : -1;
  for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
    if (int c = compare_identifier(a.prerelease[i], b.prerelease[i]); c != 0)
      return c;
  }
  if (a.prerelease.size() != b.prerelease.size()) {
    return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  }
  return 0;
}

bool version_matches(const SemVer& version, std::string_view pin) {
  if (auto exact = parse_semver(pin))
    return compare(*exact, version) == 0;
  auto parts = split(pin, '.');
  if (parts.empty() || parts.size() > 2)
    return false;
  auto ma = number(parts[0]);
  if (!ma || *ma != version.major)
    return false;
  if (parts.size() == 2) {
    auto mi = number(parts[1]);
    if (!mi || *mi != version.minor)
      return false;
  }
  return true;
}

}  // namespace concourse::core::plugin
