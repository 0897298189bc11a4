#include "worker/baggageclaim/handlers.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.hpp"
#include "core/http/body.hpp"
#include "worker/baggageclaim/streaming.hpp"

namespace concourse::worker::baggageclaim {
namespace {

using core::Error;
using nlohmann::json;
using Poco::Net::HTTPResponse;
using Query = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxJsonBody = 1 << 20;

json volume_json(const Volume& v) {
  json j{{"handle", v.handle},
         {"path", v.path},
         {"properties", v.properties},
         {"privileged", v.privileged}};
  if (v.ttl_seconds > 0)
    j["ttl"] = v.ttl_seconds;
  return j;
}

void send_json(Poco::Net::HTTPServerResponse& resp, HTTPResponse::HTTPStatus status,
               const json& body) {
  std::string text = body.dump();
  resp.setStatus(status);
  resp.setContentType("application/json");
  resp.setContentLength(static_cast<std::streamsize>(text.size()));
  resp.send() << text;
}

void send_empty(Poco::Net::HTTPServerResponse& resp, HTTPResponse::HTTPStatus status) {
  resp.setStatus(status);
  resp.setContentLength(0);
  resp.send();
}

json read_body(Poco::Net::HTTPServerRequest& req) {
  std::string body;
  char buf[8192];
  while (req.stream().read(buf, sizeof buf) || req.stream().gcount() > 0) {
    body.append(buf, static_cast<size_t>(req.stream().gcount()));
    if (body.size() > kMaxJsonBody)
      throw Error(CC_E_INVALID, "request body too large");
  }
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded())
    throw Error(CC_E_INVALID, "malformed JSON request body");
  return j;
}

std::string query_value(const Query& q, const std::string& key) {
  for (const auto& [k, v] : q) {
    if (k == key)
      return v;
  }
  return "";
}

Strategy parse_strategy(const json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw Error(CC_E_CONFLICT, "missing or unknown strategy");
  }
  Strategy s;
  std::string type = j["type"];
  if (type == "empty") {
    s.type = Strategy::Type::Empty;
  } else if (type == "cow") {
    s.type = Strategy::Type::Cow;
    s.parent = j.value("volume", "");
  } else if (type == "import") {
    s.type = Strategy::Type::Import;
    s.import_path = j.value("path", "");
    s.follow_symlinks = j.value("follow_symlinks", false);
  } else {
    throw Error(CC_E_CONFLICT, "unknown strategy type: " + type);
  }
  return s;
}

struct CreateRequest {
  std::string handle;
  Strategy strategy;
  Properties properties;
  bool privileged = false;
  int64_t ttl = 0;
};

