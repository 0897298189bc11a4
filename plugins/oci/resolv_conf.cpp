#include "resolv_conf.hpp"

#include <fstream>
#include <sstream>

namespace concourse::oci {

std::string make_resolv_conf(const std::string& host_resolv_conf,
                             const std::vector<std::string>& dns_servers) {
  std::string out;
  if (!dns_servers.empty()) {
    for (const auto& s : dns_servers)
      out += "nameserver " + s + "\n";
    return out;
  }
  std::istringstream in(host_resolv_conf);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver" && value.rfind("127.", 0) == 0)
      continue;
    out += line + "\n";
  }
  return out;
}

std::string container_resolv_conf(const std::vector<std::string>& dns_servers,
                                  const std::string& path) {
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  return make_resolv_conf(text.str(), dns_servers);
}

}  // namespace concourse::oci
