// Turning Keel's portable statements and values into libpq's wire form and back: `?` placeholders become
// `$1..$n`, parameters become text with a type, result cells become Values by column type.
//
// Pure functions (no connection, no I/O), and the two helpers every libpq connection uses for its messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sql/value.hpp"

namespace keel::sql::pg {

// Rewrites each `?` outside quoted strings, quoted identifiers and comments to `$1`, `$2`, ... in order, and
// counts them.
struct NumberedStatement {
  std::string text;
  int placeholders = 0;
};
NumberedStatement NumberPlaceholders(std::string_view sql);

// Parameters in libpq's text format. Integers go as int8 and reals as float8 so the server never has to guess
// them; text and NULL go untyped (OID 0) and take the type of the column they meet, as a literal would.
struct EncodedParams {
  std::vector<unsigned int> types;  // Oid
  std::vector<std::string> storage;
  std::vector<const char*> values;  // into storage; nullptr for NULL
  std::vector<int> lengths;
};
EncodedParams EncodeParams(const Params& params);

// Well-known type OIDs (pg_type.h), the ones decoding distinguishes.
inline constexpr unsigned int kBoolOid = 16;
inline constexpr unsigned int kInt8Oid = 20;
inline constexpr unsigned int kInt2Oid = 21;
inline constexpr unsigned int kInt4Oid = 23;
inline constexpr unsigned int kOidOid = 26;
inline constexpr unsigned int kFloat4Oid = 700;
inline constexpr unsigned int kFloat8Oid = 701;
inline constexpr unsigned int kNumericOid = 1700;

// message with the password of url (postgres://user:password@...) replaced by "***": libpq quotes parts of a
// malformed URL, its password among them, in its error messages.
std::string WithoutPassword(std::string_view message, std::string_view url);

// A libpq message (PQerrorMessage, PQresultErrorMessage) without its trailing newline; "" for nullptr.
std::string_view Trimmed(const char* message);

// libpq's notice processor for every Keel connection: server notices go to the debug log.
void LogNotice(void* unused, const char* message);

// One text-format cell of a column of type `oid`: integers (and booleans, as 0/1) as int64, floating and
// fractional numerics as double, whole numerics (SUM of integers) as int64, everything else as text.
Value DecodeCell(unsigned int oid, std::string_view text);

}  // namespace keel::sql::pg
