#include "worker/local_worker_api.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/plugin/call_context.hpp"

namespace concourse::worker {
namespace {

struct Reply {
  int status = 0;
  std::string body;
};

void set_error(cc_error* err, int32_t code, const std::string& message) {
  if (err == nullptr || err->struct_size < sizeof(cc_error))
    return;
  err->code = code;
  std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
}

Poco::Timespan timeout_of(const cc_call_ctx* call) {
  int64_t remaining_ns = 5'000'000'000;
  if (call != nullptr && call->deadline_ns != 0) {
    remaining_ns = call->deadline_ns - core::plugin::monotonic_now_ns();
    if (remaining_ns < 1'000'000)
      remaining_ns = 1'000'000;
  }
  return Poco::Timespan(remaining_ns / 1000);
}

// Transport failures throw; HTTP statuses are returned so callers decide what counts.
Reply request(const std::string& host, uint16_t port, const std::string& method,
              const std::string& path, const std::string& body, const cc_call_ctx* call) {
  Poco::Net::HTTPClientSession session(host, port);
  session.setTimeout(timeout_of(call));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!body.empty()) {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply reply;
  reply.status = static_cast<int>(resp.getStatus());
  Poco::StreamCopier::copyToString(in, reply.body);
  return reply;
}

template <class F>
int32_t guarded(cc_error* err, const char* what, F&& f) noexcept {
  try {
    return f();
  } catch (const Poco::Exception& e) {
    set_error(err, CC_E_UNAVAILABLE, std::string(what) + ": " + e.displayText());
  } catch (const std::exception& e) {
    set_error(err, CC_E_INTERNAL, std::string(what) + ": " + e.what());
  } catch (...) {
    set_error(err, CC_E_INTERNAL, std::string(what) + ": unknown error");
  }
  return err != nullptr ? err->code : CC_E_INTERNAL;
}

std::string to_string(cc_str s) {
  return s.len == 0 ? std::string() : std::string(s.ptr, s.len);
}

int32_t status_error(cc_error* err, const char* what, const Reply& r) {
  set_error(err, r.status == 404 ? CC_E_NOT_FOUND : CC_E_UNAVAILABLE,
            std::string(what) + ": HTTP " + std::to_string(r.status) + " " + r.body);
  return err != nullptr ? err->code : CC_E_UNAVAILABLE;
}

}  // namespace

void LocalWorkerApi::set_endpoints(std::string garden_host, uint16_t garden_port,
                                   std::string bc_host, uint16_t bc_port) {
  // 0.0.0.0 means "every interface"; loopback is one of them.
  garden_host_ = garden_host == "0.0.0.0" ? "127.0.0.1" : std::move(garden_host);
  garden_port_ = garden_port;
  bc_host_ = bc_host == "0.0.0.0" ? "127.0.0.1" : std::move(bc_host);
  bc_port_ = bc_port;
}

int32_t LocalWorkerApi::garden_ping(void* ctx, const cc_call_ctx* call, cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "garden ping", [&] {
    // Concourse counts only transport errors here; the status is not inspected.
    request(self->garden_host_, self->garden_port_, "GET", "/ping", "", call);
    return CC_OK;
  });
}

int32_t LocalWorkerApi::garden_list(void* ctx, const cc_call_ctx* call, cc_str_sink* out,
                                    cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "garden list", [&] {
    auto r = request(self->garden_host_, self->garden_port_, "GET", "/containers", "", call);
    if (r.status != 200)
      return status_error(err, "garden list", r);
    auto j = nlohmann::json::parse(r.body);
    for (const auto& h : j.value("Handles", nlohmann::json::array())) {
      auto s = h.get<std::string>();
      if (out != nullptr)
        out->add(out->ctx, cc_str{s.data(), s.size()});
    }
    return CC_OK;
  });
}

int32_t LocalWorkerApi::volumes_list(void* ctx, const cc_call_ctx* call, cc_str_sink* out,
                                     cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "baggageclaim list volumes", [&] {
    auto r = request(self->bc_host_, self->bc_port_, "GET", "/volumes", "", call);
    if (r.status != 200)
      return status_error(err, "baggageclaim list volumes", r);
    auto j = nlohmann::json::parse(r.body);
    for (const auto& v : j) {
      auto s = v.value("handle", std::string());
      if (out != nullptr)
        out->add(out->ctx, cc_str{s.data(), s.size()});
    }
    return CC_OK;
  });
}

int32_t LocalWorkerApi::volume_create_empty(void* ctx, const cc_call_ctx* call, cc_str handle,
                                            cc_str_sink* path_out, cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "baggageclaim create volume", [&] {
    nlohmann::json body{{"handle", to_string(handle)}, {"strategy", {{"type", "empty"}}}};
    auto r = request(self->bc_host_, self->bc_port_, "POST", "/volumes", body.dump(), call);
    if (r.status != 201)
      return status_error(err, "baggageclaim create volume", r);
    auto path = nlohmann::json::parse(r.body).value("path", std::string());
    if (path_out != nullptr)
      path_out->add(path_out->ctx, cc_str{path.data(), path.size()});
    return CC_OK;
  });
}

int32_t LocalWorkerApi::volume_destroy(void* ctx, const cc_call_ctx* call, cc_str handle,
                                       cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "baggageclaim destroy volume", [&] {
    auto r = request(self->bc_host_, self->bc_port_, "DELETE", "/volumes/" + to_string(handle), "",
                     call);
    if (r.status != 204 && r.status != 404)
      return status_error(err, "destroy volume", r);
    return CC_OK;
  });
}

int32_t LocalWorkerApi::container_create(void* ctx, const cc_call_ctx* call, cc_str handle,
                                         cc_str rootfs, cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "garden create container", [&] {
    nlohmann::json body{{"handle", to_string(handle)}};
    if (rootfs.len > 0)
      body["rootfs"] = to_string(rootfs);
    auto r =
        request(self->garden_host_, self->garden_port_, "POST", "/containers", body.dump(), call);
    if (r.status != 200)
      return status_error(err, "garden create container", r);
    return CC_OK;
  });
}

int32_t LocalWorkerApi::container_destroy(void* ctx, const cc_call_ctx* call, cc_str handle,
                                          cc_error* err) {
  auto* self = static_cast<LocalWorkerApi*>(ctx);
  return guarded(err, "garden destroy container", [&] {
    auto r = request(self->garden_host_, self->garden_port_, "DELETE",
                     "/containers/" + to_string(handle), "", call);
    if (r.status != 200 && r.status != 404)
      return status_error(err, "destroy container", r);
    return CC_OK;
  });
}

}  // namespace concourse::worker
