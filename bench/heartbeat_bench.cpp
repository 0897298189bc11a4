// ATC heartbeats per second: a WebNode on a throw-away PostgreSQL, N registered workers, then
// (1) the heartbeat rate N workers at Concourse's 30s interval produce, paced open-loop, and
// (2) an unthrottled burst from several keep-alive clients. Baseline: the same burst calling
// db::Workers::heartbeat directly, i.e. the database's share of each request.
//
//   heartbeat_bench [seconds-per-phase (default 10)] [clients (default 8)]
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "atc/db/workers.hpp"
#include "atc/web_node.hpp"
#include "bench_util.hpp"
#include "support/http.hpp"
#include "support/postgres.hpp"

namespace {

using concourse::bench::Clock;
using nlohmann::json;

constexpr double kInterval = 30.0;  // Concourse's --tsa-heartbeat-interval

// One keep-alive connection, as the TSA keeps to its ATC.
class Client {
 public:
  Client(uint16_t port, std::string token) : session_("127.0.0.1", port), token_(std::move(token)) {
    session_.setKeepAlive(true);
  }
  int put(const std::string& path, const std::string& body) {
    Poco::Net::HTTPRequest req("PUT", path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + token_);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.setKeepAlive(true);
    session_.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::string out;
    Poco::StreamCopier::copyToString(session_.receiveResponse(resp), out);
    return static_cast<int>(resp.getStatus());
  }

 private:
  Poco::Net::HTTPClientSession session_;
  std::string token_;
};

std::string worker_name(size_t i) {
  return "bench-worker-" + std::to_string(i);
}

json worker_json(size_t i) {
  return json{{"name", worker_name(i)},
              {"addr", "127.0.0.1:" + std::to_string(10000 + i)},
              {"baggageclaim_url", "http://127.0.0.1:" + std::to_string(20000 + i)},
              {"platform", "linux"},
              {"version", "2.5"},
              {"active_containers", 3},
              {"active_volumes", 5}};
}

struct Result {
  size_t sent = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

// Runs `clients` threads until `seconds` pass. paced: request k is due at k/rate seconds and
// latency counts from when it was due, so queueing behind a slow server shows up.
template <typename Send>
Result run(size_t n, int clients, double seconds, double rate, const Send& make_sender) {
  Result r;
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto send = make_sender(c);
      std::vector<double> lat;
      size_t failed = 0;
      for (;;) {
        size_t k = next.fetch_add(1);
        auto due = rate > 0 ? t0 + std::chrono::duration<double>(double(k) / rate) : Clock::now();
        if (due >= deadline || Clock::now() >= deadline)
          break;
        std::this_thread::sleep_until(due);
        if (!send(worker_name(k % n)))
          ++failed;
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
      }
      std::lock_guard lock(mu);
      r.latencies_ms.insert(r.latencies_ms.end(), lat.begin(), lat.end());
      r.failed += failed;
    });
  }
  for (auto& t : threads)
    t.join();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.sent = r.latencies_ms.size();
  return r;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * double(v.size() - 1))];
}

void print(const char* label, const Result& r) {
  std::printf("  %-34s %8.1f hb/s  p50 %8.3f ms  p99 %8.3f ms  (%zu sent, %zu failed)\n", label,
              double(r.sent) / r.seconds, percentile(r.latencies_ms, 0.5),
              percentile(r.latencies_ms, 0.99), r.sent, r.failed);
}

void bench_n(concourse::atc::WebNode& node, const std::string& token, size_t n, double seconds,
             int clients) {
  uint16_t port = node.api_port();
  for (size_t i = 0; i < n; ++i) {
    auto reply =
        concourse::testing::http("POST", port, "/api/v1/workers?ttl=1m0s", worker_json(i).dump(),
                                 {{"Authorization", "Bearer " + token}});
    if (reply.status != 200) {
      std::fprintf(stderr, "register %zu: %d %s\n", i, reply.status, reply.body.c_str());
      std::exit(1);
    }
  }
  std::string body = worker_json(0).dump();
  auto http_sender = [&](int) {
    auto client = std::make_shared<Client>(port, token);
    return [client, body](const std::string& name) {
      try {
        return client->put("/api/v1/workers/" + name + "/heartbeat?ttl=1m0s", body) == 200;
      } catch (const std::exception&) {
        return false;
      }
    };
  };
  auto db_sender = [&](int) {
    return [&node](const std::string& name) {
      concourse::atc::db::Workers w(node.database());
      return w.heartbeat(name, std::chrono::seconds(60), 3, 5).has_value();
    };
  };
  double rate = double(n) / kInterval;
  std::printf("N=%zu workers (paced rate %.1f hb/s, %d clients, %.0fs per phase)\n", n, rate,
              clients, seconds);
  print("paced HTTP (30s interval)", run(n, clients, seconds, rate, http_sender));
  print("burst HTTP", run(n, clients, seconds, 0, http_sender));
  print("baseline: burst db heartbeat only", run(n, clients, seconds, 0, db_sender));
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  int clients = argc > 2 ? std::atoi(argv[2]) : 8;
  if (seconds <= 0 || clients <= 0) {
    std::fprintf(stderr, "usage: heartbeat_bench [seconds-per-phase] [clients]\n");
    return 2;
  }
  concourse::log::configure(concourse::log::Level::Warn, concourse::log::Format::Text);
  for (size_t n : {size_t{100}, size_t{1000}}) {
    concourse::testing::TempPostgres pg;
    concourse::atc::WebNodeOptions o;
    o.postgres = pg.fresh_database();
    o.api.bind_ip = "127.0.0.1";
    o.api.bind_port = 0;
    concourse::atc::WebNode node(o, concourse::log::Logger("web"));
    node.start();
    auto reply = concourse::testing::http(
        "POST", node.api_port(), "/sky/issuer/token",
        "grant_type=client_credentials&client_id=concourse-worker&client_secret=" +
            node.worker_client_secret(),
        {{"Content-Type", "application/x-www-form-urlencoded"}});
    if (reply.status != 200) {
      std::fprintf(stderr, "token: %d %s\n", reply.status, reply.body.c_str());
      return 1;
    }
    bench_n(node, json::parse(reply.body)["access_token"], n, seconds, clients);
    node.stop();
  }
  return 0;
}
