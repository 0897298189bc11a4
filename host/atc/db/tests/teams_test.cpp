// Teams, local users and tokens against a real PostgreSQL.
#include "atc/db/teams.hpp"

#include <ctime>

#include "atc/db/crypto.hpp"
#include "db_fixture.hpp"

namespace concourse::atc::db::testing {
namespace {

int64_t now() {
  return static_cast<int64_t>(std::time(nullptr));
}

TEST_F(DbTest, MainTeamIsSeededAndCannotBeDeleted) {
  Teams teams(*db_);
  auto main = teams.get("main");
  ASSERT_TRUE(main);
  EXPECT_GT(main->id, 0);
  EXPECT_TRUE(main->local_users.empty());
  EXPECT_EQ(error_code([&] { teams.remove("main"); }), CC_E_INVALID);
  EXPECT_TRUE(teams.get("main"));
}

TEST_F(DbTest, SaveReplacesLocalUsers) {
  Teams teams(*db_);
  auto t = teams.save("dev", {"alice", "bob"});
  EXPECT_EQ(t.name, "dev");
  EXPECT_EQ(t.local_users, (std::vector<std::string>{"alice", "bob"}));
  auto again = teams.save("dev", {"carol"});
  EXPECT_EQ(again.id, t.id);
  EXPECT_EQ(teams.get("dev")->local_users, std::vector<std::string>{"carol"});
  teams.save("main", {"alice", "carol"});
  EXPECT_EQ(teams.teams_of_user("carol"), (std::vector<std::string>{"dev", "main"}));
  EXPECT_EQ(teams.teams_of_user("alice"), std::vector<std::string>{"main"});
  EXPECT_TRUE(teams.teams_of_user("bob").empty());
  std::vector<std::string> names;
  for (const auto& x : teams.list())
    names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dev", "main"}));
  EXPECT_TRUE(teams.remove("dev"));
  EXPECT_FALSE(teams.remove("dev"));
  EXPECT_FALSE(teams.get("dev"));
}

TEST_F(DbTest, PasswordsAreHashedAndChecked) {
  Users users(*db_);
  users.save("alice", "correct horse");
  EXPECT_TRUE(users.check_password("alice", "correct horse"));
  EXPECT_FALSE(users.check_password("alice", "wrong"));
  EXPECT_FALSE(users.check_password("nobody", "correct horse"));
  auto stored = db_->exec("SELECT password_hash FROM users WHERE name = 'alice'").get(0, 0);
  EXPECT_EQ(stored.find("correct horse"), std::string::npos);
  users.save("alice", "new pass");
  EXPECT_FALSE(users.check_password("alice", "correct horse"));
  EXPECT_TRUE(users.check_password("alice", "new pass"));
}

TEST_F(DbTest, TokensRoundTripHashed) {
  Tokens tokens(*db_);
  TokenClaims c;
  c.subject = "alice";
  c.teams = {"dev", "main"};
  c.is_admin = true;
  c.expires_at = now() + 3600;
  auto token = tokens.issue(c);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_NE(tokens.issue(c), token);
  EXPECT_EQ(db_->exec("SELECT count(*) FROM tokens WHERE hash = $1", {token}).get_int(0, 0), 0)
      << "token stored in the clear";
  EXPECT_EQ(db_->exec("SELECT count(*) FROM tokens WHERE hash = $1", {crypto::sha256_hex(token)})
                .get_int(0, 0),
            1);
  auto v = tokens.verify(token);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->subject, "alice");
  EXPECT_EQ(v->teams, c.teams);
  EXPECT_TRUE(v->is_admin);
  EXPECT_FALSE(v->system);
  EXPECT_EQ(v->expires_at, c.expires_at);
  EXPECT_FALSE(tokens.verify(token + "0"));
  EXPECT_FALSE(tokens.verify(""));

  // Another web node sharing the database accepts it.
  auto other = Database::open(params_, log::Logger("other-node"));
  EXPECT_TRUE(Tokens(*other).verify(token));
  tokens.revoke(token);
  EXPECT_FALSE(Tokens(*other).verify(token));
}

TEST_F(DbTest, ExpiredTokensAreRejectedAndDeleted) {
  Tokens tokens(*db_);
  TokenClaims c;
  c.subject = "tsa";
  c.system = true;
  c.expires_at = now() - 1;
  auto expired = tokens.issue(c);
  c.expires_at = now() + 3600;
  auto live = tokens.issue(c);
  EXPECT_FALSE(tokens.verify(expired));
  ASSERT_TRUE(tokens.verify(live));
  EXPECT_TRUE(tokens.verify(live)->system);
  EXPECT_EQ(tokens.delete_expired(now()), 1u);
  EXPECT_EQ(tokens.delete_expired(now()), 0u);
  EXPECT_TRUE(tokens.verify(live));
}

}  // namespace
}  // namespace concourse::atc::db::testing
