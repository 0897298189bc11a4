#include "worker/beacon/tsa_client.hpp"

#include "core/error.hpp"
#include "tsa/keys.hpp"

namespace concourse::worker::beacon {

void SessionDeleter::operator()(ssh_session s) const noexcept {
  if (ssh_is_connected(s))
    ssh_disconnect(s);
  ssh_free(s);
}

namespace {

void verify_host_key(ssh_session s, const BeaconOptions& options, const std::string& host) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(s, &raw) != SSH_OK)
    throw core::Error(CC_E_UNAVAILABLE, "tsa " + host + ": no host key");
  tsa::KeyPtr key(raw);
  auto accepted = tsa::load_authorized_keys(options.tsa_public_key);
  if (!tsa::contains_key(accepted, key.get())) {
    throw core::Error(CC_E_PERMISSION,
                      "tsa " + host + ": host key is not in " + options.tsa_public_key);
  }
}

}  // namespace

SessionPtr dial_tsa(const BeaconOptions& options, const std::string& host_port) {
  auto colon = host_port.rfind(':');
  std::string host = colon == std::string::npos ? host_port : host_port.substr(0, colon);
  unsigned int port = colon == std::string::npos ? 2222 : std::stoul(host_port.substr(colon + 1));
  SessionPtr s(ssh_new());
  bool no = false;
  long timeout = 10;
  ssh_options_set(s.get(), SSH_OPTIONS_HOST, host.c_str());
  ssh_options_set(s.get(), SSH_OPTIONS_PORT, &port);
  ssh_options_set(s.get(), SSH_OPTIONS_USER, "beacon");
  ssh_options_set(s.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &timeout);
  // The tunnel carries the ATC's request/response traffic: Nagle would delay each reply 40 ms.
  int nodelay = 1;
  ssh_options_set(s.get(), SSH_OPTIONS_NODELAY, &nodelay);
  ssh_options_set(s.get(), SSH_OPTIONS_HOSTKEYS, "rsa-sha2-512,rsa-sha2-256");
  if (ssh_connect(s.get()) != SSH_OK) {
    throw core::Error(CC_E_UNAVAILABLE,
                      "tsa " + host_port + ": " + std::string(ssh_get_error(s.get())));
  }
  verify_host_key(s.get(), options, host_port);
  auto key = tsa::load_private_key(options.worker_private_key);
  // "none" first: it waits for the service accept, by which time the server's EXT_INFO has
  // arrived and libssh signs with rsa-sha2-* rather than the refused ssh-rsa.
  ssh_userauth_none(s.get(), nullptr);
  if (ssh_userauth_publickey(s.get(), nullptr, key.get()) != SSH_AUTH_SUCCESS) {
    throw core::Error(CC_E_UNAVAILABLE,
                      "tsa " + host_port + ": worker key refused: " + ssh_get_error(s.get()));
  }
  return s;
}

CommandOutput run_on(ssh_session session, const std::string& command, const std::string& input) {
  ssh_channel ch = ssh_channel_new(session);
  if (ch == nullptr || ssh_channel_open_session(ch) != SSH_OK) {
    if (ch != nullptr)
      ssh_channel_free(ch);
    throw core::Error(CC_E_UNAVAILABLE, "tsa: cannot open a session channel");
  }
  CommandOutput r;
  if (ssh_channel_request_exec(ch, command.c_str()) != SSH_OK) {
    ssh_channel_free(ch);
    throw core::Error(CC_E_INVALID, "tsa refused command '" + command + "'");
  }
  ssh_channel_write(ch, input.data(), static_cast<uint32_t>(input.size()));
  ssh_channel_send_eof(ch);
  char buf[16 * 1024];
  // Stdout to EOF first; libssh buffers stderr meanwhile, and it is one line at most.
  for (int is_stderr : {0, 1}) {
    int n;
    while ((n = ssh_channel_read(ch, buf, sizeof buf, is_stderr)) > 0)
      (is_stderr ? r.err : r.out).append(buf, static_cast<size_t>(n));
  }
  r.exit_status = ssh_channel_get_exit_status(ch);
  ssh_channel_close(ch);
  ssh_channel_free(ch);
  return r;
}

}  // namespace concourse::worker::beacon
