// A .zip archive written in memory (PKWARE APPNOTE: local headers, data, central directory), for results that
// are several files: an OBJ with its MTL and texture. Text is deflated; already-compressed files are stored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::image2model {

class ZipArchive {
 public:
  // compress: deflate (text), or store as it is (JPEG, PNG).
  void Add(std::string_view name, std::string_view data, bool compress);
  // The archive; Add no more after it.
  std::string Finish();

 private:
  struct Entry {
    std::string name;
    std::uint32_t crc = 0;
    std::uint32_t compressed_size = 0;
    std::uint32_t size = 0;
    std::uint16_t method = 0;
    std::uint32_t offset = 0;
  };
  std::string out_;
  std::vector<Entry> entries_;
};

}  // namespace keel::image2model
