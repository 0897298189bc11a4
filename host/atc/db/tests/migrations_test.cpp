#include "atc/db/migrations.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using concourse::atc::db::migrations;

TEST(Migrations, AscendFromOneWithoutGaps) {
  ASSERT_FALSE(migrations().empty());
  int want = 1;
  for (const auto& m : migrations()) {
    EXPECT_EQ(m.version, want++);
    EXPECT_FALSE(m.name.empty());
    EXPECT_FALSE(m.up.empty());
    EXPECT_FALSE(m.down.empty()) << "migration " << m.version << " cannot be reverted";
  }
}

// Every table and index a migration creates, its down SQL drops; otherwise migrating down and
// up again fails with "already exists".
TEST(Migrations, DownDropsWhatUpCreates) {
  std::regex created(R"(CREATE (TABLE|INDEX) (\w+))");
  for (const auto& m : migrations()) {
    std::string up(m.up), down(m.down);
    int found = 0;
    for (std::sregex_iterator it(up.begin(), up.end(), created), end; it != end; ++it) {
      ++found;
      std::string drop = "DROP " + (*it)[1].str() + " " + (*it)[2].str() + ";";
      // An index on a table the same migration creates goes away with its table.
      bool with_table = (*it)[1].str() == "INDEX" && up.find("CREATE TABLE") != std::string::npos;
      EXPECT_TRUE(down.find(drop) != std::string::npos || with_table)
          << "migration " << m.version << " does not revert: " << drop;
    }
    // A migration that creates nothing moves data (next_check to milliseconds): its down must
    // move it back.
    if (found == 0) {
      EXPECT_NE(up.find("UPDATE "), std::string::npos) << "migration " << m.version;
      EXPECT_NE(down.find("UPDATE "), std::string::npos) << "migration " << m.version;
    }
  }
}

TEST(Migrations, SeedsMainTeam) {
  EXPECT_NE(std::string(migrations().front().up).find("INSERT INTO teams (name) VALUES ('main')"),
            std::string::npos);
}
