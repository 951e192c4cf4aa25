// The chat routes: POST /api/v1/chat (a turn; with "stream": true, Server-Sent Events of the reply as it is
// produced, then the whole answer), GET and DELETE /api/v1/chat/sessions/{id} (a session's history,
// forgetting it). Sessions belong to the user who started them.
#pragma once

#include "core/async.hpp"
#include "http/message.hpp"

namespace keel::http {
class Router;
}

namespace keel::siprems {

class ChatService;

class ChatRoutes {
 public:
  explicit ChatRoutes(ChatService& chat) : chat_(chat) {}

  void AddTo(http::Router& router);

 private:
  Task<http::Response> Turn(http::Request& request);
  Task<http::Response> Session(http::Request& request);
  Task<http::Response> Forget(http::Request& request);

  ChatService& chat_;
};

}  // namespace keel::siprems
