// The HTTP/1.1 server: N IO threads, each with its own io_context and SO_REUSEPORT acceptor, serving
// keep-alive and pipelined connections through the Pipeline. Beast and Asio stay inside server.cpp.
//
// Thread safety: Start, BeginDrain, WaitDrained and Stop are called from one control thread (main).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "http/pipeline.hpp"

namespace prometheus {
class Gauge;
}  // namespace prometheus

namespace keel::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port; Port() tells which
  int io_threads = 1;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds body_timeout{60000};
  std::chrono::milliseconds write_timeout{60000};
  std::size_t max_header_bytes = 16384;
};

class Server {
 public:
  // Counts its connections, open and parked (idle, holding no read buffer), in `metrics`.
  Server(ServerOptions options, Pipeline& pipeline, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every acceptor (failing when another process holds the port) and starts the IO threads.
  Result<void> Start();
  std::uint16_t Port() const { return port_; }

  // Stops accepting and closes idle connections; requests in progress finish and their connections close.
  void BeginDrain();
  // Waits until every connection is closed; false when the timeout passed first.
  bool WaitDrained(std::chrono::milliseconds timeout);
  // Stops and joins the IO threads. The io_contexts stay until the Server is destroyed, so threads of other
  // pools that still post completions into them post into a stopped, not a destroyed, io_context. Idempotent.
  void Stop();

  std::size_t Connections() const;

 private:
  struct IoThread;
  class Connection;

  const ServerOptions options_;
  Pipeline& pipeline_;
  prometheus::Gauge& open_connections_;
  prometheus::Gauge& parked_connections_;
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<IoThread>> threads_;
};

}  // namespace keel::http
