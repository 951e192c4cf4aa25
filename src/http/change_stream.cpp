#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "http/change_stream.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "storage/pubsub/pubsub.hpp"

namespace keel::http {

namespace {

constexpr std::chrono::seconds kPoll{2};
constexpr std::chrono::seconds kKeepAlive{15};

}  // namespace

ChangeStream::ChangeStream(Render render, std::shared_ptr<Wakeup> wakeup)
    : render_(std::move(render)), wakeup_(std::move(wakeup)) {}

ChangeStream::~ChangeStream() = default;

void ChangeStream::Follow(pubsub::PubSub& pubsub, std::string channel) {
  subscription_ = pubsub.Subscribe(
      std::move(channel), [weak = std::weak_ptr<Wakeup>(wakeup_)](const std::string&, const std::string&) {
        if (auto wakeup = weak.lock()) wakeup->Notify();
      });
}

Task<std::optional<std::string>> ChangeStream::Next() {
  if (done_) co_return std::nullopt;
  auto quiet_since = std::chrono::steady_clock::now();
  for (;;) {
    if (rendered_) {
      if (std::chrono::steady_clock::now() - quiet_since > kKeepAlive)
        co_return std::string(": keep-alive\n\n");
      co_await wakeup_->Wait(std::chrono::steady_clock::now() + kPoll);
    }
    rendered_ = true;
    auto snapshot = co_await render_();
    if (!snapshot)
      co_return fmt::format("event: error\ndata: {}\n\n",
                            nlohmann::json{{"detail", snapshot.error().message}}.dump());
    if (snapshot->signature == last_signature_ && !snapshot->final) continue;
    last_signature_ = std::move(snapshot->signature);
    done_ = snapshot->final;
    co_return fmt::format("event: {}\ndata: {}\n\n", snapshot->event, snapshot->data);
  }
}

}  // namespace keel::http
