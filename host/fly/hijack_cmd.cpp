// fly hijack / intercept: finds a build step's container through the containers API and runs a
// process in it over the ATC's hijack WebSocket (atc.HijackProcessSpec first, then
// HijackInput/HijackOutput JSON frames with base64 data). With a terminal on stdin the process
// gets a tty and the terminal goes raw; piped stdin is sent as it comes and then closed.
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "core/flags.hpp"
#include "fly/common.hpp"

namespace concourse::fly {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string base64(const char* data, size_t n) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc.write(data, static_cast<std::streamsize>(n));
  enc.close();
  return out.str();
}

std::string unbase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream out;
  out << dec.rdbuf();
  return out.str();
}

struct Search {
  std::string team, job, build, step, handle, url, attempt;
};

// -u URL of a build page: /teams/T/pipelines/P/jobs/J/builds/B.
void apply_url(Search& s) {
  if (s.url.empty())
    return;
  std::vector<std::string> parts;
  std::string seg;
  std::istringstream path(Poco::URI(s.url).getPath());
  while (std::getline(path, seg, '/')) {
    if (!seg.empty())
      parts.push_back(seg);
  }
  for (size_t i = 0; i + 1 < parts.size(); i += 2) {
    if (parts[i] == "teams")
      s.team = parts[i + 1];
    else if (parts[i] == "pipelines")
      s.job = parts[i + 1] + "/";
    else if (parts[i] == "jobs")
      s.job += parts[i + 1];
    else if (parts[i] == "builds")
      s.build = parts[i + 1];
  }
}

ordered_json find_container(const Client& c, const Search& s) {
  std::string query;
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty())
      query += (query.empty() ? "?" : "&") + std::string(k) + "=" + path_escape(v);
  };
  if (!s.job.empty()) {
    auto [pipeline, job] = split_flag(s.job, "--job");
    add("pipeline_name", pipeline);
    add("job_name", job);
  }
  // -b is a build name within -j's job, otherwise a global build id.
  add(s.job.empty() ? "build_id" : "build_name", s.build);
  add("step_name", s.step);
  add("attempt", s.attempt);
  if (query.empty())
    throw core::UsageError("give -j (with -b, -s), -u or --handle to say which container");
  auto found = expect_array(
      c.get_json("/api/v1/teams/" + path_escape(s.team) + "/containers" + query), "containers");
  if (found.empty())
    throw Failure(
        "no containers matched your search parameters!\n\nthey may have expired if "
        "your build hasn't recently finished.");
  if (found.size() > 1) {
    std::string list;
    for (const auto& f : found)
      list += "\n  " + json_str(f, "step_name") + " (" + json_str(f, "type") +
              "): " + json_str(f, "id");
    throw Failure("several containers match; choose one with -s or --handle:" + list);
  }
  return found[0];
}

// Raw terminal for the duration of an interactive session.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0)
      return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_)
      ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

json window_size() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
    ws = winsize{24, 80, 0, 0};
  return {{"window_size", {{"columns", ws.ws_col}, {"rows", ws.ws_row}}}};
}

struct Session {
  std::optional<int> exit_status;
  bool executable_not_found = false;
};

std::unique_ptr<Poco::Net::WebSocket> connect(const Client& c, const std::string& team,
                                              const std::string& handle,
                                              std::unique_ptr<Poco::Net::HTTPClientSession>& s) {
  Poco::URI uri(c.url());
  if (uri.getScheme() != "http")
    throw Failure("hijack needs a plain http target in this fly; " + c.url() + " is not");
  s = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  Poco::Net::HTTPRequest req(
      "GET",
      "/api/v1/teams/" + path_escape(team) + "/containers/" + path_escape(handle) + "/hijack",
      Poco::Net::HTTPMessage::HTTP_1_1);
  if (auto a = c.authorization(); !a.empty())
    req.set("Authorization", a);
  Poco::Net::HTTPResponse resp;
  try {
    auto ws = std::make_unique<Poco::Net::WebSocket>(*s, req, resp);
    ws->setReceiveTimeout(Poco::Timespan(24 * 3600, 0));
    return ws;
  } catch (const Poco::Net::WebSocketException& e) {
    if (resp.getStatus() == Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED)
      throw Unauthorized();
    throw Failure("hijack " + handle + ": " + std::to_string(resp.getStatus()) + " " +
                  resp.getReason() + " (" + e.displayText() + ")");
  }
}

void send_text(Poco::Net::WebSocket& ws, std::mutex& mu, const json& j) {
  std::string s = j.dump();
  std::lock_guard lock(mu);
  ws.sendFrame(s.data(), static_cast<int>(s.size()), Poco::Net::WebSocket::FRAME_TEXT);
}

