#include "test_keys.hpp"

#include <libssh/libssh.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tsa/keys.hpp"

namespace concourse::tsa::testing {

TestKeys::TestKeys() {
  char tmpl[] = "/tmp/tsa-keys-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
}

TestKeys::~TestKeys() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string TestKeys::generate(const std::string& name, int bits) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_RSA, bits, &raw) != SSH_OK)
    throw std::runtime_error("ssh_pki_generate failed");
  KeyPtr key(raw);
  std::string priv = path(name);
  if (ssh_pki_export_privkey_file(key.get(), nullptr, nullptr, nullptr, priv.c_str()) != SSH_OK)
    throw std::runtime_error("cannot write " + priv);
  std::ofstream(priv + ".pub") << authorized_key_line(key.get()) << " " << name << "\n";
  return priv;
}

std::string TestKeys::authorized_keys(const std::string& file, const std::string& names) {
  std::ostringstream out;
  std::istringstream in(names);
  for (std::string n; in >> n;) {
    std::ifstream pub(path(n) + ".pub");
    out << pub.rdbuf();
  }
  std::ofstream(path(file)) << out.str();
  return path(file);
}

}  // namespace concourse::tsa::testing
