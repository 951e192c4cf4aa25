// The mail section: SMTP delivery or the outbox.
#pragma once

#include "core/config.hpp"

namespace keel::mail {

// The mail.* keys, in documentation order.
ConfigSchema ConfigKeys();

}  // namespace keel::mail
