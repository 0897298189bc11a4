#include "core/log.hpp"

#include <gtest/gtest.h>

using concourse::log::Level;

TEST(Log, ParsesLevelsAndFormats) {
  EXPECT_EQ(concourse::log::parse_level("debug"), Level::Debug);
  EXPECT_EQ(concourse::log::parse_level("fatal"), Level::Error);
  EXPECT_THROW(concourse::log::parse_level("loud"), std::invalid_argument);
  EXPECT_EQ(concourse::log::parse_format("json"), concourse::log::Format::Json);
  EXPECT_THROW(concourse::log::parse_format("xml"), std::invalid_argument);
}

TEST(Log, RedactsRegisteredSecretsAndWritesJson) {
  concourse::log::configure(Level::Info, concourse::log::Format::Json);
  concourse::log::register_secret("hunter2-secret");
  testing::internal::CaptureStderr();
  concourse::log::Logger("test")
      .child({{"handle", "h1"}})
      .info("did-thing", {{"token", "hunter2-secret"}});
  std::string out = testing::internal::GetCapturedStderr();
  concourse::log::configure(Level::Info, concourse::log::Format::Text);
  EXPECT_NE(out.find("\"message\":\"did-thing\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"handle\":\"h1\""), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2-secret"), std::string::npos) << out;
  EXPECT_NE(out.find("((redacted))"), std::string::npos) << out;
}
