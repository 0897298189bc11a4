// Instants, IANA locations and Go's time formats, just as much as the time resource needs.
// Locations are resolved through the TZif files under $TZDIR or /usr/share/zoneinfo (the rootfs
// carries a copy), using the C library's TZ machinery.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace concourse::resource::timeres {

// Nanoseconds since the Unix epoch plus the UTC offset it was observed at, so versions can be
// re-emitted with the offset they came in with (as Go's time.Time does).
struct Time {
  std::int64_t ns = 0;
  int offset = 0;    // seconds east of UTC
  std::string zone;  // abbreviation, empty for a fixed offset parsed from text
  bool operator<(const Time& o) const { return ns < o.ns; }
  bool operator==(const Time& o) const { return ns == o.ns; }
};

struct Civil {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int weekday = 4;  // 0 = Sunday
  int offset = 0;
  std::string zone;
};

// A named location: "UTC" (also the default for ""), "Local", or an IANA name.
class Location {
 public:
  explicit Location(std::string name = "UTC");  // throws Error for unknown zones
  const std::string& name() const { return name_; }
  Civil civil(std::int64_t ns) const;
  // Wall clock in this location to an instant; out-of-range fields (day 0, day 32) normalize
  // like Go's time.Date.
  std::int64_t from_civil(int year, int month, int day, int hour, int minute, int second) const;
  Time at(std::int64_t ns) const;  // the instant with this location's offset

 private:
  void activate() const;
  std::string name_;
};

constexpr std::int64_t kSecond = 1000000000;

// Honours CONCOURSE_RESOURCE_FAKE_NOW (RFC 3339) so tests can pin the clock; nothing else sets it.
std::int64_t now_ns();

Time parse_rfc3339(std::string_view text);  // throws Error
std::string format_rfc3339_nano(const Time& t);
// Go's "2006-01-02 15:04:05.999999999 -0700 MST" (for the `timestamp` file).
std::string format_go_default(const Time& t);
// Adds n calendar days in `loc`, keeping the wall-clock time (Go's AddDate(0, 0, n)).
std::int64_t add_days(std::int64_t ns, int n, const Location& loc);

}  // namespace concourse::resource::timeres
