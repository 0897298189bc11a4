#include "atc/db/crypto.hpp"

#include <gtest/gtest.h>

namespace crypto = concourse::atc::db::crypto;

TEST(Crypto, Sha256KnownVector) {
  EXPECT_EQ(crypto::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, RandomBytesDiffer) {
  auto a = crypto::random_bytes(32), b = crypto::random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(crypto::hex(std::string("\x00\xff\x10", 3)), "00ff10");
}

TEST(Crypto, PasswordHashIsSaltedAndVerifies) {
  auto h1 = crypto::hash_password("s3cret"), h2 = crypto::hash_password("s3cret");
  EXPECT_NE(h1, h2) << "no salt";
  EXPECT_EQ(h1.rfind("pbkdf2-sha256$", 0), 0u);
  EXPECT_EQ(h1.find("s3cret"), std::string::npos);
  EXPECT_TRUE(crypto::verify_password("s3cret", h1));
  EXPECT_TRUE(crypto::verify_password("s3cret", h2));
  EXPECT_FALSE(crypto::verify_password("s3creT", h1));
  EXPECT_FALSE(crypto::verify_password("", h1));
}

TEST(Crypto, MalformedHashesNeverVerify) {
  for (const char* bad :
       {"", "plain", "pbkdf2-sha256$x$00$00", "pbkdf2-sha256$1000$zz$00", "md5$1$00$00",
        "pbkdf2-sha256$0$00$"
        "00"})
    EXPECT_FALSE(crypto::verify_password("", bad)) << bad;
}
