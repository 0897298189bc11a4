// Method + path pattern routing ("/api/v1/workers/:name/heartbeat"), as Concourse's rata does:
// literal segments must match exactly, ":x" segments capture one non-empty segment.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "atc/api/request.hpp"

namespace concourse::atc::api {

class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler);
  // The handler reads the body itself from Request::body_stream (uploads of any size), instead
  // of the server buffering it (bounded) into Request::body.
  void add_streaming(const std::string& method, const std::string& pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null when nothing matched
    bool path_known = false;           // some route has this path under another method
    bool streams_body = false;
    std::map<std::string, std::string> params;
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    bool streams_body = false;
  };
  static bool match_segments(const Route& r, const std::vector<std::string>& parts,
                             std::map<std::string, std::string>& params);

  std::vector<Route> routes_;
};

// "/a/b/" -> {"a","b"}; empty segments dropped.
std::vector<std::string> split_path(const std::string& path);

}  // namespace concourse::atc::api
