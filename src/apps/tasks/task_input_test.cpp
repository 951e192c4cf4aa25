// Unit tests of Task API input validation.
#include "apps/tasks/task_input.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace keel::tasks {
namespace {

std::vector<std::string> Fields(const Invalid& invalid) {
  std::vector<std::string> fields;
  for (const auto& e : invalid.errors) fields.push_back(e.field);
  std::sort(fields.begin(), fields.end());
  return fields;
}

TEST(ParseNewTask, AppliesDefaultsAndNormalizesDueAt) {
  auto parsed = ParseNewTask(R"({"title":"Write docs","due_at":"2026-12-01T10:00:00+01:00"})");
  ASSERT_TRUE(std::holds_alternative<TaskRecord>(parsed));
  const auto& task = std::get<TaskRecord>(parsed);
  EXPECT_EQ(task.title, "Write docs");
  EXPECT_EQ(task.status, "todo");
  EXPECT_EQ(task.priority, "medium");
  EXPECT_EQ(task.description, "");
  EXPECT_EQ(task.due_at, "2026-12-01T09:00:00.000Z");
}

TEST(ParseNewTask, ReportsEveryBadFieldOnce) {
  std::string long_title(201, 'x');
  auto parsed = ParseNewTask(R"({"title":")" + long_title +
                             R"(","status":"doing","priority":5,"due_at":"soon","owner":"me"})");
  ASSERT_TRUE(std::holds_alternative<Invalid>(parsed));
  EXPECT_EQ(Fields(std::get<Invalid>(parsed)),
            (std::vector<std::string>{"due_at", "owner", "priority", "status", "title"}));
}

TEST(ParseNewTask, RequiresATitleAndAnObject) {
  EXPECT_EQ(Fields(std::get<Invalid>(ParseNewTask("{}"))), std::vector<std::string>{"title"});
  EXPECT_EQ(Fields(std::get<Invalid>(ParseNewTask("[1]"))), std::vector<std::string>{"body"});
  EXPECT_TRUE(std::get<Invalid>(ParseNewTask("{\"title\":")).malformed.has_value());
  EXPECT_TRUE(std::holds_alternative<Invalid>(
      ParseNewTask(R"({"title":"a","description":")" + std::string(10001, 'd') + "\"}")));
}

TEST(ParsePatch, DistinguishesAbsentFromNull) {
  auto clear = std::get<TaskPatch>(ParsePatch(R"({"due_at":null})"));
  ASSERT_TRUE(clear.due_at.has_value());
  EXPECT_FALSE(clear.due_at->has_value());
  auto rename = std::get<TaskPatch>(ParsePatch(R"({"title":"New"})"));
  EXPECT_FALSE(rename.due_at.has_value());
  EXPECT_EQ(rename.title, "New");
  EXPECT_TRUE(std::holds_alternative<Invalid>(ParsePatch("{}")));
  EXPECT_TRUE(std::holds_alternative<Invalid>(ParsePatch(R"({"title":""})")));
  EXPECT_TRUE(std::holds_alternative<Invalid>(ParsePatch(R"({"title":null,"status":"done"})")));
}

TEST(ParseListQuery, ReadsAndChecksParameters) {
  http::Request request;
  request.query = "page=2&per_page=50&status=done&priority=high&sort=due_at&order=asc";
  auto query = std::get<ListQuery>(ParseListQuery(request));
  EXPECT_EQ(query.page, 2);
  EXPECT_EQ(query.per_page, 50);
  EXPECT_EQ(query.status, "done");
  EXPECT_EQ(query.sort, SortKey::kDueAt);
  EXPECT_FALSE(query.descending);
  request.query = "page=0&per_page=101&status=x&priority=y&sort=title&order=up";
  EXPECT_EQ(Fields(std::get<Invalid>(ParseListQuery(request))),
            (std::vector<std::string>{"order", "page", "per_page", "priority", "sort", "status"}));
}

}  // namespace
}  // namespace keel::tasks
