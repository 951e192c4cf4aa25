// What a client may learn of a statement the database refused. The server's own text names tables, columns
// and constraints, and PostgreSQL's DETAIL line quotes the values of other rows ("Key (email)=(...) already
// exists"); whatever reaches a 409 or 503 detail must not carry it. So a refusal that maps to a client-facing
// status gets a fixed phrase for its class plus the database's code, and the server's text goes to the log.
// Internal failures (a bug: syntax, a missing table) keep the full text: clients never see a 500's message,
// and operators (migrations, the log) need it.
#pragma once

#include <string_view>

#include "core/result.hpp"

namespace keel::sql {

// `state` is the database's code for the failure (a SQLSTATE, or SQLite's extended result code).
Error StatementError(ErrorCode code, std::string_view state, std::string_view server_text);

}  // namespace keel::sql
