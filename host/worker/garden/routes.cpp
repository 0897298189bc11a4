#include "worker/garden/routes.hpp"

#include <array>
#include <stdexcept>

namespace concourse::worker::garden {
namespace {

struct RouteSpec {
  std::string_view method;
  std::string_view pattern;
  RouteId id;
  const char* name;
};

// Order matters only where a literal and a capture share a position: literals come first.
constexpr std::array kRoutes{
    RouteSpec{"GET", "/ping", RouteId::Ping, "ping"},
    RouteSpec{"GET", "/capacity", RouteId::Capacity, "capacity"},
    RouteSpec{"GET", "/containers", RouteId::List, "list"},
    RouteSpec{"POST", "/containers", RouteId::Create, "create"},
    RouteSpec{"GET", "/containers/bulk_info", RouteId::BulkInfo, "bulk-info"},
    RouteSpec{"GET", "/containers/bulk_metrics", RouteId::BulkMetrics, "bulk-metrics"},
    RouteSpec{"GET", "/containers/:handle/info", RouteId::Info, "info"},
    RouteSpec{"DELETE", "/containers/:handle", RouteId::Destroy, "destroy"},
    RouteSpec{"PUT", "/containers/:handle/stop", RouteId::Stop, "stop"},
    RouteSpec{"PUT", "/containers/:handle/files", RouteId::StreamIn, "stream-in"},
    RouteSpec{"GET", "/containers/:handle/files", RouteId::StreamOut, "stream-out"},
    RouteSpec{"GET", "/containers/:handle/limits/bandwidth", RouteId::LimitsBandwidth,
              "current-bandwidth-limits"},
    RouteSpec{"GET", "/containers/:handle/limits/cpu", RouteId::LimitsCpu, "current-cpu-limits"},
    RouteSpec{"GET", "/containers/:handle/limits/disk", RouteId::LimitsDisk, "current-disk-limits"},
    RouteSpec{"GET", "/containers/:handle/limits/memory", RouteId::LimitsMemory,
              "current-memory-limits"},
    RouteSpec{"POST", "/containers/:handle/net/in", RouteId::NetIn, "net-in"},
    RouteSpec{"POST", "/containers/:handle/net/out", RouteId::NetOut, "net-out"},
    RouteSpec{"POST", "/containers/:handle/net/out/bulk", RouteId::BulkNetOut, "bulk-net-out"},
    RouteSpec{"POST", "/containers/:handle/processes", RouteId::Run, "run"},
    RouteSpec{"GET", "/containers/:handle/processes/:pid", RouteId::Attach, "attach"},
    RouteSpec{"GET", "/containers/:handle/processes/:pid/attaches/:streamid/stdout",
              RouteId::Stdout, "stdout"},
    RouteSpec{"GET", "/containers/:handle/processes/:pid/attaches/:streamid/stderr",
              RouteId::Stderr, "stderr"},
    RouteSpec{"PUT", "/containers/:handle/grace_time", RouteId::SetGraceTime, "set-grace-time"},
    RouteSpec{"GET", "/containers/:handle/properties", RouteId::Properties, "properties"},
    RouteSpec{"GET", "/containers/:handle/properties/:key", RouteId::Property, "property"},
    RouteSpec{"PUT", "/containers/:handle/properties/:key", RouteId::SetProperty, "set-property"},
    RouteSpec{"DELETE", "/containers/:handle/properties/:key", RouteId::RemoveProperty,
              "remove-property"},
    RouteSpec{"GET", "/containers/:handle/metrics", RouteId::Metrics, "metrics"},
};

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos)
      break;
    start = pos + 1;
  }
  return out;
}

// Raw segments of an absolute path; a trailing slash does not add an empty segment.
std::vector<std::string_view> raw_segments(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return {};
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  if (path.empty())
    return {};
  return split(path, '/');
}

bool matches(std::string_view pattern, const std::vector<std::string_view>& segs, RouteMatch& out) {
  auto pats = raw_segments(pattern);
  if (pats.size() != segs.size())
    return false;
  for (size_t i = 0; i < pats.size(); ++i) {
    if (pats[i].front() == ':' ? segs[i].empty() : pats[i] != segs[i])
      return false;
  }
  for (size_t i = 0; i < pats.size(); ++i) {
    if (pats[i].front() != ':')
      continue;
    std::string value = percent_decode(segs[i], false);
    if (pats[i] == ":handle")
      out.handle = std::move(value);
    if (pats[i] == ":pid")
      out.process_id = std::move(value);
    if (pats[i] == ":streamid")
      out.stream_id = std::move(value);
    if (pats[i] == ":key")
      out.key = std::move(value);
  }
  return true;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        throw std::invalid_argument("malformed percent-encoding in \"" + std::string(s) + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Query Query::parse(std::string_view raw) {
  Query q;
  if (raw.empty())
    return q;
  for (auto part : split(raw, '&')) {
    if (part.empty())
      continue;
    size_t eq = part.find('=');
    std::string key = percent_decode(part.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1), true);
    q.values_[key].push_back(std::move(value));
  }
  return q;
}

const std::string* Query::first(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end() || it->second.empty())
    return nullptr;
  return &it->second.front();
}

const char* route_name(RouteId id) {
  for (const auto& r : kRoutes) {
    if (r.id == id)
      return r.name;
  }
  return "unknown";
}

RouteMatch match_route(std::string_view method, std::string_view raw_path) {
  auto segs = raw_segments(raw_path);
  RouteMatch result;
  if (raw_path.empty() || raw_path.front() != '/')
    return result;
  for (const auto& r : kRoutes) {
    RouteMatch m;
    if (!matches(r.pattern, segs, m))
      continue;
    if (r.method != method) {
      result.result = MatchResult::MethodNotAllowed;
      continue;
    }
    m.result = MatchResult::Found;
    m.id = r.id;
    return m;
  }
  return result;
}

}  // namespace concourse::worker::garden
