// DynamicBatcher: batch sizes, the wait for a batch to fill, errors to every waiter, version splits.
#include "ml/batcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace keel::ml {
namespace {

using namespace std::chrono_literals;

// Predicts the sum of each row; records every call's row count; fails while `fail` is set.
class SumPredictor final : public Predictor {
 public:
  explicit SumPredictor(std::size_t width) : width_(width) {}
  Result<std::vector<double>> Predict(std::span<const float> values, std::size_t rows) const override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(rows);
    }
    if (fail) return Error{ErrorCode::kInternal, "predictor failed"};
    std::vector<double> out;
    for (std::size_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (std::size_t c = 0; c < width_; ++c) sum += values[r * width_ + c];
      out.push_back(sum);
    }
    return out;
  }
  std::size_t num_features() const override { return width_; }
  std::vector<std::size_t> calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::atomic<bool> fail{false};

 private:
  const std::size_t width_;
  mutable std::mutex mutex_;
  mutable std::vector<std::size_t> calls_;
};

using Outcome = std::future<Result<std::vector<double>>>;

Outcome Submit(DynamicBatcher& batcher, const std::shared_ptr<SumPredictor>& predictor,
               std::vector<float> values, std::size_t rows) {
  auto promise = std::make_shared<std::promise<Result<std::vector<double>>>>();
  Outcome outcome = promise->get_future();
  batcher.Submit(predictor, std::move(values), rows,
                 [promise](Result<std::vector<double>> result) { promise->set_value(std::move(result)); });
  return outcome;
}

TEST(DynamicBatcher, ALoneRequestWaitsForTheDelayThenIsPredicted) {
  DynamicBatcher batcher({.max_batch = 64, .max_delay = 50ms});
  auto predictor = std::make_shared<SumPredictor>(2);
  auto started = std::chrono::steady_clock::now();
  auto outcome = Submit(batcher, predictor, {1, 2}, 1);
  ASSERT_EQ(outcome.wait_for(10s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 45ms);
  auto result = outcome.get();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, std::vector<double>{3});
}

TEST(DynamicBatcher, AFullBatchGoesAtOnceWithoutWaitingForTheDelay) {
  DynamicBatcher batcher({.max_batch = 4, .max_delay = 30s});
  auto predictor = std::make_shared<SumPredictor>(1);
  std::vector<Outcome> outcomes;
  for (int i = 0; i < 4; ++i) outcomes.push_back(Submit(batcher, predictor, {float(i)}, 1));
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(outcomes[i].wait_for(5s), std::future_status::ready) << "request " << i;
    EXPECT_EQ(*outcomes[i].get(), std::vector<double>{double(i)});
  }
  EXPECT_EQ(predictor->calls(), std::vector<std::size_t>{4});
}

TEST(DynamicBatcher, NeverPutsMoreThanMaxBatchRowsInOneCall) {
  DynamicBatcher batcher({.max_batch = 4, .max_delay = 20ms});
  auto predictor = std::make_shared<SumPredictor>(1);
  std::vector<Outcome> outcomes;
  for (int i = 0; i < 10; ++i) outcomes.push_back(Submit(batcher, predictor, {1, 1, 1}, 3));
  for (auto& outcome : outcomes) {
    auto result = outcome.get();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(*result, (std::vector<double>{1, 1, 1}));
  }
  std::size_t total = 0;
  for (auto rows : predictor->calls()) {
    EXPECT_LE(rows, 4U);
    total += rows;
  }
  EXPECT_EQ(total, 30U);
}

TEST(DynamicBatcher, ARequestLargerThanMaxBatchIsABatchOfItsOwn) {
  DynamicBatcher batcher({.max_batch = 2, .max_delay = 1ms});
  auto predictor = std::make_shared<SumPredictor>(1);
  auto result = Submit(batcher, predictor, {1, 2, 3, 4, 5}, 5).get();
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, (std::vector<double>{1, 2, 3, 4, 5}));
  EXPECT_EQ(predictor->calls(), std::vector<std::size_t>{5});
}

TEST(DynamicBatcher, APredictErrorReachesEveryRequestOfTheBatch) {
  DynamicBatcher batcher({.max_batch = 3, .max_delay = 30s});
  auto predictor = std::make_shared<SumPredictor>(1);
  predictor->fail = true;
  std::vector<Outcome> outcomes;
  for (int i = 0; i < 3; ++i) outcomes.push_back(Submit(batcher, predictor, {1}, 1));
  for (auto& outcome : outcomes) {
    auto result = outcome.get();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "predictor failed");
  }
}

TEST(DynamicBatcher, RequestsForDifferentVersionsArePredictedByTheirOwnModel) {
  DynamicBatcher batcher({.max_batch = 4, .max_delay = 30s});
  auto old_version = std::make_shared<SumPredictor>(1);
  auto new_version = std::make_shared<SumPredictor>(1);
  std::vector<Outcome> outcomes;
  outcomes.push_back(Submit(batcher, old_version, {1}, 1));
  outcomes.push_back(Submit(batcher, old_version, {2}, 1));
  outcomes.push_back(Submit(batcher, new_version, {3}, 1));
  outcomes.push_back(Submit(batcher, new_version, {4}, 1));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(*outcomes[i].get(), std::vector<double>{double(i + 1)});
  EXPECT_EQ(old_version->calls(), std::vector<std::size_t>{2});
  EXPECT_EQ(new_version->calls(), std::vector<std::size_t>{2});
}

TEST(DynamicBatcher, InterleavedVersionsPredictInOneCallEach) {
  // A traffic plan's versions arrive mixed: each still gets one call per batch, and each request its own
  // answer.
  DynamicBatcher batcher({.max_batch = 6, .max_delay = 30s});
  auto a = std::make_shared<SumPredictor>(1);
  auto b = std::make_shared<SumPredictor>(1);
  std::vector<Outcome> outcomes;
  for (int i = 0; i < 6; ++i) outcomes.push_back(Submit(batcher, i % 2 ? b : a, {float(i)}, 1));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(*outcomes[i].get(), std::vector<double>{double(i)});
  EXPECT_EQ(a->calls(), std::vector<std::size_t>{3});
  EXPECT_EQ(b->calls(), std::vector<std::size_t>{3});
}

TEST(DynamicBatcher, StopPredictsWhatIsQueuedAndRefusesWhatComesAfter) {
  DynamicBatcher batcher({.max_batch = 64, .max_delay = 30s});
  auto predictor = std::make_shared<SumPredictor>(1);
  auto queued = Submit(batcher, predictor, {7}, 1);
  batcher.Stop();
  EXPECT_EQ(*queued.get(), std::vector<double>{7});
  auto late = Submit(batcher, predictor, {8}, 1).get();
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
}

TEST(DynamicBatcher, TheObserverSeesEveryCallsRowCount) {
  std::mutex mutex;
  std::vector<std::size_t> seen;
  DynamicBatcher batcher({.max_batch = 2, .max_delay = 30s}, [&](std::size_t rows) {
    std::lock_guard lock(mutex);
    seen.push_back(rows);
  });
  auto predictor = std::make_shared<SumPredictor>(1);
  auto a = Submit(batcher, predictor, {1}, 1);
  auto b = Submit(batcher, predictor, {1}, 1);
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, std::vector<std::size_t>{2});
}

}  // namespace
}  // namespace keel::ml
