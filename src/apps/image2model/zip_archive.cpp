#include "apps/image2model/zip_archive.hpp"

#include <zlib.h>

#include <stdexcept>

namespace keel::image2model {

namespace {

constexpr std::uint16_t kStored = 0, kDeflated = 8;
constexpr std::uint16_t kDosDate =
    (0 << 9) | (1 << 5) | 1;  // 1980-01-01: archives are byte-for-byte reproducible

void Put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& out, std::uint32_t v) {
  Put16(out, static_cast<std::uint16_t>(v & 0xffff));
  Put16(out, static_cast<std::uint16_t>(v >> 16));
}

std::string Deflate(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib deflateInit2 failed");
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("zlib deflate did not finish");
  return out;
}

}  // namespace

void ZipArchive::Add(std::string_view name, std::string_view data, bool compress) {
  Entry entry;
  entry.name = std::string(name);
  entry.crc = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  entry.size = static_cast<std::uint32_t>(data.size());
  entry.offset = static_cast<std::uint32_t>(out_.size());
  std::string deflated = compress ? Deflate(data) : std::string();
  entry.method = compress ? kDeflated : kStored;
  std::string_view stored = compress ? std::string_view(deflated) : data;
  entry.compressed_size = static_cast<std::uint32_t>(stored.size());

  Put32(out_, 0x04034b50);
  Put16(out_, 20);      // version needed: 2.0
  Put16(out_, 0x0800);  // names are UTF-8
  Put16(out_, entry.method);
  Put16(out_, 0);  // time
  Put16(out_, kDosDate);
  Put32(out_, entry.crc);
  Put32(out_, entry.compressed_size);
  Put32(out_, entry.size);
  Put16(out_, static_cast<std::uint16_t>(entry.name.size()));
  Put16(out_, 0);
  out_ += entry.name;
  out_.append(stored);
  entries_.push_back(std::move(entry));
}

std::string ZipArchive::Finish() {
  auto directory_start = static_cast<std::uint32_t>(out_.size());
  for (const Entry& entry : entries_) {
    Put32(out_, 0x02014b50);
    Put16(out_, 0x0314);  // made by: Unix, 2.0
    Put16(out_, 20);
    Put16(out_, 0x0800);
    Put16(out_, entry.method);
    Put16(out_, 0);
    Put16(out_, kDosDate);
    Put32(out_, entry.crc);
    Put32(out_, entry.compressed_size);
    Put32(out_, entry.size);
    Put16(out_, static_cast<std::uint16_t>(entry.name.size()));
    Put16(out_, 0);               // extra
    Put16(out_, 0);               // comment
    Put16(out_, 0);               // disk
    Put16(out_, 0);               // internal attributes
    Put32(out_, 0100644u << 16);  // external: a regular file, rw-r--r--
    Put32(out_, entry.offset);
    out_ += entry.name;
  }
  auto directory_size = static_cast<std::uint32_t>(out_.size() - directory_start);
  Put32(out_, 0x06054b50);
  Put16(out_, 0);
  Put16(out_, 0);
  Put16(out_, static_cast<std::uint16_t>(entries_.size()));
  Put16(out_, static_cast<std::uint16_t>(entries_.size()));
  Put32(out_, directory_size);
  Put32(out_, directory_start);
  Put16(out_, 0);
  return std::move(out_);
}

}  // namespace keel::image2model
