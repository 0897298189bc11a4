#include "atc/db/crypto.hpp"

#include <concourse/status.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace concourse::atc::db::crypto {
namespace {

// Tens of milliseconds per login on one core; each hash records its count, so raising this later
// leaves stored passwords valid.
constexpr int kIterations = 100000;
constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;

std::string pbkdf2(const std::string& password, const std::string& salt, int iterations) {
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1)
    throw core::Error(CC_E_INTERNAL, "pbkdf2 failed");
  return key;
}

bool unhex(const std::string& text, std::string& out) {
  if (text.size() % 2)
    return false;
  out.clear();
  for (size_t i = 0; i < text.size(); i += 2) {
    int v = 0;
    for (size_t j = i; j < i + 2; ++j) {
      char c = text[j];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0)
        return false;
      v = v * 16 + d;
    }
    out += static_cast<char>(v);
  }
  return true;
}

}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      throw core::Error(CC_E_INTERNAL, std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw core::Error(CC_E_INTERNAL, "sha256 failed");
  return hex(std::string(reinterpret_cast<const char*>(md), len));
}

std::string hash_password(const std::string& password) {
  std::string salt = random_bytes(kSaltBytes);
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + hex(salt) + "$" +
         hex(pbkdf2(password, salt, kIterations));
}

bool verify_password(const std::string& password, const std::string& encoded) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t pos; (pos = encoded.find('$', start)) != std::string::npos; start = pos + 1)
    parts.push_back(encoded.substr(start, pos - start));
  parts.push_back(encoded.substr(start));
  std::string salt, want;
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256" || !unhex(parts[2], salt) ||
      !unhex(parts[3], want) || want.size() != kKeyBytes)
    return false;
  int iterations = 0;
  try {
    iterations = std::stoi(parts[1]);
  } catch (const std::exception&) {
    return false;
  }
  if (iterations < 1)
    return false;
  std::string got = pbkdf2(password, salt, iterations);
  return CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

}  // namespace concourse::atc::db::crypto
