#include "clock.hpp"

#include "resource.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <regex>

namespace concourse::resource::timeres {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool zone_file_exists(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
    return false;
  }
  const char* dir = std::getenv("TZDIR");
  std::filesystem::path base = (dir != nullptr && *dir != '\0') ? dir : "/usr/share/zoneinfo";
  std::error_code ec;
  return std::filesystem::is_regular_file(base / name, ec);
}

std::string fraction(std::int64_t ns_of_second) {
  if (ns_of_second == 0) {
    return {};
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(ns_of_second));
  std::string s = buf;
  while (s.back() == '0') {
    s.pop_back();
  }
  return s;
}

}  // namespace

Location::Location(std::string name) : name_(name.empty() ? "UTC" : std::move(name)) {
  if (name_ != "UTC" && name_ != "Local" && !zone_file_exists(name_)) {
    throw Error("unknown time zone " + name_);
  }
}

// The C library keeps one current zone; switching it per call is cheap and single-threaded.
void Location::activate() const {
  static std::string saved_tz = [] {
    const char* t = std::getenv("TZ");
    return t != nullptr ? std::string(t) : std::string("\x01unset");
  }();
  if (name_ == "Local") {
    if (saved_tz == "\x01unset") {
      ::unsetenv("TZ");
    } else {
      ::setenv("TZ", saved_tz.c_str(), 1);
    }
  } else {
    ::setenv("TZ", (":" + name_).c_str(), 1);
  }
  ::tzset();
}

Civil Location::civil(std::int64_t ns) const {
  std::time_t secs = static_cast<std::time_t>(floor_div(ns, kSecond));
  std::tm tm{};
  if (name_ == "UTC") {
    ::gmtime_r(&secs, &tm);
  } else {
    activate();
    ::localtime_r(&secs, &tm);
  }
  Civil c{tm.tm_year + 1900,
          tm.tm_mon + 1,
          tm.tm_mday,
          tm.tm_hour,
          tm.tm_min,
          tm.tm_sec,
          tm.tm_wday,
          static_cast<int>(tm.tm_gmtoff),
          tm.tm_zone != nullptr ? tm.tm_zone : ""};
  if (name_ == "UTC") {
    c.zone = "UTC";
  }
  return c;
}

std::int64_t Location::from_civil(int year, int month, int day, int hour, int minute,
                                  int second) const {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  std::time_t secs = 0;
  if (name_ == "UTC") {
    secs = ::timegm(&tm);
  } else {
    activate();
    secs = ::mktime(&tm);
  }
  return static_cast<std::int64_t>(secs) * kSecond;
}

Time Location::at(std::int64_t ns) const {
  Civil c = civil(ns);
  return Time{ns, c.offset, c.zone};
}

std::int64_t add_days(std::int64_t ns, int n, const Location& loc) {
  Civil c = loc.civil(ns);
  std::int64_t sub = ns - floor_div(ns, kSecond) * kSecond;
  return loc.from_civil(c.year, c.month, c.day + n, c.hour, c.minute, c.second) + sub;
}

Time parse_rfc3339(std::string_view text) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$)");
  std::string s(text);
  std::smatch m;
  if (!std::regex_match(s, m, re)) {
    throw Error("parsing time \"" + s + "\" as RFC 3339: invalid format");
  }
  auto num = [&](int i) { return std::stoi(m[i].str()); };
  std::int64_t frac = 0;
  if (m[7].matched) {
    std::string digits = m[7].str().substr(1);
    digits.resize(9, '0');
    frac = std::stoll(digits);
  }
  int offset = 0;
  std::string tz = m[8].str();
  if (tz != "Z" && tz != "z") {
    offset = (std::stoi(tz.substr(1, 2)) * 3600 + std::stoi(tz.substr(4, 2)) * 60) *
             (tz[0] == '-' ? -1 : 1);
  }
  std::int64_t secs =
      Location("UTC").from_civil(num(1), num(2), num(3), num(4), num(5), num(6)) / kSecond;
  return Time{(secs - offset) * kSecond + frac, offset, offset == 0 && tz != "+00:00" ? "UTC" : ""};
}

std::string format_rfc3339_nano(const Time& t) {
  std::int64_t local = t.ns + static_cast<std::int64_t>(t.offset) * kSecond;
  Civil c = Location("UTC").civil(local);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  std::string out = buf + fraction(local - floor_div(local, kSecond) * kSecond);
  if (t.offset == 0) {
    return out + "Z";
  }
  int off = t.offset < 0 ? -t.offset : t.offset;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", t.offset < 0 ? '-' : '+', off / 3600,
                off % 3600 / 60);
  return out + buf;
}

std::string format_go_default(const Time& t) {
  std::int64_t local = t.ns + static_cast<std::int64_t>(t.offset) * kSecond;
  Civil c = Location("UTC").civil(local);
  int off = t.offset < 0 ? -t.offset : t.offset;
  char numeric[32];
  std::snprintf(numeric, sizeof numeric, "%c%02d%02d", t.offset < 0 ? '-' : '+', off / 3600,
                off % 3600 / 60);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  // Go prints the zone abbreviation, or the numeric offset again for an unnamed fixed zone.
  return std::string(buf) + fraction(local - floor_div(local, kSecond) * kSecond) + " " + numeric +
         " " + (t.zone.empty() ? std::string(numeric) : t.zone);
}

std::int64_t now_ns() {
  const char* fake = std::getenv("CONCOURSE_RESOURCE_FAKE_NOW");
  if (fake != nullptr && *fake != '\0') {
    return parse_rfc3339(fake).ns;
  }
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

}  // namespace concourse::resource::timeres
