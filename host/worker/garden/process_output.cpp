// The process table's I/O side: the pump's reads and fan-out, bounded queues, stdin, and the
// exit frame's readiness.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <nlohmann/json.hpp>

#include "worker/garden/fd_util.hpp"
#include "worker/garden/process_table.hpp"

namespace concourse::worker::garden {
namespace {

constexpr auto kDrainRecheck = std::chrono::seconds(1);

bool receiving(ChannelState s) {
  return s == ChannelState::Waiting || s == ChannelState::Attached;
}
const char* channel_name(int c) {
  return c == kStdout ? "stdout" : "stderr";
}

}  // namespace

std::optional<std::string> ProcessTable::take_final_frame(Stream& s) {
  Graveyard g;
  std::lock_guard lock(mu_);
  if (!s.control_open || !exit_ready_locked(s))
    return std::nullopt;
  const ProcessRecord& r = *s.record;
  nlohmann::ordered_json j;
  j["process_id"] = r.id;
  if (r.error.empty()) {
    j["exit_status"] = r.exit_status;
  } else {
    j["error"] = r.error;
  }
  s.control_open = false;
  s.control_hold.reset();
  maybe_forget_locked(s, g);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void ProcessTable::control_closed(Stream& s) {
  Graveyard g;
  std::lock_guard lock(mu_);
  s.control_open = false;
  s.control_hold.reset();
  maybe_forget_locked(s, g);
}

void ProcessTable::write_stdin(Stream& s, std::string_view data) {
  ProcessRecord& r = *s.record;
  std::lock_guard stdin_lock(r.stdin_mu);
  while (!data.empty() && r.stdin_fd >= 0) {
    ssize_t n = ::write(r.stdin_fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN)
      return;  // EPIPE/EIO: the process stopped reading for good
    pollfd fds[2] = {{r.stdin_fd, POLLOUT, 0}, {s.wake_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR)
      return;
    if ((fds[1].revents & POLLIN) != 0) {
      std::lock_guard lock(mu_);
      if (stopping_ || exit_ready_locked(s))
        return;
      drain_fd(s.wake_fd);
    }
  }
}

void ProcessTable::close_stdin(Stream& s) {
  ProcessRecord& r = *s.record;
  std::lock_guard stdin_lock(r.stdin_mu);
  if (r.stdin_fd < 0)
    return;
  if (r.tty) {
    // Our stdin is a dup of the pty master: closing it ends nothing. EOT is the terminal's EOF.
    const char eot = 4;
    [[maybe_unused]] ssize_t n = ::write(r.stdin_fd, &eot, 1);
  }
  ::close(r.stdin_fd);
  r.stdin_fd = -1;
}

bool ProcessTable::attach_output(Stream& s, int c) {
  std::lock_guard lock(mu_);
  auto& q = s.ch[c];
  if (stopping_ || q.state != ChannelState::Waiting)
    return false;
  q.state = ChannelState::Attached;
  q.hold = bomberman_.hold(s.record->handle);
  if (q.expiry_timer != 0)
    timers_.cancel(q.expiry_timer);
  q.expiry_timer = 0;
  return true;
}

bool ProcessTable::next_output(Stream& s, int c, std::vector<std::string>& batch) {
  Graveyard g;
  std::unique_lock lock(mu_);
  auto& q = s.ch[c];
  q.cv.wait(lock, [&] {
    return stopping_ || q.state != ChannelState::Attached || !q.chunks.empty() || q.eof;
  });
  if (q.state != ChannelState::Attached)
    return false;
  if (stopping_) {
    drop_channel_locked(s, c, g);
    return false;
  }
  if (!q.chunks.empty()) {
    batch.insert(batch.end(), std::make_move_iterator(q.chunks.begin()),
                 std::make_move_iterator(q.chunks.end()));
    q.chunks.clear();
    q.bytes = 0;
    q.writing = true;
    maybe_resume_locked(*s.record, c, g);
    return true;
  }
  q.state = ChannelState::Done;
  q.hold.reset();
  signal_fd(s.wake_fd);
  maybe_forget_locked(s, g);
  return false;
}

void ProcessTable::output_written(Stream& s, int c) {
  std::lock_guard lock(mu_);
  s.ch[c].writing = false;
  if (s.record->exited)
    signal_fd(s.wake_fd);
}

void ProcessTable::output_gone(Stream& s, int c) {
  Graveyard g;
  std::lock_guard lock(mu_);
  drop_channel_locked(s, c, g);
  signal_fd(s.wake_fd);
}

size_t ProcessTable::queued_bytes(Stream& s, int c) {
  std::lock_guard lock(mu_);
  return s.ch[c].bytes;
}

void ProcessTable::on_ready(uint64_t key) {
  Graveyard g;
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end())
    return;  // a stale event for an fd closed since epoll_wait returned
  auto r = it->second.first.lock();
  int c = it->second.second;
  if (!r) {
    keys_.erase(it);
    return;
  }
  g.push_back(r);
  auto& o = r->out[c];
  if (o.fd < 0 || o.paused)
    return;
  ssize_t n = ::read(o.fd, read_buf_.data(), read_buf_.size());
  if (n > 0) {
    fan_out_locked(*r, c, read_buf_.data(), static_cast<size_t>(n), g);
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  // 0 is EOF; EIO is how a pty master says the terminal side is gone.
  finish_output_locked(*r, c, g);
}

void ProcessTable::fan_out_locked(ProcessRecord& r, int c, const char* data, size_t n,
                                  Graveyard& g) {
  bool full = false;
  std::erase_if(r.streams, [](const std::weak_ptr<Stream>& w) { return w.expired(); });
  for (const auto& w : r.streams) {
    auto s = w.lock();
    if (!s)
      continue;
    g.push_back(s);
    auto& q = s->ch[c];
    if (!receiving(q.state))
      continue;
    q.chunks.emplace_back(data, n);
    q.bytes += n;
    q.cv.notify_all();
    if (q.bytes >= timing_.queue_cap)
      full = true;
  }
  if (full) {
    // Stop reading rather than grow: the process blocks on its pipe until a reader catches up.
    pump_.unwatch(r.out[c].fd);
    r.out[c].paused = true;
  }
}

void ProcessTable::finish_output_locked(ProcessRecord& r, int c, Graveyard& g) {
  auto& o = r.out[c];
  if (o.fd >= 0) {
    pump_.unwatch(o.fd);
    ::close(o.fd);
    o.fd = -1;
  }
  keys_.erase(o.key);
  o.eof = true;
  o.paused = false;
  auto now = TimerQueue::Clock::now();
  for (const auto& w : r.streams) {
    auto s = w.lock();
    if (!s)
      continue;
    g.push_back(s);
    s->ch[c].eof = true;
    s->ch[c].eof_at = now;
    s->ch[c].cv.notify_all();
  }
  if (r.out[kStdout].eof && r.out[kStderr].eof && r.drain_timer != 0) {
    timers_.cancel(r.drain_timer);
    r.drain_timer = 0;
  }
  wake_locked(r, g);
}

void ProcessTable::maybe_resume_locked(ProcessRecord& r, int c, Graveyard& g) {
  auto& o = r.out[c];
  if (!o.paused || o.fd < 0)
    return;
  for (const auto& w : r.streams) {
    auto s = w.lock();
    if (!s)
      continue;
    g.push_back(s);
    if (receiving(s->ch[c].state) && s->ch[c].bytes >= timing_.queue_cap)
      return;
  }
  o.paused = false;
  try {
    pump_.watch(o.fd, o.key);
  } catch (const std::exception& e) {
    log_.error("watch-output-failed", {{"handle", r.handle}, {"error", e.what()}});
    finish_output_locked(r, c, g);
  }
}

bool ProcessTable::exit_ready_locked(const Stream& s) const {
  const ProcessRecord& r = *s.record;
  if (!r.exited)
    return false;
  for (int c : {kStdout, kStderr}) {
    if (!r.out[c].eof)
      return false;
    const auto& q = s.ch[c];
    if (q.state == ChannelState::Attached && (!q.chunks.empty() || q.writing))
      return false;
  }
  return true;
}

void ProcessTable::drop_channel_locked(Stream& s, int c, Graveyard& g) {
  auto& q = s.ch[c];
  q.state = ChannelState::Dropped;
  q.chunks.clear();
  q.bytes = 0;
  q.writing = false;
  q.hold.reset();
  if (q.expiry_timer != 0)
    timers_.cancel(q.expiry_timer);
  q.expiry_timer = 0;
  q.cv.notify_all();
  maybe_resume_locked(*s.record, c, g);
  maybe_forget_locked(s, g);
}

void ProcessTable::drain_deadline(const std::weak_ptr<ProcessRecord>& weak) {
  Graveyard g;
  std::lock_guard lock(mu_);
  auto r = weak.lock();
  if (!r)
    return;
  g.push_back(r);
  r->drain_timer = 0;
  bool paused = false;
  for (int c : {kStdout, kStderr}) {
    auto& o = r->out[c];
    if (o.fd < 0)
      continue;
    if (o.paused) {
      // Bytes are still queued for a reader; the pipe is not being held open by a stray child.
      paused = true;
      continue;
    }
    log_.warn("output-held-open-after-exit",
              {{"handle", r->handle}, {"process_id", r->id}, {"stream", channel_name(c)}});
    finish_output_locked(*r, c, g);
  }
  if (paused)
    schedule_drain_locked(r, kDrainRecheck);
}

void ProcessTable::expire_channel(const std::weak_ptr<Stream>& weak, int c) {
  Graveyard g;
  std::lock_guard lock(mu_);
  auto s = weak.lock();
  if (!s)
    return;
  g.push_back(s);
  auto& q = s->ch[c];
  q.expiry_timer = 0;
  if (q.state != ChannelState::Waiting)
    return;
  auto keep_until = q.eof_at + timing_.unattached_expiry;
  if (q.eof && TimerQueue::Clock::now() < keep_until) {
    // Finished output is kept a full minute after the end for a late attach.
    schedule_expiry_locked(s, c, keep_until);
    return;
  }
  log_.debug("stream-output-dropped", {{"handle", s->record->handle},
                                       {"process_id", s->record->id},
                                       {"stream_id", s->id},
                                       {"stream", channel_name(c)}});
  drop_channel_locked(*s, c, g);
  signal_fd(s->wake_fd);
}

}  // namespace concourse::worker::garden
