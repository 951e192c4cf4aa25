// The registry serves only versions that reproduce their validation sample, and keeps the old one otherwise.
#include "ml/model_registry.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ml/model_trainer.hpp"

namespace keel::ml {
namespace {

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keel-registry-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream csv(dir_ / "data.csv");
    csv << "a,b,y\n";
    for (int i = 0; i < 200; ++i) csv << i << "," << (i % 7) << "," << (3 * i + 10 * (i % 7)) << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Train() {
    TrainRequest request;
    request.model_name = "toy";
    request.data = dir_ / "data.csv";
    request.model_dir = dir_ / "models";
    request.options.rounds = 20;
    auto trained = TrainModelVersion(request, nullptr);
    EXPECT_TRUE(trained.ok()) << trained.error().message;
    return trained->meta.version;
  }

  // A copy of `version` named to sort after every other, with its expected predictions changed.
  std::string Broken(const std::string& version) {
    std::string name = version + "-zz-broken";
    auto from = dir_ / "models" / "toy" / version;
    auto to = dir_ / "models" / "toy" / name;
    std::filesystem::copy(from, to);
    std::ifstream in(to / "meta.json");
    auto meta = nlohmann::json::parse(in);
    meta["version"] = name;
    meta["validation_sample"]["expected"][0] = meta["validation_sample"]["expected"][0].get<double>() + 1000;
    std::ofstream(to / "meta.json") << meta.dump();
    return name;
  }

  std::filesystem::path dir_;
};

TEST_F(ModelRegistryTest, ServesTheNewestValidVersionAndKeepsItWhenANewerOneIsBroken) {
  ModelRegistry registry(dir_ / "models");
  EXPECT_EQ(registry.Reload("toy").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(registry.Get("toy"), nullptr);

  auto first = Train();
  ASSERT_EQ(registry.Reload("toy").value(), first);
  auto served = registry.Get("toy");
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(served->meta.version, first);
  EXPECT_EQ(registry.Reload("toy").value(), first);  // nothing newer: unchanged

  auto broken = Broken(first);
  auto refused = registry.Reload("toy");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("validation row 0"), std::string::npos) << refused.error().message;
  EXPECT_EQ(registry.Get("toy")->meta.version, first);
  EXPECT_EQ(registry.Get("toy"), served);  // the same object keeps serving

  std::filesystem::remove_all(dir_ / "models" / "toy" / broken);
  auto second = Train();
  ASSERT_EQ(registry.Reload("toy").value(), second);
  EXPECT_EQ(served->meta.version, first);  // a reader holding the old version still has it
  EXPECT_EQ(registry.Versions("toy"), (std::vector<std::string>{first, second}));

  ASSERT_EQ(registry.Reload("toy", first).value(), first);  // pinned
  EXPECT_EQ(registry.Reload("toy", "nope").error().code, ErrorCode::kNotFound);
}

TEST_F(ModelRegistryTest, LoadVersionExplainsWhatIsWrong) {
  auto version = Train();
  auto path = dir_ / "models" / "toy" / version;
  ASSERT_TRUE(LoadVersion(path).ok());
  std::ofstream(path / "model.json") << "{}";
  EXPECT_FALSE(LoadVersion(path).ok());
  std::filesystem::remove(path / "meta.json");
  EXPECT_NE(LoadVersion(path).error().message.find("no meta.json"), std::string::npos);
}

}  // namespace
}  // namespace keel::ml
