#include "duration.hpp"

#include "resource.hpp"

#include <cmath>
#include <string>

namespace concourse::resource {

namespace {

// Nanoseconds per unit, longest unit names first so "ms" is not read as "m" + "s".
long double unit_ns(std::string_view text, std::size_t& len) {
  struct Unit {
    std::string_view name;
    long double ns;
  };
  static const Unit units[] = {{"ns", 1.0L}, {"us", 1e3L}, {"\xC2\xB5s", 1e3L}, {"\xCE\xBCs", 1e3L},
                               {"ms", 1e6L}, {"s", 1e9L},  {"m", 60e9L},        {"h", 3600e9L}};
  for (const auto& u : units) {
    if (text.substr(0, u.name.size()) == u.name) {
      len = u.name.size();
      return u.ns;
    }
  }
  return 0.0L;
}

}  // namespace

std::chrono::nanoseconds parse_go_duration(std::string_view text) {
  const std::string original(text);
  auto fail = [&]() -> Error { return Error("time: invalid duration \"" + original + "\""); };
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (text.empty()) {
    throw fail();
  }
  long double total = 0;
  while (!text.empty()) {
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
      ++i;
    }
    std::string number(text.substr(0, i));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      throw fail();
    }
    text.remove_prefix(i);
    std::size_t ulen = 0;
    long double ns = unit_ns(text, ulen);
    if (ulen == 0) {
      throw Error("time: " + std::string(text.empty() ? "missing" : "unknown") +
                  " unit in duration \"" + original + "\"");
    }
    text.remove_prefix(ulen);
    total += std::stold(number) * ns;
  }
  if (total > 9.2233720368547758e18L) {
    throw Error("time: invalid duration \"" + original + "\"");
  }
  auto value = static_cast<long long>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -value : value);
}

}  // namespace concourse::resource
