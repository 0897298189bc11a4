// Go's time.ParseDuration, which is what Concourse's `timeout:` accepts.
#include <cmath>
#include <cstdlib>

#include "steps.hpp"

namespace concourse::atc::engine {

std::chrono::nanoseconds parse_go_duration(const std::string& text) {
  static const std::pair<const char*, double> kUnits[] = {
      {"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
      {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  std::string s = text;
  double sign = 1;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    sign = s[0] == '-' ? -1 : 1;
    s.erase(0, 1);
  }
  if (s == "0")
    return std::chrono::nanoseconds(0);
  if (s.empty())
    throw StepError("invalid duration '" + text + "'");
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
      ++i;
    if (i == start)
      throw StepError("invalid duration '" + text + "'");
    double value = std::strtod(s.substr(start, i - start).c_str(), nullptr);
    size_t ustart = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.')
      ++i;
    std::string unit = s.substr(ustart, i - ustart);
    double scale = 0;
    for (const auto& [name, mult] : kUnits) {
      if (unit == name)
        scale = mult;
    }
    if (scale == 0)
      throw StepError("invalid duration '" + text + "': unknown unit '" + unit + "'");
    total += value * scale;
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(sign * total)));
}

}  // namespace concourse::atc::engine
