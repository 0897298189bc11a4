#pragma once
// Helpers for request bodies shared by every Poco HTTP server we run (Garden, Baggageclaim, ATC).

#include <Poco/Net/HTTPServerRequest.h>

#include <cstddef>
#include <string>

namespace concourse::http {

// Reads and discards what is left of a request body, up to max_bytes. A server that answers an
// error before the client finished sending would otherwise close on unread data, the kernel
// resets the connection and the client never sees the answer. Returns true when the body ended.
bool drain_request_body(Poco::Net::HTTPServerRequest& req, std::size_t max_bytes) noexcept;

// Reads a whole body, refusing more than max_bytes with std::length_error.
std::string read_request_body(Poco::Net::HTTPServerRequest& req, std::size_t max_bytes);

}  // namespace concourse::http