CreateRequest parse_create(const json& j) {
  if (!j.is_object())
    throw Error(CC_E_INVALID, "volume request must be a JSON object");
  CreateRequest r;
  try {
    r.handle = j.value("handle", "");
    if (r.handle.empty())
      r.handle = new_handle();
    r.properties = j.value("properties", Properties{});
    r.privileged = j.value("privileged", false);
    r.ttl = j.value("ttl", int64_t{0});
  } catch (const json::exception& e) {
    throw Error(CC_E_INVALID, std::string("bad volume request: ") + e.what());
  }
  r.strategy = parse_strategy(j.value("strategy", json()));
  return r;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const Context& ctx) : ctx_(ctx) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    try {
      dispatch(req, resp);
      status = resp.getStatus();
    } catch (const Error& e) {
      status = e.code() == CC_E_CONFLICT ? 422
               : e.code() == CC_E_LIMIT  ? 403
                                         : core::http_status_for(e.code());
      fail(req, resp, status, e.what());
    } catch (const std::exception& e) {
      status = 500;
      fail(req, resp, status, e.what());
    }
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ctx_.log.debug("request", {{"method", req.getMethod()},
                               {"path", req.getURI()},
                               {"status", std::to_string(status)},
                               {"duration_ms", std::to_string(ms)}});
  }

 private:
  void fail(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, int status,
            const std::string& message) {
    if (resp.sent())
      return;  // a stream already started; the connection is the only channel
    // A client still sending a refused body would get a reset instead of our answer: read what is
    // left (bounded, so a hostile sender cannot keep us busy) and close afterwards.
    http::drain_request_body(req, 64 << 20);
    resp.setKeepAlive(false);
    send_json(resp, static_cast<HTTPResponse::HTTPStatus>(status), {{"error", message}});
  }

  Volume volume(const std::string& handle) {
    auto v = ctx_.store->get(handle);
    if (!v)
      throw Error(CC_E_NOT_FOUND, "volume not found: " + handle);
    return *v;
  }

  void dispatch(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    Poco::URI uri(req.getURI());
    std::vector<std::string> seg;
    uri.getPathSegments(seg);
    Query q = uri.getQueryParameters();
    const std::string& m = req.getMethod();
    auto n = seg.size();
    if (n == 1 && seg[0] == "volumes" && m == "GET")
      return list(resp, q);
    if (n == 1 && seg[0] == "volumes" && m == "POST")
      return create(req, resp);
    if (n == 1 && seg[0] == "volumes-async" && m == "POST")
      return create_async(req, resp);
    if (n == 2 && seg[0] == "volumes-async")
      return async(seg[1], m, resp);
    if (n == 1 && seg[0] == "p2p-url" && m == "GET") {
      resp.setContentType("text/plain");
      resp.send() << p2p_url(ctx_.options->p2p_interface_name_pattern,
                             ctx_.options->p2p_interface_family, *ctx_.port);
      return;
    }
    if (n == 2 && seg[0] == "volumes" && seg[1] == "destroy" && m == "DELETE") {
      return destroy_many(req, resp);
    }
    if (n == 2 && seg[0] == "volumes" && seg[1] == "cleanup-orphans" && m == "POST") {
      ctx_.store->cleanup_orphans();
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    }
    if (n >= 2 && seg[0] == "volumes")
      return on_volume(req, resp, seg, q);
    throw Error(CC_E_NOT_FOUND, "no route for " + m + " " + uri.getPath());
  }

  void on_volume(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                 const std::vector<std::string>& seg, const Query& q) {
    const std::string& m = req.getMethod();
    const std::string& h = seg[1];
    if (seg.size() == 2 && m == "GET")
      return send_json(resp, HTTPResponse::HTTP_OK, volume_json(volume(h)));
    if (seg.size() == 2 && m == "DELETE") {
      ctx_.store->destroy(h);
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    }
    if (seg.size() == 4 && seg[2] == "properties" && m == "PUT") {
      json body = read_body(req);
      if (!body.is_object() || !body.contains("value") || !body["value"].is_string()) {
        throw Error(CC_E_INVALID, "expected {\"value\":\"...\"}");
      }
      ctx_.store->set_property(h, seg[3], body["value"]);
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    }
    if (seg.size() != 3)
      throw Error(CC_E_NOT_FOUND, "no route for " + m + " " + req.getURI());
    const std::string& what = seg[2];
    if (what == "privileged" && m == "GET")
      return send_json(resp, HTTPResponse::HTTP_OK, volume(h).privileged);
    if (what == "privileged" && m == "PUT") {
      json body = read_body(req);
      if (!body.is_object() || !body.contains("value") || !body["value"].is_boolean()) {
        throw Error(CC_E_INVALID, "expected {\"value\":true|false}");
      }
      ctx_.store->set_privileged(h, body["value"]);
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    }
    if (what == "ttl" && m == "PUT") {
      json body = read_body(req);
      if (!body.is_object() || !body.contains("value") || !body["value"].is_number_integer()) {
        throw Error(CC_E_INVALID, "expected {\"value\":<seconds>}");
      }
      ctx_.store->set_ttl(h, body["value"]);
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    }
    if (what == "stream-in" && m == "PUT") {
      std::string limit = query_value(q, "limit");
      uint64_t limit_bytes = 0;
      if (!limit.empty()) {
        try {
          limit_bytes = std::stoull(limit) * 1024 * 1024;
        } catch (const std::exception&) {
          throw Error(CC_E_INVALID, "invalid limit: " + limit);
        }
      }
      return stream_in(volume(h), req, resp, query_value(q, "path"), limit_bytes);
    }
    if (what == "stream-out" && m == "PUT")
      return stream_out(volume(h), req, resp, query_value(q, "path"));
    if (what == "stream-p2p-out" && m == "PUT") {
      return stream_p2p_out(volume(h), resp, query_value(q, "path"), query_value(q, "streamInURL"),
                            query_value(q, "encoding"));
    }
    throw Error(CC_E_NOT_FOUND, "no route for " + m + " " + req.getURI());
  }

  void list(Poco::Net::HTTPServerResponse& resp, const Query& q) {
    Properties filter;
    for (const auto& [k, v] : q) {
      if (filter.count(k) != 0)
        throw Error(CC_E_CONFLICT, "property given twice: " + k);
      filter[k] = v;
    }
    json out = json::array();
    for (const auto& v : ctx_.store->list(filter))
      out.push_back(volume_json(v));
    send_json(resp, HTTPResponse::HTTP_OK, out);
  }

  void create(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    auto r = parse_create(read_body(req));
    try {
      auto v = ctx_.store->create(r.handle, r.strategy, r.properties, r.privileged, r.ttl);
      send_json(resp, HTTPResponse::HTTP_CREATED, volume_json(v));
    } catch (const Error& e) {
      // A missing parent volume is a 422 in Baggageclaim, not a 404.
      if (e.code() == CC_E_NOT_FOUND)
        throw Error(CC_E_CONFLICT, e.what());
      throw;
    }
  }

  void create_async(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    auto r = parse_create(read_body(req));
    if (!valid_handle(r.handle))
      throw Error(CC_E_INVALID, "invalid volume handle '" + r.handle + "'");
    ctx_.async->start(r.handle, r.strategy, r.properties, r.privileged, r.ttl);
    send_json(resp, HTTPResponse::HTTP_CREATED, {{"handle", r.handle}});
  }

  void async(const std::string& h, const std::string& m, Poco::Net::HTTPServerResponse& resp) {
    if (m == "DELETE") {
      if (!ctx_.async->cancel(h))
        throw Error(CC_E_NOT_FOUND, "no volume creation: " + h);
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    }
    if (m != "GET")
      throw Error(CC_E_NOT_FOUND, "no route for " + m + " /volumes-async/" + h);
    auto st = ctx_.async->status(h);
    if (!st)
      throw Error(CC_E_NOT_FOUND, "no volume creation: " + h);
    if (!st->done)
      return send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
    if (st->volume)
      return send_json(resp, HTTPResponse::HTTP_OK, volume_json(*st->volume));
    int code = st->code == CC_E_NOT_FOUND ? 422 : core::http_status_for(st->code);
    send_json(resp, static_cast<HTTPResponse::HTTPStatus>(code), {{"error", st->error}});
  }

  void destroy_many(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    json body = read_body(req);
    if (!body.is_array())
      throw Error(CC_E_INVALID, "expected a JSON array of handles");
    for (const auto& h : body) {
      if (!h.is_string())
        throw Error(CC_E_INVALID, "expected a JSON array of handles");
      try {
        ctx_.store->destroy(h.get<std::string>());
      } catch (const Error& e) {
        if (e.code() != CC_E_NOT_FOUND)
          throw;  // missing ones are fine
      }
    }
    send_empty(resp, HTTPResponse::HTTP_NO_CONTENT);
  }

  Context ctx_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* HandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
  return new Handler(ctx_);
}

}  // namespace concourse::worker::baggageclaim
