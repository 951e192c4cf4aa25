// The server's network side: acceptors, the per-connection read/handle/write loop, timeouts and draining.
//
// Timeouts use a per-thread sweep rather than a timer per operation: each connection records its phase and
// deadline (two stores), and a 250 ms sweep cancels the socket of any connection past its deadline. That
// keeps timer bookkeeping off the hot path of every read and write.
//
// The same sweep parks connections idle for a second: their pending read is cancelled, the read buffer goes
// back (read_buffer.hpp) and a wait for readability, which needs no buffer, replaces the read. A busy
// connection keeps its buffer and reads as before (a read that finds nothing costs no more than a failing
// recv); only an idle one pays the epoll_ctl of a wait, once. Waiting without a buffer after every request
// cost 15% of /health.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "http/server.hpp"

#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <ctime>
#include <limits>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <prometheus/gauge.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "core/log.hpp"
#include "http/problem.hpp"
#include "http/request_reader.hpp"

namespace keel::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

constexpr auto kSweepPeriod = std::chrono::milliseconds(250);
constexpr auto kParkAfter = std::chrono::seconds(1);
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::size_t kReadSize = kReadBufferSize;
constexpr std::size_t kStreamReadSize = 65536;  // streamed bodies are uploads: fewer, larger reads

// What a connection is waiting for; decides which timeout applies and what a timeout means.
enum class Phase { kIdle, kHead, kBody, kHandling, kWriting, kLinger };

// "Date" header value, formatted once per second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[64];
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return text;
}

