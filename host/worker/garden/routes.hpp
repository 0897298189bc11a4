// Garden's route table (garden/routes/routes.go) and the URL parsing it needs. Path segments are
// split before percent-decoding, so "%2F" inside a handle never creates a new segment.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace concourse::worker::garden {

enum class RouteId {
  Ping,
  Capacity,
  List,
  Create,
  BulkInfo,
  BulkMetrics,
  Info,
  Destroy,
  Stop,
  StreamIn,
  StreamOut,
  LimitsBandwidth,
  LimitsCpu,
  LimitsDisk,
  LimitsMemory,
  NetIn,
  NetOut,
  BulkNetOut,
  Run,
  Attach,
  Stdout,
  Stderr,
  SetGraceTime,
  Properties,
  Property,
  SetProperty,
  RemoveProperty,
  Metrics,
};

enum class MatchResult { Found, NotFound, MethodNotAllowed };

struct RouteMatch {
  MatchResult result = MatchResult::NotFound;
  RouteId id = RouteId::Ping;
  std::string handle;
  std::string process_id;
  std::string stream_id;
  std::string key;
};

// Query values in arrival order per key, like Go's url.Values.
class Query {
 public:
  // Throws std::invalid_argument on malformed percent-encoding.
  static Query parse(std::string_view raw);
  // nullptr when the key is absent.
  const std::string* first(std::string_view key) const;
  const std::map<std::string, std::vector<std::string>, std::less<>>& values() const {
    return values_;
  }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// Kebab-case route name for logs ("stream-out").
const char* route_name(RouteId id);

// Throws std::invalid_argument on malformed percent-encoding in the path.
RouteMatch match_route(std::string_view method, std::string_view raw_path);

// Decodes %XX (and '+' as a space when plus_is_space). Throws std::invalid_argument.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace concourse::worker::garden
