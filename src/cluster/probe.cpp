// HttpStatus, RedisAnswers and PostgresAnswers over plain blocking sockets and libpq's PQping.
#include "cluster/probe.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <libpq-fe.h>

namespace keel::cluster {

namespace {

// Sends request to 127.0.0.1:port and returns what came back before the peer closed, `enough` was read, or
// the timeout passed.
std::string Exchange(int port, std::string_view request, std::string_view enough,
                     std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[512];
    while (reply.find(enough) == std::string::npos) {
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

}  // namespace

int HttpStatus(int port, const std::string& path, std::chrono::milliseconds timeout) {
  std::string reply =
      Exchange(port, fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path),
               "\r\n", timeout);
  // "HTTP/1.1 200 OK"
  if (reply.size() < 12 || reply.compare(0, 5, "HTTP/") != 0) return 0;
  auto space = reply.find(' ');
  if (space == std::string::npos) return 0;
  return std::atoi(reply.c_str() + space + 1);
}

bool RedisAnswers(int port, std::chrono::milliseconds timeout) {
  return Exchange(port, "PING\r\n", "\r\n", timeout).starts_with("+PONG");
}

std::string RedisReplyTo(int port, const std::string& command, const std::string& enough,
                         std::chrono::milliseconds timeout) {
  return Exchange(port, command + "\r\n", enough, timeout);
}

bool PostgresAnswers(const std::string& conninfo) { return PQping(conninfo.c_str()) == PQPING_OK; }

}  // namespace keel::cluster
