#include "atc/api/router.hpp"

namespace concourse::atc::api {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    if (j > i)
      out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back(Route{method, split_path(pattern), std::move(handler), false});
}

void Router::add_streaming(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back(Route{method, split_path(pattern), std::move(handler), true});
}

bool Router::match_segments(const Route& r, const std::vector<std::string>& parts,
                            std::map<std::string, std::string>& params) {
  if (r.segments.size() != parts.size())
    return false;
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = r.segments[i];
    if (!seg.empty() && seg[0] == ':')
      captured[seg.substr(1)] = parts[i];
    else if (seg != parts[i])
      return false;
  }
  params = std::move(captured);
  return true;
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  auto parts = split_path(path);
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match_segments(r, parts, params))
      continue;
    if (r.method != method) {
      m.path_known = true;
      continue;
    }
    m.handler = &r.handler;
    m.streams_body = r.streams_body;
    m.params = std::move(params);
    return m;
  }
  return m;
}

}  // namespace concourse::atc::api
