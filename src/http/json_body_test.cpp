// The one reading of JSON bodies: what is malformed (400) and what is a field error (422), with pointers.
#include "http/json_body.hpp"

#include <gtest/gtest.h>

#include "http/json_fields.hpp"

namespace keel::http {
namespace {

std::vector<std::string> Pointers(const JsonBody& body) {
  std::vector<std::string> pointers;
  for (const auto& error : body.errors) pointers.push_back(error.pointer.value_or("?") + " " + error.message);
  return pointers;
}

TEST(ParseJsonBody, SyntaxErrorsAndEmptyBodiesAreMalformed) {
  EXPECT_TRUE(ParseJsonBody("").malformed);
  EXPECT_TRUE(ParseJsonBody(" \n").malformed);
  auto broken = ParseJsonBody(R"({"title": })");
  ASSERT_TRUE(broken.malformed);
  EXPECT_NE(broken.malformed->find("line 1, column"), std::string::npos) << *broken.malformed;
  EXPECT_TRUE(ParseJsonBody(R"({"a":1} trailing)").malformed);
  EXPECT_TRUE(ParseJsonBody(R"({"a":NaN})").malformed);
}

TEST(ParseJsonBody, ADuplicateKeyIsAFieldErrorAndTheFirstValueStays) {
  auto body = ParseJsonBody(R"({"email":"ada@example.com","email":"bob@example.com","n":{"x":1,"x":[2]}})");
  ASSERT_FALSE(body.malformed);
  EXPECT_EQ(Pointers(body),
            (std::vector<std::string>{"/email is given more than once", "/n/x is given more than once"}));
  EXPECT_EQ(body.value["email"], "ada@example.com");
  EXPECT_EQ(body.value["n"]["x"], 1);
}

TEST(ParseJsonBody, ANumberBeyondADoubleIsAFieldErrorAndTheRestIsStillRead) {
  auto body = ParseJsonBody(R"({"a":1e400,"b":[1,-2E+999],"c":"kept","d":1e-400})");
  ASSERT_FALSE(body.malformed) << *body.malformed;
  EXPECT_EQ(Pointers(body), (std::vector<std::string>{"/a is a number beyond the range of a double",
                                                      "/b/1 is a number beyond the range of a double"}));
  EXPECT_TRUE(body.value["a"].is_null());
  EXPECT_EQ(body.value["c"], "kept");
  EXPECT_EQ(body.value["d"], 0.0) << "underflow is a valid zero";
  EXPECT_TRUE(ParseJsonBody(R"({"a":1e400,"b":})").malformed) << "a syntax error after it is still found";
}

TEST(ParseJsonBody, PointersEscapeTildeAndSlash) {
  auto body = ParseJsonBody(R"({"a/b~c":1,"a/b~c":2})");
  ASSERT_EQ(body.errors.size(), 1U);
  EXPECT_EQ(*body.errors[0].pointer, "/a~1b~0c");
  EXPECT_EQ(JsonPointer({"x", "0", "y/z"}), "/x/0/y~1z");
}

TEST(JsonFields, AMalformedBodyIs400AndAWrongShape422WithPointers) {
  EXPECT_EQ(JsonFields(R"({"email":)").Problem().status, 400);
  JsonFields array("[1]");
  EXPECT_EQ(array.Problem().status, 422);
  EXPECT_EQ(array.errors().at(0).pointer, "");
  JsonFields fields(R"({"email":"ada@example.com","email":"bob@example.com","extra":1e400})");
  EXPECT_FALSE(fields.String("email", 1, 100, true))
      << "a field already in error is not read (or reported) again";
  fields.RejectUnknown({"email"});
  Response problem = fields.Problem();
  EXPECT_EQ(problem.status, 422);
  auto json = nlohmann::json::parse(problem.body);
  std::vector<std::string> pointers;
  for (const auto& error : json["errors"]) pointers.push_back(error["pointer"]);
  EXPECT_EQ(pointers, (std::vector<std::string>{"/email", "/extra"})) << "one entry per field";
}

}  // namespace
}  // namespace keel::http
