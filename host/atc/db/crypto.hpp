// Password hashing and token material for local users and bearer tokens (libcrypto).
#pragma once

#include <string>

namespace concourse::atc::db::crypto {

// n bytes from the kernel's CSPRNG (getrandom); throws core::Error on failure.
std::string random_bytes(size_t n);
std::string hex(const std::string& bytes);
std::string sha256_hex(const std::string& data);

// "pbkdf2-sha256$<iterations>$<salt hex>$<key hex>": the parameters travel with the hash, so
// raising the iteration count later does not invalidate stored passwords.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& password, const std::string& encoded);

}  // namespace concourse::atc::db::crypto
