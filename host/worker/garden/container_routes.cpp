// The JSON routes: everything but process I/O and file streams.
#include <chrono>

#include "worker/garden/server_impl.hpp"

namespace concourse::worker::garden {
namespace {

using nlohmann::ordered_json;

std::vector<std::string> split_handles(const std::string& csv) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= csv.size()) {
    size_t comma = csv.find(',', start);
    if (comma == std::string::npos)
      comma = csv.size();
    if (comma > start)
      out.push_back(csv.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

ordered_json error_json(const GardenError& e) {
  return ordered_json::parse(e.body());
}

std::string ms_string(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

void Server::Impl::ping(Request& r) {
  auto ctx = call_context();
  runtime_.ping(ctx.get());
  reply(r, 200, ordered_json::object());
}

void Server::Impl::capacity(Request& r) {
  auto ctx = call_context();
  reply(r, 200, capacity_json(runtime_.capacity(ctx.get())));
}

void Server::Impl::list(Request& r) {
  std::vector<std::pair<std::string, std::string>> filter;
  for (const auto& [key, values] : r.query.values()) {
    if (!values.empty())
      filter.emplace_back(key, values.front());
  }
  auto ctx = call_context();
  reply(r, 200, ordered_json{{"Handles", runtime_.list(ctx.get(), filter)}});
}

void Server::Impl::create(Request& r) {
  auto spec = decode_container_spec(read_json(r));
  if (spec->handle().empty())
    spec->set_handle(new_uuid());
  const std::string handle = spec->handle();
  {
    auto use = enter(handle);
    runtime_.create(use.ctx(), spec->spec());
  }
  std::chrono::nanoseconds grace = spec->spec().grace_time_ns > 0
                                       ? std::chrono::nanoseconds(spec->spec().grace_time_ns)
                                       : opts_.default_grace_time;
  bomberman_.strap(handle, grace);
  log_.info("create-container", {{"handle", handle}, {"grace_time_ms", ms_string(grace)}});
  reply(r, 200, ordered_json{{"Handle", handle}});
}

void Server::Impl::bulk_info(Request& r) {
  const std::string* csv = r.query.first("handles");
  if (csv == nullptr)
    throw bad_request("bulk_info needs ?handles=h1,h2");
  ordered_json out = ordered_json::object();
  for (const auto& h : split_handles(*csv)) {
    bomberman_.touch(h);
    try {
      auto use = enter(h);
      out[h] = ordered_json{{"Info", info_json(runtime_.info(use.ctx(), h))}, {"Err", nullptr}};
    } catch (const GardenError& e) {
      out[h] = ordered_json{{"Info", info_json({})}, {"Err", error_json(e)}};
    }
  }
  reply(r, 200, out);
}

void Server::Impl::bulk_metrics(Request& r) {
  const std::string* csv = r.query.first("handles");
  if (csv == nullptr)
    throw bad_request("bulk_metrics needs ?handles=h1,h2");
  runtime_.require_metrics();
  ordered_json out = ordered_json::object();
  for (const auto& h : split_handles(*csv)) {
    bomberman_.touch(h);
    try {
      auto use = enter(h);
      out[h] =
          ordered_json{{"Metrics", metrics_json(runtime_.metrics(use.ctx(), h))}, {"Err", nullptr}};
    } catch (const GardenError& e) {
      cc_container_metrics zero{};
      out[h] = ordered_json{{"Metrics", metrics_json(zero)}, {"Err", error_json(e)}};
    }
  }
  reply(r, 200, out);
}

void Server::Impl::info(Request& r) {
  auto use = enter(r.handle());
  reply(r, 200, info_json(runtime_.info(use.ctx(), r.handle())));
}

void Server::Impl::destroy(Request& r) {
  const std::string& handle = r.handle();
  auto d = gate_.begin_destroy(handle, opts_.request_timeout);
  if (!d)
    throw internal_error("container already being destroyed");
  runtime_.destroy(d->ctx(), handle);
  table_.forget_container(handle);
  bomberman_.defuse(handle);
  log_.info("destroy-container", {{"handle", handle}});
  reply(r, 200, ordered_json::object());
}

void Server::Impl::stop_container(Request& r) {
  bool kill = decode_stop_request(read_json(r));
  auto use = enter(r.handle());
  runtime_.stop(use.ctx(), r.handle(), kill);
  log_.info("stop-container", {{"handle", r.handle()}, {"kill", kill ? "true" : "false"}});
  reply(r, 200, ordered_json::object());
}

void Server::Impl::limits(Request& r, LimitKind kind) {
  auto use = enter(r.handle());
  reply(r, 200, limits_json(kind, runtime_.limits(use.ctx(), r.handle())));
}

void Server::Impl::net_in(Request& r) {
  if (!runtime_.has_capability(CC_RT_CAP_NET_IN))
    throw unsupported("net in", runtime_.name());
  auto [host_port, container_port] = decode_net_in_request(read_json(r));
  auto use = enter(r.handle());
  cc_net_in mapped = runtime_.net_in(use.ctx(), r.handle(), host_port, container_port);
  reply(r, 200,
        ordered_json{{"host_port", mapped.host_port}, {"container_port", mapped.container_port}});
}

void Server::Impl::net_out(Request& r, bool bulk) {
  runtime_.require_net_out();
  nlohmann::json body = read_json(r);
  NetOutRules rules;
  if (!bulk) {
    rules.add(body, "net out rule");
  } else {
    if (!body.is_array())
      throw bad_request("invalid net out rules: expected a JSON array");
    for (size_t i = 0; i < body.size(); ++i) {
      rules.add(body[i], "net out rules[" + std::to_string(i) + "]");
    }
  }
  auto use = enter(r.handle());
  for (size_t i = 0; i < rules.size(); ++i)
    runtime_.net_out(use.ctx(), r.handle(), rules.at(i));
  reply(r, 200, ordered_json::object());
}

void Server::Impl::set_grace_time(Request& r) {
  int64_t ns = decode_grace_time(read_json(r));
  {
    auto use = enter(r.handle());
    runtime_.set_grace_time(use.ctx(), r.handle(), ns);
  }
  // 0 means "never", as Garden's bomberman reads it.
  bomberman_.strap(r.handle(), std::chrono::nanoseconds(ns));
  reply(r, 200, ordered_json::object());
}

void Server::Impl::properties(Request& r) {
  auto use = enter(r.handle());
  ordered_json out = ordered_json::object();
  for (const auto& [k, v] : runtime_.properties(use.ctx(), r.handle()))
    out[k] = v;
  reply(r, 200, out);
}

void Server::Impl::property(Request& r) {
  auto use = enter(r.handle());
  reply(r, 200, ordered_json{{"value", runtime_.property(use.ctx(), r.handle(), r.route.key)}});
}

void Server::Impl::set_property(Request& r) {
  std::string value = decode_property_value(read_json(r));
  auto use = enter(r.handle());
  runtime_.set_property(use.ctx(), r.handle(), r.route.key, value);
  reply(r, 200, ordered_json::object());
}

void Server::Impl::remove_property(Request& r) {
  auto use = enter(r.handle());
  runtime_.remove_property(use.ctx(), r.handle(), r.route.key);
  reply(r, 200, ordered_json::object());
}

void Server::Impl::metrics(Request& r) {
  runtime_.require_metrics();
  auto use = enter(r.handle());
  reply(r, 200, metrics_json(runtime_.metrics(use.ctx(), r.handle())));
}

}  // namespace concourse::worker::garden
