// Small helpers shared by the benchmark programs: timing, medians, printing a figure beside its
// baseline. Benchmarks print; they never assert.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace concourse::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Stats {
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
};

inline Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]; };
  s.median = at(0.5);
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  s.min = v.front();
  s.max = v.back();
  return s;
}

// Runs f `warmup` times unmeasured, then `n` times; returns per-run milliseconds.
inline std::vector<double> measure(int warmup, int n, const std::function<void()>& f) {
  for (int i = 0; i < warmup; ++i)
    f();
  std::vector<double> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    f();
    out.push_back(ms_since(t0));
  }
  return out;
}

inline void print_row(const std::string& name, const Stats& s, const char* unit = "ms") {
  std::printf("  %-44s median %9.3f %s  p10 %9.3f  p90 %9.3f  (min %.3f, max %.3f)\n", name.c_str(),
              s.median, unit, s.p10, s.p90, s.min, s.max);
}

}  // namespace concourse::bench
