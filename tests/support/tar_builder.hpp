// Builds tar archives byte by byte, so tests can produce the hostile ones a real `tar` refuses to
// write (entries with "..", absolute names, links that escape).
#pragma once

#include <string>

namespace concourse::testing {

class TarBuilder {
 public:
  TarBuilder& file(const std::string& name, const std::string& content, unsigned mode = 0644);
  TarBuilder& dir(const std::string& name, unsigned mode = 0755);
  TarBuilder& symlink(const std::string& name, const std::string& target);
  TarBuilder& hardlink(const std::string& name, const std::string& target);
  // The archive so far plus the two zero blocks that end it.
  std::string finish() const;

 private:
  void header(const std::string& name, char type, size_t size, unsigned mode,
              const std::string& link);
  std::string data_;
};

}  // namespace concourse::testing
