// The time resource's decision logic (concourse/time-resource semantics): whether `now` falls
// in the configured window/days/interval relative to the previous version.
#pragma once

#include "clock.hpp"
#include "resource.hpp"

#include <optional>
#include <vector>

namespace concourse::resource::timeres {

// Minutes after midnight, after applying a deprecated "+0700"-style offset (UTC-based).
int parse_time_of_day(std::string_view text);
int parse_weekday(std::string_view text);  // 0 = Sunday
// start_after formats: "2006-01-02 15:04:05", "2006-01-02T15:04:05", "...T15:04", "...T15",
// "2006-01-02"; returns the civil fields {y, m, d, H, M, S}.
std::vector<int> parse_start_after(std::string_view text);

struct Source {
  bool initial_version = false;
  std::optional<std::int64_t> interval_ns;
  std::optional<int> start, stop;  // minutes of day
  std::vector<int> days;
  Location location;
  std::optional<std::vector<int>> start_after;
};

Source parse_source(const json& source);  // validates like Source.Validate()

class TimeLord {
 public:
  TimeLord(const Source& src, std::optional<std::int64_t> previous)
      : src_(src), previous_(previous) {}
  bool check(std::int64_t now) const;
  // [start, stop) of the latest window starting at or before `reference`.
  std::pair<std::int64_t, std::int64_t> latest_range_before(std::int64_t reference) const;

 private:
  bool days_match(std::int64_t t) const;
  const Source& src_;
  std::optional<std::int64_t> previous_;
};

json run_check(const Request& req, std::int64_t now);
json run_in(const Request& req, const std::filesystem::path& dest, std::int64_t now);
json run_out(const Request& req, std::int64_t now);

}  // namespace concourse::resource::timeres
