# libFuzzer targets (fuzz/), built by the `fuzz` preset with clang, ASan and UBSan: `make fuzz` runs them.
# They link only the parsers they drive, with the core, so a fuzz build compiles a fraction of Keel.
file(GLOB KEEL_FUZZ_CORE CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/core/*.cpp)
# Not async.cpp: clang 14 cannot compile its coroutines under the sanitizers ("cannot represent a difference
# across sections"), and no parser needs it.
list(FILTER KEEL_FUZZ_CORE EXCLUDE REGEX ".*(_test|/async)\\.cpp$")
add_library(keel_fuzz_parsers STATIC
  ${KEEL_FUZZ_CORE}
  src/http/read_buffer.cpp src/http/request_reader.cpp src/http/request_stream.cpp src/http/message.cpp
  src/http/json_body.cpp
  src/http/json_fields.cpp src/http/problem.cpp src/http/pagination.cpp src/http/router.cpp src/http/multipart.cpp
  src/jobs/cron.cpp
  src/ml/prediction_input.cpp src/ml/model_meta.cpp
  src/apps/validation/event_batch.cpp src/apps/validation/rule_set.cpp src/apps/validation/json_schema.cpp
  src/apps/validation/schema_formats.cpp)
target_include_directories(keel_fuzz_parsers PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/generated)
# Boost 1.74's Asio looks for clang's coroutines in libc++ only; clang 14 has them with libstdc++ too.
# NDEBUG: fuzz the code as it ships (release builds), with the sanitizers watching. The libraries' debug
# assertions fire on input they then handle: Beast 1.74's chunk parser asserts when a final chunk's trailer
# arrives a byte at a time, toml++ 3.3's key parser on a key it then reports as malformed.
target_compile_definitions(keel_fuzz_parsers PUBLIC BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW
                                                    BOOST_ASIO_HAS_CO_AWAIT=1 NDEBUG)
target_link_libraries(keel_fuzz_parsers PUBLIC Boost::headers prometheus-cpp::core fmt::fmt
                                               nlohmann_json::nlohmann_json simdjson::simdjson OpenSSL::Crypto
                                               PkgConfig::SODIUM PkgConfig::RE2 Threads::Threads)

add_custom_target(fuzz_targets)
file(GLOB KEEL_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/*_fuzz.cpp)
foreach(source ${KEEL_FUZZ_SOURCES})
  get_filename_component(name ${source} NAME_WE)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE keel_fuzz_parsers)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzz_targets ${name})
endforeach()