// Feeds stdin to the process; ends when stdin does (closeStdin) or the session is over.
void pump_stdin(Poco::Net::WebSocket& ws, std::mutex& mu, const std::atomic<bool>& done) {
  char buf[4096];
  while (!done) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0 || done)
      break;
    send_text(ws, mu, {{"stdin", base64(buf, static_cast<size_t>(n))}});
  }
  if (!done)
    send_text(ws, mu, {{"closeStdin", true}});
}

// Shared with the stdin thread, which may outlive the session while blocked in read().
struct Channel {
  std::unique_ptr<Poco::Net::HTTPClientSession> http;
  std::unique_ptr<Poco::Net::WebSocket> ws;
  std::mutex mu;
  std::atomic<bool> done{false};
};

Session run_session(Context& ctx, const Client& c, const std::string& team,
                    const ordered_json& container, const json& spec, bool tty) {
  auto ch = std::make_shared<Channel>();
  ch->ws = connect(c, team, json_str(container, "id"), ch->http);
  auto& ws = ch->ws;
  send_text(*ws, ch->mu, spec);
  std::optional<RawTerminal> raw;
  if (tty)
    raw.emplace();
  // Detached: a read() on a terminal cannot be interrupted portably; the process exits anyway.
  std::thread([ch] {
    try {
      pump_stdin(*ch->ws, ch->mu, ch->done);
    } catch (const std::exception&) {
      // The session ended under it; nobody wants the rest of stdin.
    }
  }).detach();
  Session result;
  std::string buf(1 << 16, '\0');
  for (;;) {
    int flags = 0;
    int n = ws->receiveFrame(buf.data(), static_cast<int>(buf.size()), flags);
    if (n <= 0 ||
        (flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) == Poco::Net::WebSocket::FRAME_OP_CLOSE)
      break;
    auto out = json::parse(buf.substr(0, static_cast<size_t>(n)), nullptr, false);
    if (!out.is_object())
      continue;
    if (out.contains("stdout"))
      ctx.out << unbase64(out["stdout"].get<std::string>()) << std::flush;
    if (out.contains("stderr"))
      ctx.err << unbase64(out["stderr"].get<std::string>()) << std::flush;
    if (out.value("executable_not_found", false)) {
      result.executable_not_found = true;
      break;
    }
    if (out.contains("error") && out["error"].is_string() &&
        !out["error"].get<std::string>().empty())
      throw Failure(out["error"].get<std::string>());
    if (out.contains("exit_status") && out["exit_status"].is_number()) {
      result.exit_status = out["exit_status"].get<int>();
      break;
    }
  }
  ch->done = true;
  if (!result.exit_status && !result.executable_not_found)
    throw Failure("the hijack connection closed without an exit status");
  return result;
}

int hijack(Context& ctx, const std::vector<std::string>& args) {
  Search s;
  Args a("hijack");
  add_global_options(a, ctx);
  a.add_string('j', "job", &s.job, "Name of a job to hijack (PIPELINE/JOB)");
  a.add_string('b', "build", &s.build, "Build number within the job, or global build ID");
  a.add_string('s', "step", &s.step, "Name of step to hijack (e.g. build, unit, resource-name)");
  a.add_string('a', "attempt", &s.attempt, "Attempt number of step to hijack");
  a.add_string('u', "url", &s.url, "URL for the build, job, or check container to hijack");
  a.add_string(0, "handle", &s.handle, "Handle id of a job, build, step, or check container");
  a.add_string('n', "team", &s.team, "Name of the team to which the container belongs");
  auto command = a.parse(args);
  auto t = load_target(ctx);
  Client c = client_for(ctx, t);
  apply_url(s);
  if (s.team.empty())
    s.team = t.props.team;
  ordered_json container = s.handle.empty() ? find_container(c, s) : ordered_json{{"id", s.handle}};
  bool tty = ::isatty(STDIN_FILENO) == 1;
  std::vector<std::string> paths = command.empty() ? std::vector<std::string>{"bash", "sh"}
                                                   : std::vector<std::string>{command[0]};
  for (const auto& path : paths) {
    json spec{
        {"path", path},
        {"args", command.size() > 1 ? std::vector<std::string>(command.begin() + 1, command.end())
                                    : std::vector<std::string>{}},
        {"env", tty ? std::vector<std::string>{"TERM=xterm"} : std::vector<std::string>{}},
        {"dir", json_str(container, "working_directory")},
        {"user", json_str(container, "user")}};
    if (tty)
      spec["tty"] = window_size();
    Session r = run_session(ctx, c, s.team, container, spec, tty);
    if (r.exit_status)
      return *r.exit_status;
  }
  throw Failure("executable not found: " + paths.back());
}

}  // namespace

int hijack_command(Context& ctx, const std::vector<std::string>& args) {
  return hijack(ctx, args);
}

}  // namespace concourse::fly
