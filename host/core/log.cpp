#include "log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace concourse::log {
namespace {

std::atomic<Level> g_level{Level::Info};
std::atomic<Format> g_format{Format::Text};
std::mutex g_secrets_mu;
std::vector<std::string> g_secrets;

std::shared_ptr<spdlog::logger> sink() {
  // One stderr logger with a bare pattern: we format the whole line ourselves so text and JSON
  // share the same fields, and spdlog contributes its locking and flushing.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("concourse",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return logger;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::Trace:
      return "trace";
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
    case Level::Off:
      return "off";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count()));
  return out;
}

std::string redact(std::string s) {
  std::lock_guard lock(g_secrets_mu);
  for (const auto& secret : g_secrets) {
    for (size_t pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos)) {
      s.replace(pos, secret.size(), "((redacted))");
      pos += 12;
    }
  }
  return s;
}

bool needs_quotes(std::string_view v) {
  if (v.empty())
    return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t')
      return true;
  }
  return false;
}

}  // namespace

Level parse_level(std::string_view s) {
  if (s == "trace")
    return Level::Trace;
  if (s == "debug")
    return Level::Debug;
  if (s == "info")
    return Level::Info;
  if (s == "warn")
    return Level::Warn;
  if (s == "error" || s == "fatal")
    return Level::Error;
  throw std::invalid_argument("unknown log level '" + std::string(s) +
                              "' (expected debug, info, warn, error or fatal)");
}

Format parse_format(std::string_view s) {
  if (s == "text")
    return Format::Text;
  if (s == "json")
    return Format::Json;
  throw std::invalid_argument("unknown log format '" + std::string(s) +
                              "' (expected text or json)");
}

void configure(Level level, Format format) {
  g_level = level;
  g_format = format;
}

Level current_level() noexcept {
  return g_level.load();
}

void register_secret(std::string value) {
  if (value.size() < 3)
    return;  // redacting tiny strings would shred every line
  std::lock_guard lock(g_secrets_mu);
  g_secrets.push_back(std::move(value));
}

Logger::Logger(std::string component) {
  base_.emplace_back("component", std::move(component));
}

Logger Logger::child(Fields extra) const {
  Logger out = *this;
  for (auto& f : extra)
    out.base_.push_back(std::move(f));
  return out;
}

bool Logger::enabled(Level level) const noexcept {
  return level >= g_level.load();
}

void Logger::write(Level level, std::string_view event, const Fields& fields) const {
  if (!enabled(level))
    return;
  std::string line;
  if (g_format.load() == Format::Json) {
    nlohmann::json j;
    j["timestamp"] = timestamp();
    j["level"] = level_name(level);
    j["message"] = std::string(event);
    for (const auto& [k, v] : base_)
      j[k] = v;
    for (const auto& [k, v] : fields)
      j[k] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = timestamp();
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += event;
    auto append = [&line](const Field& f) {
      line += ' ';
      line += f.first;
      line += '=';
      if (needs_quotes(f.second)) {
        line +=
            nlohmann::json(f.second).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        line += f.second;
      }
    };
    for (const auto& f : base_)
      append(f);
    for (const auto& f : fields)
      append(f);
  }
  sink()->info(redact(std::move(line)));
}

}  // namespace concourse::log
