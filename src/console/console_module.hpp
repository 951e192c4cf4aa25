// The web console (console/): one page at / and its assets at /assets/*, compiled into the binary, so `keel
// serve` shows it with nothing beside it. The page talks only to Keel's own API; everything it loads comes
// from here, which lets the Content-Security-Policy allow nothing else.
#pragma once

#include <optional>

#include "console/console_files.hpp"
#include "module/module.hpp"

namespace keel::console {

class ConsoleModule final : public Module {
 public:
  std::string_view Name() const override { return "console"; }
  ConfigSchema ConfigKeys() const override;
  std::string_view OpenApi() const override;
  // Adds GET / and GET /assets/{name} when console.enabled.
  Result<void> Register(ModuleContext& context) override;

 private:
  // console.dir's files, when it is set; else the compiled-in ones are served.
  std::optional<ConsoleFiles> files_;
};

}  // namespace keel::console
