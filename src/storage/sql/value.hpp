// SQL values and result rows shared by every Database backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace keel::sql {

// NULL, INTEGER, REAL or TEXT. (BLOBs arrive as TEXT bytes; nothing needs a separate type yet.)
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using Params = std::vector<Value>;

inline Value ToValue(std::nullptr_t) { return nullptr; }
inline Value ToValue(Value value) { return value; }
inline Value ToValue(std::string value) { return value; }
inline Value ToValue(std::string_view value) { return std::string(value); }
inline Value ToValue(const char* value) { return std::string(value); }
inline Value ToValue(double value) { return value; }
template <class T>
requires std::is_integral_v<T> Value ToValue(T value) { return static_cast<std::int64_t>(value); }

// Builds Params from values: Args("bolt", 3). Use it inside coroutines instead of a braced list: g++ 12
// miscompiles braced initializer lists of non-trivial types in coroutines ("array used as initializer").
template <class... T>
Params Args(T&&... values) {
  Params params;
  params.reserve(sizeof...(T));
  (params.push_back(ToValue(std::forward<T>(values))), ...);
  return params;
}

// One parameterized statement, for the calls that take several (Database::WriteAll).
struct Statement {
  std::string sql;
  Params params;
};

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  std::int64_t affected = 0;        // rows changed by INSERT/UPDATE/DELETE
  std::int64_t last_insert_id = 0;  // SQLite rowid of the last insert

  bool empty() const { return rows.empty(); }
  // Typed cell access; nullopt for NULL or another type.
  std::optional<std::int64_t> Int(std::size_t row, std::size_t column) const;
  std::optional<double> Double(std::size_t row, std::size_t column) const;
  std::optional<std::string_view> Text(std::size_t row, std::size_t column) const;
};

}  // namespace keel::sql
