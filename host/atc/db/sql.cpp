#include "atc/db/sql.hpp"

#include <ctime>

namespace concourse::atc::db::sql {

std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i)
      out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

int64_t unix_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace concourse::atc::db::sql
