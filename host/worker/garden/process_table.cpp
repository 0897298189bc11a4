#include "worker/garden/process_table.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "worker/garden/fd_util.hpp"
#include "worker/garden/garden_error.hpp"

namespace concourse::worker::garden {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

bool terminal(ChannelState s) {
  return s == ChannelState::Done || s == ChannelState::Dropped;
}

}  // namespace

ProcessRecord::~ProcessRecord() {
  for (auto& o : out) {
    if (o.fd < 0)
      continue;
    pump_.unwatch(o.fd);
    ::close(o.fd);
  }
  if (stdin_fd >= 0)
    ::close(stdin_fd);
  runtime_.release(process);
}

Stream::Stream() {
  wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0)
    throw std::system_error(errno, std::generic_category(), "stream: eventfd");
}

Stream::~Stream() {
  ::close(wake_fd);
}

ProcessTable::ProcessTable(RuntimeClient& runtime, Bomberman& bomberman, concourse::log::Logger log,
                           ProcessTiming timing)
    : runtime_(runtime),
      bomberman_(bomberman),
      log_(std::move(log)),
      timing_(timing),
      pump_([this](uint64_t key) { on_ready(key); }),
      read_buf_(kReadChunk) {}

ProcessTable::~ProcessTable() {
  stop();
}

void ProcessTable::start() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  pump_.start();
  timers_.start();
}

void ProcessTable::interrupt() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (auto& [id, s] : streams_) {
    for (auto& q : s->ch)
      q.cv.notify_all();
    signal_fd(s->wake_fd);
  }
}

void ProcessTable::stop() {
  interrupt();
  pump_.stop();
  timers_.stop();
  Graveyard g;
  std::lock_guard lock(mu_);
  for (auto& [token, r] : tokens_)
    g.push_back(std::move(r));
  for (auto& [key, r] : pids_)
    g.push_back(std::move(r));
  for (auto& [id, s] : streams_)
    g.push_back(std::move(s));
  tokens_.clear();
  pids_.clear();
  streams_.clear();
  keys_.clear();
}

std::shared_ptr<ProcessRecord> ProcessTable::reserve(const std::string& handle,
                                                     const std::string& id, bool tty) {
  std::lock_guard lock(mu_);
  if (stopping_)
    throw internal_error("garden server is stopping");
  auto it = pids_.find({handle, id});
  if (it != pids_.end() && !it->second->exited) {
    throw internal_error("process " + id + " is already running in container " + handle);
  }
  auto r = std::make_shared<ProcessRecord>(runtime_, pump_);
  r->handle = handle;
  r->id = id;
  r->tty = tty;
  r->token = next_token_++;
  tokens_[r->token] = r;
  return r;
}

std::shared_ptr<Stream> ProcessTable::activate(const std::shared_ptr<ProcessRecord>& r,
                                               cc_process* process, const cc_process_io& io) {
  Graveyard g;
  std::lock_guard lock(mu_);
  r->process = process;
  // No stream exists yet, so nobody else can be touching stdin_fd.
  r->stdin_fd = valid_fd(io.stdin_fd) ? io.stdin_fd : -1;
  if (r->stdin_fd >= 0)
    make_nonblocking(r->stdin_fd);
  const std::array<int, 2> fds{io.stdout_fd, io.stderr_fd};
  // A re-attached process does not say whether it has a terminal; its stdout does.
  if (!r->tty && valid_fd(io.stdout_fd) && ::isatty(io.stdout_fd) == 1)
    r->tty = true;
  for (int c : {kStdout, kStderr}) {
    auto& o = r->out[c];
    if (!valid_fd(fds[c])) {
      o.eof = true;
      continue;
    }
    make_nonblocking(fds[c]);
    o.fd = fds[c];
    o.key = next_key_++;
    keys_[o.key] = {r, c};
  }
  // The stream exists before the pump can see the fds, so it misses no byte.
  auto s = new_stream_locked(r);
  for (int c : {kStdout, kStderr}) {
    auto& o = r->out[c];
    if (o.fd < 0)
      continue;
    try {
      pump_.watch(o.fd, o.key);
    } catch (const std::exception& e) {
      log_.error("watch-output-failed", {{"handle", r->handle}, {"error", e.what()}});
      finish_output_locked(*r, c, g);
    }
  }
  auto key = std::make_pair(r->handle, r->id);
  if (auto old = pids_.find(key); old != pids_.end())
    g.push_back(old->second);
  pids_[key] = r;
  r->activated = true;
  if (r->exited) {
    schedule_retire_locked(r);
    schedule_drain_locked(r, timing_.exit_drain_grace);
  } else {
    r->running_hold = bomberman_.hold(r->handle);
  }
  return s;
}

void ProcessTable::abandon(const std::shared_ptr<ProcessRecord>& r) {
  Graveyard g;
  std::lock_guard lock(mu_);
  auto it = tokens_.find(r->token);
  if (it == tokens_.end())
    return;
  g.push_back(std::move(it->second));
  tokens_.erase(it);
}

std::shared_ptr<ProcessRecord> ProcessTable::find(const std::string& handle,
                                                  const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = pids_.find({handle, id});
  return it == pids_.end() ? nullptr : it->second;
}

