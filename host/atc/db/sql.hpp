// Small helpers the repositories share to pass values as query parameters (never into SQL text).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "atc/db/database.hpp"

namespace concourse::atc::db::sql {

// A PostgreSQL text[] literal, every element quoted, for `$n::text[]` parameters.
std::string text_array(const std::vector<std::string>& values);

inline Param nullable(const std::string& v) {
  return v.empty() ? Param() : Param(v);
}
inline Param nullable(std::optional<int64_t> v) {
  return v ? Param(std::to_string(*v)) : Param();
}
inline Param num(int64_t v) {
  return std::to_string(v);
}
inline Param boolean(bool v) {
  return std::string(v ? "true" : "false");
}

inline std::optional<int64_t> opt_int(const Rows& r, size_t row, size_t col) {
  if (r.is_null(row, col))
    return std::nullopt;
  return r.get_int(row, col);
}

// Wall-clock unix seconds: the unit every expiry and timestamp column uses.
int64_t unix_now();

}  // namespace concourse::atc::db::sql
