// RSA key files for tests: NAME (PEM private key) and NAME.pub (authorized_keys line) in a
// fresh temporary directory removed on destruction.
#pragma once

#include <string>

namespace concourse::tsa::testing {

class TestKeys {
 public:
  TestKeys();
  ~TestKeys();
  TestKeys(const TestKeys&) = delete;
  TestKeys& operator=(const TestKeys&) = delete;

  // Generates NAME and NAME.pub; returns the private key's path.
  std::string generate(const std::string& name, int bits = 2048);
  // Writes the .pub lines of names (space separated) to FILE; returns its path.
  std::string authorized_keys(const std::string& file, const std::string& names);
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace concourse::tsa::testing