std::shared_ptr<Stream> ProcessTable::open_stream(const std::shared_ptr<ProcessRecord>& r) {
  std::lock_guard lock(mu_);
  if (stopping_)
    throw internal_error("garden server is stopping");
  return new_stream_locked(r);
}

std::shared_ptr<Stream> ProcessTable::find_stream(const std::string& stream_id) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second;
}

void ProcessTable::forget_container(const std::string& handle) {
  Graveyard g;
  std::lock_guard lock(mu_);
  for (auto it = pids_.begin(); it != pids_.end();) {
    if (it->first.first != handle) {
      ++it;
      continue;
    }
    g.push_back(std::move(it->second));
    it = pids_.erase(it);
  }
}

void ProcessTable::on_exit(uint64_t token, int32_t exit_status, std::string_view error) {
  Graveyard g;
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    log_.warn("unknown-exit-token", {{"token", std::to_string(token)}});
    return;
  }
  auto r = it->second;
  g.push_back(r);
  if (r->exited) {
    log_.warn("duplicate-exit", {{"handle", r->handle}, {"process_id", r->id}});
    return;
  }
  r->exited = true;
  r->exit_status = exit_status;
  r->error = std::string(error);
  r->running_hold.reset();
  log_.info("process-exited", {{"handle", r->handle},
                               {"process_id", r->id},
                               {"exit_status", std::to_string(exit_status)},
                               {"error", r->error}});
  if (r->activated) {
    schedule_retire_locked(r);
    schedule_drain_locked(r, timing_.exit_drain_grace);
  }
  wake_locked(*r, g);
}

size_t ProcessTable::record_count() {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

size_t ProcessTable::stream_count() {
  std::lock_guard lock(mu_);
  return streams_.size();
}

std::shared_ptr<Stream> ProcessTable::new_stream_locked(const std::shared_ptr<ProcessRecord>& r) {
  auto s = std::make_shared<Stream>();
  auto now = TimerQueue::Clock::now();
  s->id = std::to_string(next_stream_++);
  s->record = r;
  for (int c : {kStdout, kStderr}) {
    if (!r->out[c].eof)
      continue;
    s->ch[c].eof = true;
    s->ch[c].eof_at = now;
  }
  s->control_hold = bomberman_.hold(r->handle);
  streams_[s->id] = s;
  r->streams.push_back(s);
  for (int c : {kStdout, kStderr})
    schedule_expiry_locked(s, c, now + timing_.unattached_expiry);
  return s;
}

void ProcessTable::wake_locked(ProcessRecord& r, Graveyard& g) {
  for (const auto& w : r.streams) {
    auto s = w.lock();
    if (!s)
      continue;
    g.push_back(s);
    signal_fd(s->wake_fd);
  }
}

void ProcessTable::maybe_forget_locked(Stream& s, Graveyard& g) {
  if (s.control_open)
    return;
  for (const auto& q : s.ch) {
    if (!terminal(q.state))
      return;
  }
  for (auto& q : s.ch) {
    if (q.expiry_timer != 0)
      timers_.cancel(q.expiry_timer);
    q.expiry_timer = 0;
  }
  auto it = streams_.find(s.id);
  if (it == streams_.end())
    return;
  g.push_back(std::move(it->second));
  streams_.erase(it);
}

void ProcessTable::schedule_retire_locked(const std::shared_ptr<ProcessRecord>& r) {
  std::weak_ptr<ProcessRecord> w = r;
  timers_.schedule(TimerQueue::Clock::now() + timing_.exited_retention, [this, w] { retire(w); });
}

void ProcessTable::schedule_drain_locked(const std::shared_ptr<ProcessRecord>& r,
                                         std::chrono::nanoseconds after) {
  if (r->out[kStdout].eof && r->out[kStderr].eof)
    return;
  if (r->drain_timer != 0)
    timers_.cancel(r->drain_timer);
  std::weak_ptr<ProcessRecord> w = r;
  r->drain_timer =
      timers_.schedule(TimerQueue::Clock::now() + after, [this, w] { drain_deadline(w); });
}

void ProcessTable::schedule_expiry_locked(const std::shared_ptr<Stream>& s, int c,
                                          TimerQueue::Clock::time_point when) {
  std::weak_ptr<Stream> w = s;
  s->ch[c].expiry_timer = timers_.schedule(when, [this, w, c] { expire_channel(w, c); });
}

void ProcessTable::retire(const std::weak_ptr<ProcessRecord>& weak) {
  Graveyard g;
  std::lock_guard lock(mu_);
  auto r = weak.lock();
  if (!r)
    return;
  g.push_back(r);
  if (auto it = pids_.find({r->handle, r->id}); it != pids_.end() && it->second == r) {
    g.push_back(std::move(it->second));
    pids_.erase(it);
  }
  if (auto it = tokens_.find(r->token); it != tokens_.end()) {
    g.push_back(std::move(it->second));
    tokens_.erase(it);
  }
  for (int c : {kStdout, kStderr}) {
    if (r->out[c].fd >= 0)
      finish_output_locked(*r, c, g);
  }
}

}  // namespace concourse::worker::garden
