#include "worker/baggageclaim/streaming.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "core/archive/archive.hpp"
#include "core/error.hpp"

namespace concourse::worker::baggageclaim {
namespace archive = core::archive;
using core::Error;

namespace {

archive::Encoding encoding_or_throw(const std::string& name) {
  auto e = archive::parse_encoding(name);
  if (!e)
    throw Error(CC_E_INVALID, "unsupported stream encoding: " + name);
  return *e;
}

// Accept-Encoding may list several; the first one we know wins, absent means raw.
archive::Encoding accepted_encoding(const std::string& header) {
  if (header.empty())
    return archive::Encoding::Raw;
  std::istringstream in(header);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item = item.substr(0, item.find(';'));
    while (!item.empty() && item.back() == ' ')
      item.pop_back();
    if (auto e = archive::parse_encoding(item))
      return *e;
  }
  throw Error(CC_E_INVALID, "unsupported stream encoding: " + header);
}

// Directories stream their contents ("./..."); a file streams as itself.
std::string tar_source(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    throw Error(CC_E_NOT_FOUND, "no such path in volume");
  return S_ISDIR(st.st_mode) ? path + "/" : path;
}

}  // namespace

std::string path_in_volume(const Volume& v, const std::string& sub) {
  std::string out = v.path;
  std::istringstream in(sub);
  std::string comp;
  int depth = 0;
  while (std::getline(in, comp, '/')) {
    if (comp.empty() || comp == ".")
      continue;
    if (comp == "..") {
      if (--depth < 0)
        throw Error(CC_E_INVALID, "path escapes the volume: " + sub);
      out = out.substr(0, out.rfind('/'));
      continue;
    }
    ++depth;
    out += "/" + comp;
  }
  return out;
}

void stream_in(const Volume& v, Poco::Net::HTTPServerRequest& req,
               Poco::Net::HTTPServerResponse& resp, const std::string& sub, uint64_t limit_bytes) {
  archive::ExtractOptions o;
  o.encoding = encoding_or_throw(req.get("Content-Encoding", ""));
  o.max_bytes = limit_bytes;
  o.preserve_owner = ::geteuid() == 0;
  std::string dest = path_in_volume(v, sub);
  std::filesystem::create_directories(dest);
  std::istream& body = req.stream();
  archive::extract_stream(
      [&body](char* buf, size_t n) {
        body.read(buf, static_cast<std::streamsize>(n));
        return static_cast<size_t>(body.gcount());
      },
      dest, o);
  resp.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
  resp.send();
}

void stream_out(const Volume& v, Poco::Net::HTTPServerRequest& req,
                Poco::Net::HTTPServerResponse& resp, const std::string& sub) {
  auto enc = accepted_encoding(req.get("Accept-Encoding", ""));
  std::string source = tar_source(path_in_volume(v, sub));
  // Take the connection over: the archive goes straight from libarchive onto the socket, with no
  // chunking and no copy through a stream buffer. Connection: close marks its end.
  auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req);
  Poco::Net::StreamSocket socket = impl.detachSocket();
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n";
  if (enc != archive::Encoding::Raw)
    head += std::string("Content-Encoding: ") + archive::encoding_name(enc) + "\r\n";
  head += "Connection: close\r\n\r\n";
  socket.sendBytes(head.data(), static_cast<int>(head.size()));
  (void)resp;
  try {
    archive::create_fd(source, socket.impl()->sockfd(), {enc, {}});
  } catch (const std::exception&) {
    // The head is gone already; a truncated stream is how the client learns.
  }
  socket.shutdownSend();
}

void stream_p2p_out(const Volume& v, Poco::Net::HTTPServerResponse& resp, const std::string& sub,
                    const std::string& url, const std::string& encoding) {
  auto enc = encoding_or_throw(encoding);
  std::string source = tar_source(path_in_volume(v, sub));
  Poco::URI uri(url);
  if (uri.getScheme() != "http")
    throw Error(CC_E_INVALID, "streamInURL must be http://");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw Error(CC_E_INTERNAL, "pipe failed");
  std::string producer_error;
  std::thread producer([&] {
    try {
      archive::create_fd(source, fds[1], {enc, {}});
    } catch (const std::exception& e) {
      producer_error = e.what();
    }
    ::close(fds[1]);
  });
  int status = 0;
  std::string reply;
  try {
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    Poco::Net::HTTPRequest out(Poco::Net::HTTPRequest::HTTP_PUT, uri.getPathAndQuery(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    out.setChunkedTransferEncoding(true);
    if (enc != archive::Encoding::Raw)
      out.set("Content-Encoding", archive::encoding_name(enc));
    std::ostream& body = session.sendRequest(out);
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
      body.write(buf, n);
    Poco::Net::HTTPResponse in;
    std::istream& rs = session.receiveResponse(in);
    status = in.getStatus();
    std::getline(rs, reply, '\0');
  } catch (const std::exception& e) {
    reply = e.what();
  }
  // Drain so the producer can finish even if the peer went away.
  char sink[4096];
  while (::read(fds[0], sink, sizeof sink) > 0) {
  }
  producer.join();
  ::close(fds[0]);
  if (status < 200 || status >= 300 || !producer_error.empty()) {
    throw Error(CC_E_UNAVAILABLE, "stream to " + url + " failed: " +
                                      (producer_error.empty() ? reply : producer_error));
  }
  resp.setContentType("text/plain");
  resp.send() << "ok\n";
}

std::string p2p_url(const std::string& pattern, int family, uint16_t port) {
  std::regex re(pattern);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    throw Error(CC_E_INTERNAL, "list interfaces failed");
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || !std::regex_search(a->ifa_name, re))
      continue;
    char ip[INET6_ADDRSTRLEN] = {};
    if (family == 4 && a->ifa_addr->sa_family == AF_INET) {
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, ip, sizeof ip);
      found = ip;
    } else if (family == 6 && a->ifa_addr->sa_family == AF_INET6) {
      ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, ip,
                  sizeof ip);
      found = std::string("[") + ip + "]";
    }
  }
  ::freeifaddrs(list);
  if (found.empty()) {
    throw Error(CC_E_NOT_FOUND, "no IPv" + std::to_string(family) +
                                    " address on an interface matching '" + pattern + "'");
  }
  return "http://" + found + ":" + std::to_string(port);
}

}  // namespace concourse::worker::baggageclaim
