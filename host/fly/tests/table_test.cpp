#include "fly/table.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace concourse::fly {
namespace {

Table sample() {
  Table t;
  t.headers = header_row({"name", "containers", "team"});
  t.rows.push_back(Row{Cell{"worker-long-name"}, Cell{"3"}, or_none("")});
  t.rows.push_back(Row{Cell{"a"}, Cell{"12"}, or_none("ops")});
  return t;
}

TEST(FlyTable, PadsColumnsWithoutHeadersWhenNotATerminal) {
  std::ostringstream out;
  sample().render(out, false, false);
  EXPECT_EQ(out.str(),
            "worker-long-name  3   none\n"
            "a                 12  ops \n");
}

TEST(FlyTable, HeadersWidenColumnsWhenRequested) {
  std::ostringstream out;
  sample().render(out, true, false);
  EXPECT_EQ(out.str(),
            "name              containers  team\n"
            "worker-long-name  3           none\n"
            "a                 12          ops \n");
}

TEST(FlyTable, TerminalGetsHeadersAndColours) {
  std::ostringstream out;
  sample().render(out, false, true);
  std::string s = out.str();
  EXPECT_EQ(s.rfind("\033[1mname\033[0m", 0), 0u) << s;
  EXPECT_NE(s.find("\033[2mnone\033[0m"), std::string::npos) << s;
}

TEST(FlyTable, SortsByFirstColumn) {
  Table t = sample();
  t.sort_by_first_column();
  EXPECT_EQ(t.rows[0][0].contents, "a");
}

TEST(FlyTable, DefaultsForEmptyCells) {
  EXPECT_EQ(or_none("[]").contents, "none");
  EXPECT_EQ(or_none("[]").style, Style::faint);
  EXPECT_EQ(or_default("", "n/a").contents, "n/a");
  EXPECT_EQ(or_default("2", "n/a").contents, "2");
}

TEST(FlyTable, EmptyTableWithHeadersPrintsOnlyHeaders) {
  Table t;
  t.headers = header_row({"handle", "worker"});
  std::ostringstream out;
  t.render(out, true, false);
  EXPECT_EQ(out.str(), "handle  worker\n");
  std::ostringstream none;
  t.render(none, false, false);
  EXPECT_EQ(none.str(), "");
}

}  // namespace
}  // namespace concourse::fly
