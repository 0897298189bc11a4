#include "time_lord.hpp"

#include "duration.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace concourse::resource::timeres {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Go accepts the layouts "3:04 PM", "3PM", "3 PM", "15:04" and "1504", each optionally with a
// " -0700" suffix.
std::optional<int> match_time_of_day(const std::string& s, int& offset_minutes) {
  static const std::regex twelve_colon(R"(^(\d{1,2}):(\d{2}) (AM|PM)( [+-]\d{4})?$)");
  static const std::regex twelve(R"(^(\d{1,2}) ?(AM|PM)( [+-]\d{4})?$)");
  static const std::regex colon(R"(^(\d{1,2}):(\d{2})( [+-]\d{4})?$)");
  static const std::regex compact(R"(^(\d{2})(\d{2})( [+-]\d{4})?$)");
  std::smatch m;
  int hour = 0, minute = 0;
  std::string pm, off;
  if (std::regex_match(s, m, twelve_colon)) {
    hour = std::stoi(m[1]), minute = std::stoi(m[2]), pm = m[3], off = m[4];
  } else if (std::regex_match(s, m, twelve)) {
    hour = std::stoi(m[1]), pm = m[2], off = m[3];
  } else if (std::regex_match(s, m, colon) || std::regex_match(s, m, compact)) {
    hour = std::stoi(m[1]), minute = std::stoi(m[2]), off = m[3];
  } else {
    return std::nullopt;
  }
  if (!pm.empty()) {
    if (hour < 1 || hour > 12) {
      return std::nullopt;
    }
    hour = (hour % 12) + (pm == "PM" ? 12 : 0);
  }
  if (hour > 23 || minute > 59) {
    return std::nullopt;
  }
  offset_minutes = 0;
  if (!off.empty()) {
    int v = std::stoi(off.substr(2));
    offset_minutes = (v / 100 * 60 + v % 100) * (off[1] == '-' ? -1 : 1);
  }
  return hour * 60 + minute;
}

std::optional<int> optional_time_of_day(const json& source, const char* key) {
  if (!has(source, key)) {
    return std::nullopt;
  }
  return parse_time_of_day(get_string(source, key));
}

}  // namespace

int parse_time_of_day(std::string_view text) {
  int offset = 0;
  auto minutes = match_time_of_day(std::string(text), offset);
  if (!minutes) {
    throw Error("invalid time format: " + std::string(text) +
                ", must be one of: 3:04 PM -0700, 3PM -0700, 3 PM -0700, 15:04 -0700, 1504 -0700, "
                "3:04 PM, 3PM, 3 PM, 15:04, 1504");
  }
  return ((*minutes - offset) % 1440 + 1440) % 1440;
}

int parse_weekday(std::string_view text) {
  static const char* names[] = {"sunday",   "monday", "tuesday", "wednesday",
                                "thursday", "friday", "saturday"};
  std::string l = lower(text);
  for (int i = 0; i < 7; ++i) {
    if (l == names[i] || l == std::string(names[i]).substr(0, 3)) {
      return i;
    }
  }
  throw Error("unknown weekday: " + std::string(text));
}

std::vector<int> parse_start_after(std::string_view text) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2}))?)?)?$)");
  std::string s(text);
  std::smatch m;
  // Go's "2006-01-02 15:04:05" layout requires seconds when a space separates the time.
  bool spaced = s.size() > 10 && s[10] == ' ';
  if (!std::regex_match(s, m, re) || (spaced && !m[6].matched)) {
    throw Error("invalid date format: " + s +
                ", must be one of: 2006-01-02T15:04:05, 2006-01-02T15:04, 2006-01-02T15, "
                "2006-01-02, 2006-01-02 15:04:05");
  }
  std::vector<int> out;
  for (int i = 1; i <= 6; ++i) {
    out.push_back(m[i].matched ? std::stoi(m[i]) : 0);
  }
  return out;
}

