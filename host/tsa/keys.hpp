// SSH key files as the TSA and the beacon read them: authorized_keys lists (worker keys, TSA host
// keys) and PEM/OpenSSH private keys, loaded through libssh's pki functions.
#pragma once

#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace concourse::tsa {

struct KeyDeleter {
  void operator()(ssh_key k) const noexcept { ssh_key_free(k); }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

// Every key of an authorized_keys file ("[options] type base64 [comment]" lines; blank lines
// and '#' comments skipped). Throws core::Error naming the file and line on a bad entry.
std::vector<KeyPtr> load_authorized_keys(const std::string& path);

// Throws core::Error when the file is missing or is not a private key libssh understands.
KeyPtr load_private_key(const std::string& path);

bool contains_key(const std::vector<KeyPtr>& keys, ssh_key key);

// "ssh-rsa AAAA..." for key, the authorized_keys form.
std::string authorized_key_line(ssh_key key);

// Generates an RSA key: PEM private key at path (mode 0600), authorized_keys line at path.pub.
// Throws core::Error naming the file that could not be written.
void write_rsa_key_pair(const std::string& path, int bits);

}  // namespace concourse::tsa
