#include "tsa/keys.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace concourse::tsa {
namespace {

// authorized_keys lines may start with options ("no-pty,command=... ssh-rsa AAAA"): the key is
// the first token libssh recognises as a key type, followed by its base64 blob.
KeyPtr parse_line(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;)
    tokens.push_back(t);
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    auto type = ssh_key_type_from_name(tokens[i].c_str());
    if (type == SSH_KEYTYPE_UNKNOWN)
      continue;
    ssh_key key = nullptr;
    if (ssh_pki_import_pubkey_base64(tokens[i + 1].c_str(), type, &key) != SSH_OK)
      return nullptr;
    return KeyPtr(key);
  }
  return nullptr;
}

}  // namespace

std::vector<KeyPtr> load_authorized_keys(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw core::Error(CC_E_NOT_FOUND, "authorized keys " + path + ": cannot open");
  std::vector<KeyPtr> keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    auto key = parse_line(line);
    if (!key) {
      throw core::Error(CC_E_INVALID,
                        "authorized keys " + path + ":" + std::to_string(n) + ": not a public key");
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

KeyPtr load_private_key(const std::string& path) {
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
    throw core::Error(CC_E_INVALID, "private key " + path + ": cannot be read or parsed");
  return KeyPtr(key);
}

bool contains_key(const std::vector<KeyPtr>& keys, ssh_key key) {
  for (const auto& k : keys) {
    if (ssh_key_cmp(k.get(), key, SSH_KEY_CMP_PUBLIC) == 0)
      return true;
  }
  return false;
}

std::string authorized_key_line(ssh_key key) {
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
    throw core::Error(CC_E_INTERNAL, "cannot export public key");
  std::string line = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + b64;
  ssh_string_free_char(b64);
  return line;
}

void write_rsa_key_pair(const std::string& path, int bits) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_RSA, bits, &raw) != SSH_OK)
    throw core::Error(CC_E_INTERNAL, "cannot generate a " + std::to_string(bits) + "-bit RSA key");
  KeyPtr key(raw);
  // libssh writes RSA keys as PEM, which both Concourse key types accept.
  mode_t old = umask(077);
  int rc = ssh_pki_export_privkey_file(key.get(), nullptr, nullptr, nullptr, path.c_str());
  umask(old);
  if (rc != SSH_OK)
    throw core::Error(CC_E_INTERNAL, "cannot write " + path);
  std::ofstream pub(path + ".pub");
  pub << authorized_key_line(key.get()) << "\n";
  if (!pub)
    throw core::Error(CC_E_INTERNAL, "cannot write " + path + ".pub");
}

}  // namespace concourse::tsa
