// The two kinds of hijacked process connections (garden/server/request_handling.go streamInput /
// streamProcess, garden/server/streamer):
//  - control (Run 201 / Attach 200): newline-delimited JSON frames both ways; the last frame
//    carries the exit status, sent only once the stream's attached outputs are drained;
//  - output (.../attaches/:streamid/stdout|stderr, 200): raw bytes until EOF.
#pragma once

#include <memory>
#include <string>

#include "core/log.hpp"
#include "worker/garden/process_table.hpp"
#include "worker/garden/runtime_client.hpp"

namespace concourse::worker::garden {

void serve_control(ProcessTable& table, RuntimeClient& runtime, int fd,
                   const std::shared_ptr<Stream>& stream, std::string leftover, int status,
                   const concourse::log::Logger& log);

// stream may be null (unknown stream id): Garden answers 200 and closes, and so do we.
void serve_output(ProcessTable& table, int fd, const std::shared_ptr<Stream>& stream, int channel);

}  // namespace concourse::worker::garden
