#include "support/tar_builder.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace concourse::testing {
namespace {

// Octal, zero-padded to width-1 digits, NUL-terminated, as ustar headers want.
void put_octal(char* field, size_t width, unsigned long long value) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1), value);
  if (n < 0 || static_cast<size_t>(n) >= width) throw std::invalid_argument("value too large");
  std::memcpy(field, buf, static_cast<size_t>(n) + 1);
}

}  // namespace

void TarBuilder::header(const std::string& name, char type, size_t size, unsigned mode,
                        const std::string& link) {
  if (name.size() > 100 || link.size() > 100)
    throw std::invalid_argument("name too long");
  char h[512] = {};
  std::memcpy(h, name.data(), name.size());
  put_octal(h + 100, 8, mode);
  put_octal(h + 108, 8, 0);
  put_octal(h + 116, 8, 0);
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, 1700000000);
  h[156] = type;
  std::memcpy(h + 157, link.data(), link.size());
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h)
    sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  data_.append(h, sizeof h);
}

TarBuilder& TarBuilder::file(const std::string& name, const std::string& content, unsigned mode) {
  header(name, '0', content.size(), mode, "");
  data_ += content;
  data_.append((512 - content.size() % 512) % 512, '\0');
  return *this;
}

TarBuilder& TarBuilder::dir(const std::string& name, unsigned mode) {
  header(name, '5', 0, mode, "");
  return *this;
}

TarBuilder& TarBuilder::symlink(const std::string& name, const std::string& target) {
  header(name, '2', 0, 0777, target);
  return *this;
}

TarBuilder& TarBuilder::hardlink(const std::string& name, const std::string& target) {
  header(name, '1', 0, 0644, target);
  return *this;
}

std::string TarBuilder::finish() const {
  return data_ + std::string(1024, '\0');
}

}  // namespace concourse::testing
