// Tables rendered the way fly's ui.Table renders them: every column padded to its widest cell,
// two spaces between columns, and a header row only on a terminal or with
// --print-table-headers. Colours (bold headers, faint placeholders) only on a terminal.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace concourse::fly {

enum class Style { plain, bold, faint, red };

struct Cell {
  std::string contents;
  Style style = Style::plain;
};

using Row = std::vector<Cell>;

struct Table {
  Row headers;
  std::vector<Row> rows;

  // Orders rows by their first cell, as fly's sort.Sort(table.Data) does.
  void sort_by_first_column();
  void render(std::ostream& out, bool print_headers, bool is_tty) const;
};

// Headers are bold in every fly table.
Row header_row(const std::vector<std::string>& names);

// fly's stringOrDefault: "" and "[]" become a faint "none" (or `fallback`, unstyled).
Cell or_none(const std::string& value);
Cell or_default(const std::string& value, const std::string& fallback);

}  // namespace concourse::fly
