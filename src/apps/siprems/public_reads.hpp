// The read routes' options under siprems.public_reads: with it, they need no credentials and their answers
// are marked cacheable by shared caches (nginx's) for siprems.forecast_cache_ttl_s; without it, they are
// authenticated like every other route (and nginx, seeing credentials, never caches them).
#pragma once

#include "apps/siprems/siprems_config.hpp"
#include "http/router.hpp"

namespace keel::siprems {

http::RouteOptions ReadRouteOptions(const SipremsOptions& options);
// `handler`, with Cache-Control: public on its 200 answers when reads are public.
http::Handler PublicRead(http::Handler handler, const SipremsOptions& options);

}  // namespace keel::siprems
