// Health probes of the cluster's servers: blocking, each bounded by a short timeout.
#pragma once

#include <chrono>
#include <string>

namespace keel::cluster {

// The status code of GET path on 127.0.0.1:port, or 0 when nothing answered in time.
int HttpStatus(int port, const std::string& path, std::chrono::milliseconds timeout);

// True when Redis on 127.0.0.1:port answers PING with PONG.
bool RedisAnswers(int port, std::chrono::milliseconds timeout);
// What Redis on 127.0.0.1:port answers to an inline command, raw (RESP), read until `enough` appears;
// empty when nothing answered in time.
std::string RedisReplyTo(int port, const std::string& command, const std::string& enough,
                         std::chrono::milliseconds timeout);

// True when a PostgreSQL server (or pgBouncer) accepts connections for conninfo.
bool PostgresAnswers(const std::string& conninfo);

}  // namespace keel::cluster