bool SafeHeaderText(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

std::string SerializeHead(const Response& response, bool keep_alive, bool http10,
                          std::size_t content_length) {
  std::string head;
  head.reserve(160 + response.headers.size() * 48);
  fmt::format_to(std::back_inserter(head), "HTTP/1.1 {} {}\r\n", response.status,
                 ReasonPhrase(response.status));
  for (const auto& [name, value] : response.headers) {
    if (!SafeHeaderText(name) || !SafeHeaderText(value)) continue;  // never let a value split the response
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  if (response.stream && !response.stream_length) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (!bodiless) {
    fmt::format_to(std::back_inserter(head), "Content-Length: {}\r\n",
                   response.stream_length.value_or(content_length));
  }
  head += "Date: ";
  head += HttpDate();
  head += "\r\n";
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace

// Per-IO-thread state. Members are touched only on the thread's own io_context, except the atomics.
// Declaration order matters: io objects must be destroyed before the io_context, and `connections` after it
// (destroying the io_context destroys suspended coroutines, which unregister themselves).
struct Server::IoThread {
  std::unordered_set<Connection*> connections;
  std::atomic<std::size_t> connection_count{0};
  bool draining = false;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer sweep{io};
  std::thread thread;
};

class Server::Connection {
 public:
  Connection(Server& server, IoThread& thread, tcp::socket socket)
      : server_(server), thread_(thread), socket_(std::move(socket)) {
    thread_.connections.insert(this);
    thread_.connection_count.fetch_add(1, std::memory_order_relaxed);
    server_.open_connections_.Increment();
    boost::system::error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~Connection() {
    thread_.connections.erase(this);
    thread_.connection_count.fetch_sub(1, std::memory_order_relaxed);
    server_.open_connections_.Decrement();
    if (parked_) server_.parked_connections_.Decrement();
  }

  asio::awaitable<void> Run();

  // Called by the sweep: cancels the pending operation of a connection past its deadline.
  // A connection idle for kParkAfter is asked to park (see the top of this file) the same way.
  void CheckDeadline(SteadyTime now) {
    if (phase_ == Phase::kIdle && !parked_ && !park_ && now - entered_ >= kParkAfter) {
      park_ = true;
      boost::system::error_code ec;
      socket_.cancel(ec);
    }
    if (phase_ == Phase::kHandling || timed_out_ || now < deadline_) return;
    timed_out_ = true;
    boost::system::error_code ec;
    socket_.cancel(ec);
  }
  // Called when draining: closes connections that are between requests.
  void CloseIfIdle() {
    if (phase_ != Phase::kIdle) return;
    boost::system::error_code ec;
    socket_.cancel(ec);
  }

 private:
  void Enter(Phase phase, std::chrono::milliseconds timeout) {
    phase_ = phase;
    entered_ = std::chrono::steady_clock::now();
    deadline_ = entered_ + timeout;
    timed_out_ = false;
    park_ = false;
  }
  asio::awaitable<bool> ReadIdle(FlatBuffer& buffer);
  asio::awaitable<bool> Write(Response& response, bool head_only, bool keep_alive, bool http10);
  asio::awaitable<void> Stream(Response& response);
  asio::awaitable<bool> StreamSized(Response& response, bool keep_alive, bool http10);
  asio::awaitable<bool> ReadMore(FlatBuffer& buffer, std::size_t size = kReadSize);
  asio::awaitable<bool> SendContinue(const Request& request);
  // Answers a request the server refuses itself; the caller then closes the connection.
  asio::awaitable<void> Refuse(FlatBuffer& buffer, Request& request, int status, std::string_view detail);
  asio::awaitable<void> Refuse(FlatBuffer& buffer, Request& request, const Refusal& refusal) {
    return Refuse(buffer, request, refusal.status, refusal.detail);  // the reader outlives the answer
  }
  asio::awaitable<void> LingeringClose(FlatBuffer& buffer);

  class StreamedBody;

  Server& server_;
  IoThread& thread_;
  tcp::socket socket_;
  std::string remote_;
  Phase phase_ = Phase::kIdle;
  SteadyTime entered_{};
  SteadyTime deadline_{};
  bool timed_out_ = false;
  bool park_ = false;    // the sweep cancelled the idle read to park the connection
  bool parked_ = false;  // waiting without a buffer
};

// The body of a streamed-body request, read from the connection as the handler asks for it. Expect:
// 100-continue is answered on the first read, so a request refused before its handler (401, 429) never
// invites the body.
class Server::Connection::StreamedBody final : public BodyStream {
 public:
  StreamedBody(Connection& connection, FlatBuffer& buffer, RequestReader& reader, const Request& request,
               std::size_t limit)
      : connection_(connection), buffer_(buffer), reader_(reader), request_(request), limit_(limit) {}

  Task<Result<std::string>> Next() override {
    if (complete_) co_return std::string();
    if (failed_) co_return Error{ErrorCode::kInvalidArgument, "the request body could not be read"};
    if (!started_) {
      started_ = true;
      if (!co_await connection_.SendContinue(request_)) co_return Fail(false);
    }
    std::string piece;
    bool end_of_input = false;
    for (;;) {
      ReadStep step = reader_.ReadBodyPiece(buffer_, limit_, piece, end_of_input);
      if (step == ReadStep::kDone) {
        complete_ = true;
        co_return piece;  // may be empty: then it is the end
      }
      if (step == ReadStep::kRefused) {
        refusal_ = reader_.refusal();
        co_return Fail(true);
      }
      if (step == ReadStep::kClosed) co_return Fail(false);
      if (!piece.empty()) co_return piece;
      connection_.Enter(Phase::kBody, connection_.server_.options_.body_timeout);
      bool more = co_await connection_.ReadMore(buffer_, kStreamReadSize);
      connection_.phase_ = Phase::kHandling;  // the handler's own work between reads is not a stalled client
      if (!more && connection_.timed_out_) {
        refusal_ = Refusal{408, "the request body did not arrive in time"};
        co_return Fail(true);
      }
      end_of_input = !more;
    }
  }
  bool Complete() const override { return complete_; }
  bool Failed() const override { return failed_; }

  // What the server answers instead of the handler when the body failed; nullopt when the client left.
  const std::optional<Refusal>& refusal() const { return refusal_; }

 private:
  Error Fail(bool answerable) {
    failed_ = true;
    if (!answerable) refusal_.reset();
    return Error{ErrorCode::kInvalidArgument,
                 refusal_ ? refusal_->detail : std::string("the client stopped sending the request body")};
  }

  Connection& connection_;
  FlatBuffer& buffer_;
  RequestReader& reader_;
  const Request& request_;
  const std::size_t limit_;
  bool started_ = false;
  bool complete_ = false;
  bool failed_ = false;
  std::optional<Refusal> refusal_;
};

asio::awaitable<void> Server::Connection::Run() {
  const ServerOptions& options = server_.options_;
  FlatBuffer buffer;
  RequestReader reader(options.max_header_bytes);
  bool first_request = true;

  for (;;) {
    reader.Begin();
    if (buffer.size() == 0) {
      // New connections get the header timeout (a client that connects and says nothing is a slow client);
      // kept-alive ones get the idle timeout.
      Enter(Phase::kIdle, first_request ? options.header_timeout : options.idle_timeout);
      if (thread_.draining) break;
      if (!co_await ReadIdle(buffer)) break;
    }
    first_request = false;

    Enter(Phase::kHead, options.header_timeout);
    Request request;
    request.received_at = std::chrono::steady_clock::now();
    request.remote_address = remote_;
    ReadStep step = reader.ReadHead(buffer);
    while (step == ReadStep::kNeedMore) {
      bool more = co_await ReadMore(buffer);
      if (!more && timed_out_) {
        co_await Refuse(buffer, request, 408, "the request head did not arrive in time");
        break;
      }
      step = reader.ReadHead(buffer, !more);
    }
    if (step == ReadStep::kRefused) co_await Refuse(buffer, request, reader.refusal());
    if (step != ReadStep::kDone) break;

    request = reader.TakeHead();
    request.received_at = std::chrono::steady_clock::now();
    request.remote_address = remote_;
    const bool http10 = reader.Http10();
    RouteMatch match = server_.pipeline_.Route(request);
    const std::size_t limit = server_.pipeline_.BodyLimit(match);
    const bool streamed = match.route != nullptr && match.route->options.streamed_body;
    std::optional<StreamedBody> streamed_body;

    if (reader.BodyFollows()) {
      if (auto length = reader.ContentLength(); length && *length > limit) {
        if (!match.pattern.empty()) request.route = match.pattern;
        // Named, not a temporary in the co_await: g++ 12 destroyed it twice.
        std::string too_large = fmt::format("the request body is over this route's limit of {} bytes", limit);
        co_await Refuse(buffer, request, 413, too_large);
        break;
      }
      if (streamed) {
        streamed_body.emplace(*this, buffer, reader, request, limit);
        request.body_stream = &*streamed_body;
      }
    }
    if (reader.BodyFollows() && !streamed) {
      if (!co_await SendContinue(request)) break;
      Enter(Phase::kBody, options.body_timeout);
      step = reader.ReadBody(buffer, limit);
      while (step == ReadStep::kNeedMore) {
        bool more = co_await ReadMore(buffer);
        if (!more && timed_out_) {
          co_await Refuse(buffer, request, 408, "the request body did not arrive in time");
          break;
        }
        step = reader.ReadBody(buffer, limit, !more);
      }
      if (step == ReadStep::kRefused) {
        if (!match.pattern.empty()) request.route = match.pattern;
        co_await Refuse(buffer, request, reader.refusal());
      }
      if (step != ReadStep::kDone) break;
    }
    if (!streamed) request.body = reader.TakeBody();
    bool keep_alive = reader.KeepAlive();

    phase_ = Phase::kHandling;
    Response response = co_await server_.pipeline_.Handle(request, std::move(match));
    if (streamed_body) {
      if (streamed_body->Failed()) {
        // The body was malformed, too large or too slow: that is the answer, whatever the handler made of it.
        if (streamed_body->refusal()) co_await Refuse(buffer, request, *streamed_body->refusal());
        break;
      }
      if (!streamed_body->Complete()) {
        // Answered before reading all of the body (refused by auth, say): the rest is not worth reading, and
        // closing with it unread would reset the connection under the answer.
        if (co_await Write(response, request.method == "HEAD", false, http10))
          co_await LingeringClose(buffer);
        break;
      }
    }
    const bool sized_stream = response.stream && response.stream_length;
    keep_alive = keep_alive && !response.close && !thread_.draining && (!response.stream || sized_stream);
    if (sized_stream && request.method != "HEAD") {
      if (!co_await StreamSized(response, keep_alive, http10) || !keep_alive) break;
      continue;
    }
    if (response.stream && !sized_stream && request.method != "HEAD" && !http10) {
      co_await Stream(response);
      break;
    }
    if (!co_await Write(response, request.method == "HEAD", keep_alive, http10) || !keep_alive) break;
  }
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

// Reads what has arrived into the buffer; false at the end of input, on a timeout (timed_out_) or an error.
asio::awaitable<bool> Server::Connection::ReadMore(FlatBuffer& buffer, std::size_t size) {
  boost::system::error_code ec;
  std::size_t n =
      co_await socket_.async_read_some(buffer.prepare(size), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  buffer.commit(n);
  co_return true;
}

// Reads the first bytes of the next request; false at the end of input, on a timeout, an error or a drain.
// When the sweep parks the connection, the read buffer is freed and the wait goes on without one.
asio::awaitable<bool> Server::Connection::ReadIdle(FlatBuffer& buffer) {
  if (co_await ReadMore(buffer)) co_return true;
  if (!park_ || timed_out_ || thread_.draining) co_return false;
  parked_ = true;
  server_.parked_connections_.Increment();
  buffer.shrink_to_fit();
  boost::system::error_code ec;
  co_await socket_.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  parked_ = false;
  server_.parked_connections_.Decrement();
  if (ec) co_return false;
  co_return co_await ReadMore(buffer);
}

// Answers Expect: 100-continue, when the client asked for it; false when the connection failed.
asio::awaitable<bool> Server::Connection::SendContinue(const Request& request) {
  auto expect = request.headers.Get("Expect");
  if (!expect || !EqualsIgnoreCase(*expect, "100-continue")) co_return true;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  Enter(Phase::kWriting, server_.options_.write_timeout);
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(kContinue), asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

asio::awaitable<bool> Server::Connection::Write(Response& response, bool head_only, bool keep_alive,
                                                bool http10) {
  Enter(Phase::kWriting, server_.options_.write_timeout);
  std::string head = SerializeHead(response, keep_alive, http10, response.body.size());
  bool send_body = !head_only && !response.body.empty() && response.status >= 200 && response.status != 204 &&
                   response.status != 304;
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                            send_body ? asio::buffer(response.body) : asio::const_buffer()};
  boost::system::error_code ec;
  co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

asio::awaitable<void> Server::Connection::Stream(Response& response) {
  if (!co_await Write(response, true, false, false)) co_return;
  boost::system::error_code ec;
  while (!thread_.draining) {
    phase_ = Phase::kHandling;  // waiting for the producer is not a stalled write
    auto chunk = co_await response.stream();
    if (!chunk) break;
    if (chunk->empty()) continue;
    Enter(Phase::kWriting, server_.options_.write_timeout);
    std::string frame = fmt::format("{:x}\r\n", chunk->size());
    std::array<asio::const_buffer, 3> buffers{asio::buffer(frame), asio::buffer(*chunk),
                                              asio::buffer("\r\n", 2)};
    co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
  Enter(Phase::kWriting, server_.options_.write_timeout);
  co_await asio::async_write(socket_, asio::buffer("0\r\n\r\n", 5),
                             asio::redirect_error(asio::use_awaitable, ec));
}

// A streamed body of known length (a file): the pieces go out as they are, framed by Content-Length. False
// when the connection failed or the producer stopped short (the connection must then close).
asio::awaitable<bool> Server::Connection::StreamSized(Response& response, bool keep_alive, bool http10) {
  if (!co_await Write(response, true, keep_alive, http10)) co_return false;
  std::uint64_t left = *response.stream_length;
  boost::system::error_code ec;
  while (left > 0 && !thread_.draining) {
    phase_ = Phase::kHandling;
    auto piece = co_await response.stream();
    if (!piece || piece->size() > left) co_return false;
    Enter(Phase::kWriting, server_.options_.write_timeout);
    co_await asio::async_write(socket_, asio::buffer(*piece), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    left -= piece->size();
  }
  co_return left == 0;
}

asio::awaitable<void> Server::Connection::Refuse(FlatBuffer& buffer, Request& request, int status,
                                                 std::string_view detail) {
  Response response = server_.pipeline_.Finish(request, Problem(status, detail));
  if (status == 405) response.headers.Add("Allow", "");  // CONNECT: no method is allowed on it
  if (co_await Write(response, false, false, false)) co_await LingeringClose(buffer);
}

// After refusing a request whose body is still arriving, read and drop input for a short while before
// closing: closing with unread data makes the kernel send RST, which can destroy the error response in
// flight.
asio::awaitable<void> Server::Connection::LingeringClose(FlatBuffer& buffer) {
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  Enter(Phase::kLinger, std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
  std::size_t drained = 0;
  while (!ec && drained < kLingerBytes) {
    buffer.clear();
    drained += co_await socket_.async_read_some(buffer.prepare(65536),
                                                asio::redirect_error(asio::use_awaitable, ec));
  }
}

namespace {

prometheus::Family<prometheus::Gauge>& ConnectionsFamily(Metrics& metrics) {
  return prometheus::BuildGauge()
      .Name("keel_http_connections")
      .Help(
          "Client connections held open, by state: open (all of them), parked (idle for a second, holding no "
          "read buffer).")
      .Register(metrics.registry());
}

}  // namespace

Server::Server(ServerOptions options, Pipeline& pipeline, Metrics& metrics)
    : options_(std::move(options)),
      pipeline_(pipeline),
      open_connections_(ConnectionsFamily(metrics).Add({{"state", "open"}})),
      parked_connections_(ConnectionsFamily(metrics).Add({{"state", "parked"}})) {}

Server::~Server() {
  Stop();
  threads_.clear();  // destroys the io_contexts, and with them any coroutine still suspended
}

namespace {

asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, std::function<void(tcp::socket)> serve) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of file descriptors and the like: back off briefly instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    serve(std::move(socket));
  }
}

void LogEscaped(std::exception_ptr error, const char* what) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::Error(what, log::Fields().Add("error", e.what()));
  } catch (...) {
    log::Error(what);
  }
}

}  // namespace

Result<void> Server::Start() {
  boost::system::error_code ec;
  asio::io_context resolver_io;
  tcp::resolver resolver(resolver_io);
  auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty())
    return Error{ErrorCode::kInvalidArgument, fmt::format("server.host {}: {}", options_.host, ec.message())};
  tcp::endpoint endpoint = endpoints.begin()->endpoint();

  // Probe without SO_REUSEPORT, so a second Keel on the same port fails here instead of silently sharing it.
  {
    tcp::acceptor probe(resolver_io);
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec)
      return Error{ErrorCode::kUnavailable,
                   fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, ec.message())};
    endpoint.port(probe.local_endpoint().port());
  }
  port_ = endpoint.port();

  const int count = std::max(1, options_.io_threads);
  for (int i = 0; i < count; ++i) {
    auto thread = std::make_unique<IoThread>();
    auto& acceptor = thread->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.set_option(ReusePort(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      Stop();
      return Error{ErrorCode::kUnavailable, fmt::format("cannot listen on port {}: {}", port_, ec.message())};
    }
    threads_.push_back(std::move(thread));
  }

  for (std::size_t i = 0; i < threads_.size(); ++i) {
    IoThread& t = *threads_[i];
    auto serve = [this, &t](tcp::socket socket) {
      auto connection = std::make_shared<Connection>(*this, t, std::move(socket));
      asio::co_spawn(
          t.io, [connection]() { return connection->Run(); },
          [](std::exception_ptr error) { LogEscaped(error, "connection failed"); });
    };
    asio::co_spawn(t.io, AcceptLoop(t.acceptor, serve),
                   [](std::exception_ptr error) { LogEscaped(error, "accept loop failed"); });
    auto sweep = [&t](auto& self) -> void {
      t.sweep.expires_after(kSweepPeriod);
      t.sweep.async_wait([&t, self](const boost::system::error_code& error) {
        if (error) return;
        auto now = std::chrono::steady_clock::now();
        // Collect first: a cancelled connection may finish and unregister while we iterate.
        std::vector<Connection*> snapshot(t.connections.begin(), t.connections.end());
        for (Connection* c : snapshot) c->CheckDeadline(now);
        self(self);
      });
    };
    sweep(sweep);
    t.thread = std::thread([&t, i] {
      pthread_setname_np(pthread_self(), fmt::format("keel-io-{}", i).substr(0, 15).c_str());
      t.io.run();
    });
  }
  return Ok();
}

void Server::BeginDrain() {
  for (auto& thread : threads_) {
    IoThread& t = *thread;
    asio::post(t.io, [&t] {
      t.draining = true;
      boost::system::error_code ec;
      t.acceptor.close(ec);
      std::vector<Connection*> snapshot(t.connections.begin(), t.connections.end());
      for (Connection* c : snapshot) c->CloseIfIdle();
    });
  }
}

bool Server::WaitDrained(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Connections() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void Server::Stop() {
  for (auto& thread : threads_) thread->io.stop();
  for (auto& thread : threads_)
    if (thread->thread.joinable()) thread->thread.join();
}

std::size_t Server::Connections() const {
  std::size_t total = 0;
  for (const auto& thread : threads_) total += thread->connection_count.load(std::memory_order_relaxed);
  return total;
}

}  // namespace keel::http
