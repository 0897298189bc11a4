#include "fly/line_diff.hpp"

#include <ostream>
#include <sstream>
#include <vector>

namespace concourse::fly {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

struct Op {
  char kind;  // ' ', '-', '+'
  std::string line;
};

std::vector<Op> diff_ops(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ops.push_back({' ', a[i++]});
      ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      ops.push_back({'+', b[j++]});
    } else {
      ops.push_back({'-', a[i++]});
    }
  }
  return ops;
}

}  // namespace

void print_line_diff(std::ostream& out, const std::string& before, const std::string& after,
                     bool color) {
  auto ops = diff_ops(lines_of(before), lines_of(after));
  constexpr size_t kContext = 2;
  std::vector<bool> shown(ops.size(), false);
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].kind == ' ')
      continue;
    size_t lo = k >= kContext ? k - kContext : 0;
    for (size_t m = lo; m < std::min(ops.size(), k + kContext + 1); ++m)
      shown[m] = true;
  }
  bool gap = false;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!shown[k]) {
      gap = true;
      continue;
    }
    if (gap)
      out << "...\n";
    gap = false;
    const char* start = ops[k].kind == '-' ? "\x1b[31m" : ops[k].kind == '+' ? "\x1b[32m" : "";
    bool painted = color && ops[k].kind != ' ';
    out << (painted ? start : "") << ops[k].kind << " " << ops[k].line << (painted ? "\x1b[0m" : "")
        << "\n";
  }
}

}  // namespace concourse::fly
