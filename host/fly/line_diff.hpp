// The diff set-pipeline shows before applying: a line diff (longest common subsequence) of the
// current and new configs, removed lines in red with "-", added in green with "+".
#pragma once

#include <iosfwd>
#include <string>

namespace concourse::fly {

// Prints only changed lines with two lines of context around them; nothing when equal.
void print_line_diff(std::ostream& out, const std::string& before, const std::string& after,
                     bool color);

}  // namespace concourse::fly
