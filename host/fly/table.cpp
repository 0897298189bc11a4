#include "fly/table.hpp"

#include <algorithm>
#include <ostream>

namespace concourse::fly {
namespace {

const char* ansi_for(Style s) {
  switch (s) {
    case Style::bold:
      return "\033[1m";
    case Style::faint:
      return "\033[2m";
    case Style::red:
      return "\033[31m";
    case Style::plain:
      break;
  }
  return "";
}

void render_row(std::ostream& out, const Row& row, const std::vector<size_t>& widths, bool is_tty) {
  for (size_t i = 0; i < row.size(); ++i) {
    const Cell& cell = row[i];
    if (is_tty && cell.style != Style::plain)
      out << ansi_for(cell.style) << cell.contents << "\033[0m";
    else
      out << cell.contents;
    // Padding counts bytes as fly's len() does, so wide UTF-8 cells align the same way.
    out << std::string(widths[i] - cell.contents.size(), ' ');
    if (i + 1 < widths.size())
      out << "  ";
  }
  out << '\n';
}

}  // namespace

void Table::sort_by_first_column() {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    std::string ka = a.empty() ? "" : a[0].contents;
    std::string kb = b.empty() ? "" : b[0].contents;
    return ka < kb;
  });
}

void Table::render(std::ostream& out, bool print_headers, bool is_tty) const {
  bool with_headers = print_headers || is_tty;
  std::vector<size_t> widths;
  auto widen = [&widths](const Row& row) {
    if (widths.size() < row.size())
      widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].contents.size());
  };
  if (with_headers)
    widen(headers);
  for (const auto& row : rows)
    widen(row);
  if (with_headers && !headers.empty())
    render_row(out, headers, widths, is_tty);
  for (const auto& row : rows)
    render_row(out, row, widths, is_tty);
}

Row header_row(const std::vector<std::string>& names) {
  Row row;
  for (const auto& n : names)
    row.push_back(Cell{n, Style::bold});
  return row;
}

Cell or_none(const std::string& value) {
  if (value.empty() || value == "[]")
    return Cell{"none", Style::faint};
  return Cell{value};
}

Cell or_default(const std::string& value, const std::string& fallback) {
  if (value.empty() || value == "[]")
    return Cell{fallback};
  return Cell{value};
}

}  // namespace concourse::fly
