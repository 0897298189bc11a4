// Tar streams in and out of volumes over HTTP: stream-in from the request body, stream-out
// straight onto the detached socket, and p2p-out into another worker's stream-in.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

#include "worker/baggageclaim/volume_store.hpp"

namespace concourse::worker::baggageclaim {

// `sub` inside the volume's data dir; ".." that escapes is CC_E_INVALID.
std::string path_in_volume(const Volume& v, const std::string& sub);

void stream_in(const Volume& v, Poco::Net::HTTPServerRequest& req,
               Poco::Net::HTTPServerResponse& resp, const std::string& sub, uint64_t limit_bytes);
void stream_out(const Volume& v, Poco::Net::HTTPServerRequest& req,
                Poco::Net::HTTPServerResponse& resp, const std::string& sub);
void stream_p2p_out(const Volume& v, Poco::Net::HTTPServerResponse& resp, const std::string& sub,
                    const std::string& url, const std::string& encoding);
// http://<first address of the matching interface>:<port>
std::string p2p_url(const std::string& pattern, int family, uint16_t port);

}  // namespace concourse::worker::baggageclaim
