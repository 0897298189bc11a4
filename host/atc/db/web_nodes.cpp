#include "atc/db/web_nodes.hpp"

#include "atc/db/sql.hpp"

namespace concourse::atc::db {

void WebNodes::renew(const std::string& name, int64_t now) {
  db_.exec(
      "INSERT INTO web_nodes (name, last_seen) VALUES ($1, $2) "
      "ON CONFLICT (name) DO UPDATE SET last_seen = EXCLUDED.last_seen",
      {name, sql::num(now)});
}

void WebNodes::remove(const std::string& name) {
  db_.exec("DELETE FROM web_nodes WHERE name = $1", {name});
}

std::vector<std::string> WebNodes::expire(int64_t before, const std::string& self) {
  // DELETE ... RETURNING hands each expired row to one node only, even when two look at once.
  auto r = db_.exec("DELETE FROM web_nodes WHERE last_seen < $1 AND name <> $2 RETURNING name",
                    {sql::num(before), self});
  std::vector<std::string> out;
  for (size_t i = 0; i < r.size(); ++i)
    out.push_back(r.get(i, 0));
  return out;
}

}  // namespace concourse::atc::db
