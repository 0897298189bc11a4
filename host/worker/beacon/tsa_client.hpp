// Dialing the TSA: TCP + SSH handshake, host key checked against --tsa-public-key (the host
// name is not), public-key auth with the worker key; and one command run to completion.
#pragma once

#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <type_traits>

#include "worker/beacon/beacon.hpp"

namespace concourse::worker::beacon {

struct SessionDeleter {
  void operator()(ssh_session s) const noexcept;
};
using SessionPtr = std::unique_ptr<std::remove_pointer_t<ssh_session>, SessionDeleter>;

// Throws core::Error(CC_E_UNAVAILABLE) when the host cannot be reached or refuses the key,
// CC_E_PERMISSION when the host key is not one of the accepted ones.
SessionPtr dial_tsa(const BeaconOptions& options, const std::string& host_port);

struct CommandOutput {
  int exit_status = -1;
  std::string out, err;
};

// Runs command on session with input on stdin (then EOF), to the channel's close.
CommandOutput run_on(ssh_session session, const std::string& command, const std::string& input);

}  // namespace concourse::worker::beacon
