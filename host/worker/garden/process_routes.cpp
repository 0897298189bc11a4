// Run, Attach and the stdout/stderr attach routes: each answers with a head and hands the socket
// to a thread of our own, so the Poco pool never waits on a process.

#include "worker/garden/process_streams.hpp"
#include "worker/garden/server_impl.hpp"

namespace concourse::worker::garden {

void Server::Impl::run(Request& r) {
  auto spec = decode_process_spec(read_json(r));
  if (spec->wants_process_image()) {
    throw unsupported("a process image or bind mounts", runtime_.name());
  }
  if (spec->tty())
    runtime_.require_tty();
  if (spec->id().empty())
    spec->set_id(new_uuid());
  const std::string& handle = r.handle();
  std::shared_ptr<Stream> stream;
  {
    auto use = enter(handle);
    // The exit token exists before the plugin runs anything: the exit may beat the return.
    auto record = table_.reserve(handle, spec->id(), spec->tty());
    RuntimeClient::Started started;
    try {
      started = runtime_.run(use.ctx(), handle, spec->spec(), record->token);
    } catch (...) {
      table_.abandon(record);
      throw;
    }
    stream = table_.activate(record, started.process, started.io);
  }
  log_.info("run-process", {{"handle", handle},
                            {"process_id", spec->id()},
                            {"path", std::string(spec->spec().path.ptr, spec->spec().path.len)},
                            {"stream_id", stream->id}});
  hijack_control(r, stream, 201);
}

void Server::Impl::attach(Request& r) {
  const std::string& handle = r.handle();
  const std::string& pid = r.route.process_id;
  std::shared_ptr<Stream> stream;
  if (auto record = table_.find(handle, pid)) {
    stream = table_.open_stream(record);
  } else if (runtime_.can_attach_after_restart()) {
    auto use = enter(handle);
    auto fresh = table_.reserve(handle, pid, false);
    RuntimeClient::Started started;
    try {
      started = runtime_.attach(use.ctx(), handle, pid, fresh->token);
    } catch (...) {
      table_.abandon(fresh);
      throw;
    }
    stream = table_.activate(fresh, started.process, started.io);
  } else {
    auto use = enter(handle);
    if (!runtime_.exists(use.ctx(), handle))
      throw container_not_found(handle);
    throw process_not_found(pid);
  }
  log_.info("attach-process", {{"handle", handle}, {"process_id", pid}, {"stream_id", stream->id}});
  hijack_control(r, stream, 200);
}

void Server::Impl::hijack_control(Request& r, const std::shared_ptr<Stream>& stream, int status) {
  Hijacked h;
  try {
    h = hijack(r.http, r.resp, opts_.request_timeout);
  } catch (...) {
    table_.control_closed(*stream);
    throw;
  }
  r.hijacked = true;
  r.status = status;
  bool spawned =
      connections_.spawn(h.fd, [this, stream, leftover = std::move(h.leftover), status](int fd) {
        serve_control(table_, runtime_, fd, stream, leftover, status, log_);
      });
  if (!spawned)
    table_.control_closed(*stream);
}

void Server::Impl::output(Request& r, int channel) {
  auto stream = table_.find_stream(r.route.stream_id);
  if (stream && stream->record->id != r.route.process_id)
    stream = nullptr;
  Hijacked h = hijack(r.http, r.resp, opts_.request_timeout);
  r.hijacked = true;
  r.status = 200;
  connections_.spawn(
      h.fd, [this, stream, channel](int fd) { serve_output(table_, fd, stream, channel); });
}

}  // namespace concourse::worker::garden
