#include "ssh_client.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tsa/keys.hpp"

namespace concourse::tsa::testing {

void SessionDeleter::operator()(ssh_session s) const noexcept {
  if (ssh_is_connected(s))
    ssh_disconnect(s);
  ssh_free(s);
}

SessionPtr connect(uint16_t port, const std::string& key_path) {
  SessionPtr s(ssh_new());
  unsigned int p = port;
  bool no = false;
  long timeout = 10;
  ssh_options_set(s.get(), SSH_OPTIONS_HOST, "127.0.0.1");
  ssh_options_set(s.get(), SSH_OPTIONS_PORT, &p);
  ssh_options_set(s.get(), SSH_OPTIONS_USER, "beacon");
  ssh_options_set(s.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &timeout);
  if (ssh_connect(s.get()) != SSH_OK) {
    std::fprintf(stderr, "test ssh client: connect: %s\n", ssh_get_error(s.get()));
    return nullptr;
  }
  auto key = load_private_key(key_path);
  // "none" first: it waits for the service accept, by which time the server's EXT_INFO has
  // arrived and libssh signs with rsa-sha2-* instead of the refused ssh-rsa.
  ssh_userauth_none(s.get(), nullptr);
  if (ssh_userauth_publickey(s.get(), nullptr, key.get()) != SSH_AUTH_SUCCESS) {
    std::fprintf(stderr, "test ssh client: auth: %s\n", ssh_get_error(s.get()));
    return nullptr;
  }
  return s;
}

CommandResult run(uint16_t port, const std::string& key_path, const std::string& command,
                  const std::string& input) {
  CommandResult r;
  auto s = connect(port, key_path);
  if (!s)
    return r;
  r.authenticated = true;
  ssh_channel ch = ssh_channel_new(s.get());
  if (ssh_channel_open_session(ch) != SSH_OK) {
    ssh_channel_free(ch);
    return r;
  }
  if (ssh_channel_request_exec(ch, command.c_str()) == SSH_OK) {
    r.exec_accepted = true;
    ssh_channel_write(ch, input.data(), static_cast<uint32_t>(input.size()));
    ssh_channel_send_eof(ch);
  }
  char buf[4096];
  // A refused exec leaves the channel open with nothing more to come: read briefly.
  int timeout_ms = r.exec_accepted ? 10000 : 1000;
  for (int is_stderr : {0, 1}) {
    int n;
    while ((n = ssh_channel_read_timeout(ch, buf, sizeof buf, is_stderr, timeout_ms)) > 0)
      (is_stderr ? r.err : r.out).append(buf, static_cast<size_t>(n));
  }
  r.exit_status = ssh_channel_get_exit_status(ch);
  ssh_channel_close(ch);
  ssh_channel_free(ch);
  return r;
}

namespace {

class ListHandler : public Poco::Net::HTTPRequestHandler {
 public:
  ListHandler(int containers, int volumes, std::atomic<int>& requests)
      : containers_(containers), volumes_(volumes), requests_(requests) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    ++requests_;
    if (req.getURI() == "/echo") {
      // Sends the request body back: the stress test's way to move large payloads both ways.
      std::string in(std::istreambuf_iterator<char>(req.stream()), {});
      resp.setContentType("application/octet-stream");
      resp.setContentLength(static_cast<std::streamsize>(in.size()));
      resp.send() << in;
      return;
    }
    nlohmann::json body;
    if (req.getURI() == "/containers") {
      body = {{"Handles", nlohmann::json::array()}};
      for (int i = 0; i < containers_; ++i)
        body["Handles"].push_back("c" + std::to_string(i));
    } else if (req.getURI() == "/volumes") {
      body = nlohmann::json::array();
      for (int i = 0; i < volumes_; ++i)
        body.push_back({{"handle", "v" + std::to_string(i)}, {"path", "/x"}});
    } else {
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
      resp.send();
      return;
    }
    std::string out = body.dump();
    resp.setContentType("application/json");
    resp.setContentLength(static_cast<std::streamsize>(out.size()));
    resp.send() << out;
  }

 private:
  int containers_, volumes_;
  std::atomic<int>& requests_;
};

class ListFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  ListFactory(int c, int v, std::atomic<int>& r) : c_(c), v_(v), r_(r) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new ListHandler(c_, v_, r_);
  }

 private:
  int c_, v_;
  std::atomic<int>& r_;
};

}  // namespace

struct FakeWorkerServer::Impl {
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

FakeWorkerServer::FakeWorkerServer(int containers, int volumes) : impl_(std::make_unique<Impl>()) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(false);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(
      new ListFactory(containers, volumes, requests_), socket, params);
  impl_->server->start();
}

FakeWorkerServer::~FakeWorkerServer() {
  impl_->server->stopAll(true);
}

uint16_t FakeWorkerServer::port() const {
  return impl_->server->port();
}

}  // namespace concourse::tsa::testing
