// Structured logging on top of spdlog. spdlog 1.10 has no key/value context, so a Logger carries
// its fields explicitly and child() adds more, like a lager session in Concourse.
//
// Text lines: `2026-11-22T10:00:00.123Z info create-container component=garden handle=h1`.
// JSON lines (--log-format json): {"timestamp":...,"level":"info","message":"create-container",...}
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concourse::log {

enum class Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 5 };
enum class Format { Text, Json };

using Field = std::pair<std::string, std::string>;
using Fields = std::vector<Field>;

// Parses "trace|debug|info|warn|error|fatal"; throws std::invalid_argument otherwise.
Level parse_level(std::string_view s);
Format parse_format(std::string_view s);

// Process-wide sink configuration; call once from main. Thread-safe afterwards.
void configure(Level level, Format format);
Level current_level() noexcept;

// Values registered here are replaced by "((redacted))" in every line written afterwards.
void register_secret(std::string value);

class Logger {
 public:
  explicit Logger(std::string component);
  Logger child(Fields extra) const;

  bool enabled(Level level) const noexcept;
  void write(Level level, std::string_view event, const Fields& fields = {}) const;

  void trace(std::string_view event, const Fields& f = {}) const { write(Level::Trace, event, f); }
  void debug(std::string_view event, const Fields& f = {}) const { write(Level::Debug, event, f); }
  void info(std::string_view event, const Fields& f = {}) const { write(Level::Info, event, f); }
  void warn(std::string_view event, const Fields& f = {}) const { write(Level::Warn, event, f); }
  void error(std::string_view event, const Fields& f = {}) const { write(Level::Error, event, f); }

 private:
  Fields base_;
};

}  // namespace concourse::log
