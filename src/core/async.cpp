// The bridge from coroutines on IO threads to BlockingPool threads and back.
#include "core/async.hpp"

#include <memory>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace keel::detail {

namespace asio = boost::asio;

Task<bool> RunOnPool(BlockingPool& pool, std::function<void()> work) {
  auto initiate = [&pool, &work](auto handler) {
    auto executor = asio::get_associated_executor(handler);
    // The awaitable handler is move-only; share it between the submitted task and the refusal path.
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    bool accepted = pool.TrySubmit([work = std::move(work), shared, executor]() mutable {
      work();
      asio::post(executor, [shared]() mutable { (*shared)(true); });
    });
    if (!accepted) asio::post(executor, [shared]() mutable { (*shared)(false); });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(bool)>(std::move(initiate),
                                                                                      asio::use_awaitable);
}

Task<void> AwaitSignal(const std::function<void(std::function<void()> done)>& start) {
  auto initiate = [&start](auto handler) {
    // Tracked: the caller's io_context counts the wait as work, so its run() does not return while the
    // signal is still to come from another thread.
    auto executor =
        asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    start([shared, executor] { asio::post(executor, [shared]() mutable { (*shared)(); }); });
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(std::move(initiate),
                                                                        asio::use_awaitable);
}

}  // namespace keel::detail
