// `keel image2model generate IMAGE --out DIR`: the local generator on one file, without a server: writes the
// model in every format and its thumbnail, and prints what it made and how long it took.
#pragma once

#include <string>

namespace keel::cli {

// Returns the exit code: 0 with a JSON summary on stdout, 1 with the reason on stderr.
int GenerateModel(const std::string& image, const std::string& out_dir, const std::string& quality);

}  // namespace keel::cli
