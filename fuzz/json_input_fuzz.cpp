// JSON request bodies as handlers read them: ParseJsonBody and JsonFields (strings with code-point
// lengths, booleans, unknown members), then the problem answer built from whatever went wrong.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/json_fields.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  keel::http::JsonFields fields(body);
  fields.RejectUnknown({"title", "done", "meta"});
  (void)fields.String("title", 1, 200, true, true);
  (void)fields.Bool("done", false);
  (void)fields.Member("meta");
  if (!fields.ok()) (void)fields.Problem();
  return 0;
}