Source parse_source(const json& source) {
  Source s;
  s.initial_version = get_bool(source, "initial_version");
  if (has(source, "interval")) {
    s.interval_ns = parse_go_duration(get_string(source, "interval")).count();
  }
  s.start = optional_time_of_day(source, "start");
  s.stop = optional_time_of_day(source, "stop");
  for (const auto& d : get_string_list(source, "days")) {
    s.days.push_back(parse_weekday(d));
  }
  s.location = Location(get_string(source, "location", "UTC"));
  if (has(source, "start_after")) {
    s.start_after = parse_start_after(get_string(source, "start_after"));
  }
  if (s.start.has_value() != s.stop.has_value()) {
    throw Error(s.start ? "must configure 'stop' if 'start' is set"
                        : "must configure 'start' if 'stop' is set");
  }
  return s;
}

std::pair<std::int64_t, std::int64_t> TimeLord::latest_range_before(std::int64_t ref) const {
  const Location& loc = src_.location;
  int start_min = src_.start.value_or(0), stop_min = src_.stop.value_or(0);
  Civil c = loc.civil(ref);
  std::int64_t start = loc.from_civil(c.year, c.month, c.day, start_min / 60, start_min % 60, 0);
  if (start > ref) {
    start = add_days(start, -1, loc);
  }
  Civil s = loc.civil(start);
  std::int64_t stop = loc.from_civil(s.year, s.month, s.day, stop_min / 60, stop_min % 60, 0);
  if (stop <= start) {
    stop = add_days(stop, 1, loc);
  }
  return {start, stop};
}

bool TimeLord::days_match(std::int64_t t) const {
  if (src_.days.empty()) {
    return true;
  }
  int wd = src_.location.civil(t).weekday;
  return std::find(src_.days.begin(), src_.days.end(), wd) != src_.days.end();
}

bool TimeLord::check(std::int64_t now) const {
  auto [start, stop] = latest_range_before(now);
  if (!days_match(now)) {
    return false;
  }
  if (src_.start_after) {
    const auto& f = *src_.start_after;
    std::int64_t after = src_.location.from_civil(f[0], f[1], f[2], f[3], f[4], f[5]);
    if (after >= now) {
      return false;
    }
  }
  // A window is configured unless start and stop both default to midnight (Go's IsZero test
  // on the computed start never fires, so the window always applies; a full day is [0, 24h)).
  if (now < start || now >= stop) {
    return false;
  }
  if (!previous_) {
    return true;
  }
  if (src_.interval_ns) {
    return now - *previous_ >= *src_.interval_ns;
  }
  return *previous_ < start;
}

json run_check(const Request& req, std::int64_t now) {
  Source src = parse_source(req.source);
  std::optional<Time> previous;
  if (has(req.version, "time")) {
    previous = parse_rfc3339(get_string(req.version, "time"));
  }
  Time current = src.location.at(now);
  json out = json::array();
  if (previous) {
    out.push_back({{"time", format_rfc3339_nano(*previous)}});
  } else if (src.initial_version) {
    out.push_back({{"time", format_rfc3339_nano(current)}});
    return out;
  }
  TimeLord lord(src, previous ? std::optional<std::int64_t>(previous->ns) : std::nullopt);
  if (lord.check(now)) {
    out.push_back({{"time", format_rfc3339_nano(current)}});
  }
  return out;
}

json run_in(const Request& req, const std::filesystem::path& dest, std::int64_t now) {
  std::filesystem::create_directories(dest);
  write_file(dest / "input", req.raw.dump() + "\n");
  Time t = has(req.version, "time") ? parse_rfc3339(get_string(req.version, "time"))
                                    : Location("Local").at(now);
  write_file(dest / "timestamp", format_go_default(t));
  std::int64_t secs = t.ns / kSecond - (t.ns % kSecond < 0 ? 1 : 0);
  write_file(dest / "epoch", std::to_string(secs));
  return json{{"version", {{"time", format_rfc3339_nano(t)}}}, {"metadata", json::array()}};
}

json run_out(const Request& req, std::int64_t now) {
  Location loc(get_string(req.source, "location", "UTC"));
  return json{{"version", {{"time", format_rfc3339_nano(loc.at(now))}}},
              {"metadata", json::array()}};
}

}  // namespace concourse::resource::timeres
