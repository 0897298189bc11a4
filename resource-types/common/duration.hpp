// Go's time.ParseDuration grammar, because source fields (interval, check_delay) use it.
#pragma once

#include <chrono>
#include <string_view>

namespace concourse::resource {

// Throws Error on malformed input, e.g. "1h30m", "1.5s", "-2m", "300ms", "0".
std::chrono::nanoseconds parse_go_duration(std::string_view text);

}  // namespace concourse::resource
