// Shared plumbing for the bundled resource types: the stdin/stdout JSON protocol of
// /opt/resource/{check,in,out}, typed accessors for source/params/version, and file helpers.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <istream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace concourse::resource {

using json = nlohmann::json;

// Thrown for anything that should fail the step; run_main prints it and exits 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The ATC omits `params` and `version` when empty, so every member is an object (possibly
// empty) after parsing; `raw` keeps the request as received (time's `in` echoes it back).
struct Request {
  json source = json::object();
  json params = json::object();
  json version = json::object();
  json raw = json::object();
};

Request parse_request(std::string_view text);
Request read_request(std::istream& in);

// Typed field access; a present field of the wrong type is an error naming the field, an
// absent or null one yields the fallback.
std::string get_string(const json& obj, std::string_view key, std::string_view fallback = "");
bool get_bool(const json& obj, std::string_view key, bool fallback = false);
long long get_int(const json& obj, std::string_view key, long long fallback = 0);
std::vector<std::string> get_string_list(const json& obj, std::string_view key);
bool has(const json& obj, std::string_view key);

json metadata_field(std::string name, std::string value);

// Everything human-readable goes to stderr: stdout carries only the JSON result.
void log(std::string_view message);
void emit(const json& result);

void write_file(const std::filesystem::path& path, std::string_view content);
std::string read_file(const std::filesystem::path& path);
std::string trim(std::string_view text);
std::string trim_trailing_newlines(std::string_view text);

// The directory scratch state lives in: $TMPDIR, else /tmp (what the real resources use).
std::filesystem::path temp_dir();

using Handler = std::function<json(const std::string& command, const Request& request,
                                   const std::vector<std::string>& args)>;

// Dispatches on the basename of argv[0] (check/in/out, as installed under /opt/resource), or on
// argv[1] when invoked under another name; reads the request, runs the handler, prints the
// result, and turns exceptions into a message on stderr and exit status 1.
int run_main(int argc, char** argv, const Handler& handler);

}  // namespace concourse::resource
