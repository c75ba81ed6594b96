#include "core/png.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ostream>

#include "core/error.h"
#include "core/file_util.h"

namespace spct::png {
namespace {

// ---- deflate ---------------------------------------------------------------------------------

// Bits are packed from the least significant bit of each byte; Huffman codes go most significant
// bit first (RFC 1951 3.1.1), so they are reversed before packing.
class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}
  void bits(uint32_t value, int count) {
    acc_ |= static_cast<uint64_t>(value) << n_;
    n_ += count;
    while (n_ >= 8) {
      out_.push_back(static_cast<char>(acc_ & 0xFF));
      acc_ >>= 8;
      n_ -= 8;
    }
  }
  void code(uint32_t code, int len) {
    uint32_t r = 0;
    for (int i = 0; i < len; ++i) r |= ((code >> i) & 1u) << (len - 1 - i);
    bits(r, len);
  }
  void flush() {
    if (n_ > 0) out_.push_back(static_cast<char>(acc_ & 0xFF));
    acc_ = 0;
    n_ = 0;
  }

 private:
  std::string& out_;
  uint64_t acc_ = 0;
  int n_ = 0;
};

// The fixed literal/length code (RFC 1951 3.2.6).
void fixed_symbol(BitWriter& w, int v) {
  if (v < 144) w.code(0x30 + v, 8);
  else if (v < 256) w.code(0x190 + (v - 144), 9);
  else if (v < 280) w.code(v - 256, 7);
  else w.code(0xC0 + (v - 280), 8);
}

constexpr std::array<int, 29> kLenBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                          31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<int, 29> kLenExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                           2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<int, 30> kDistBase = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                           193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<int, 30> kDistExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                            6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

template <size_t N>
int code_index(const std::array<int, N>& base, int value) {  // the last base <= value
  return static_cast<int>(std::upper_bound(base.begin(), base.end(), value) - base.begin()) - 1;
}

void fixed_match(BitWriter& w, int len, int dist) {
  const int li = len == 258 ? 28 : code_index(kLenBase, len);
  fixed_symbol(w, 257 + li);
  if (kLenExtra[li]) w.bits(len - kLenBase[li], kLenExtra[li]);
  const int di = code_index(kDistBase, dist);
  w.code(di, 5);
  if (kDistExtra[di]) w.bits(dist - kDistBase[di], kDistExtra[di]);
}

void deflate_fixed(std::string_view d, std::string& out) {
  constexpr int kWindow = 32768, kMaxLen = 258, kMinLen = 3, kHashBits = 15, kMaxChain = 64;
  const int n = static_cast<int>(d.size());
  auto byte = [&](int i) { return static_cast<uint32_t>(static_cast<uint8_t>(d[i])); };
  auto hash = [&](int i) { return ((byte(i) | byte(i + 1) << 8 | byte(i + 2) << 16) * 2654435761u) >> (32 - kHashBits); };
  std::vector<int> head(1 << kHashBits, -1), prev(d.size(), -1);
  auto insert = [&](int i) {
    if (i + kMinLen > n) return;
    const uint32_t h = hash(i);
    prev[i] = head[h];
    head[h] = i;
  };
  BitWriter w(out);
  w.bits(1, 1);  // BFINAL
  w.bits(1, 2);  // BTYPE 01: fixed Huffman codes
  int i = 0;
  while (i < n) {
    int best = 0, best_dist = 0;
    if (i + kMinLen <= n) {
      const int max_len = std::min(kMaxLen, n - i);
      int chain = kMaxChain;
      for (int j = head[hash(i)]; j >= 0 && i - j <= kWindow && chain-- > 0; j = prev[j]) {
        int len = 0;
        while (len < max_len && d[j + len] == d[i + len]) ++len;
        if (len > best) {
          best = len;
          best_dist = i - j;
          if (len == max_len) break;
        }
      }
    }
    if (best >= kMinLen) {
      fixed_match(w, best, best_dist);
      for (int k = 0; k < best; ++k) insert(i + k);
      i += best;
    } else {
      fixed_symbol(w, byte(i));
      insert(i);
      ++i;
    }
  }
  fixed_symbol(w, 256);  // end of block
  w.flush();
}

void deflate_stored(std::string_view d, std::string& out) {
  size_t pos = 0;
  do {
    const size_t len = std::min<size_t>(65535, d.size() - pos);
    const bool last = pos + len == d.size();
    out.push_back(last ? 1 : 0);  // BFINAL, BTYPE 00, then padding to the byte boundary
    const uint16_t n = static_cast<uint16_t>(len), nn = static_cast<uint16_t>(~n);
    for (uint16_t v : {n, nn}) {
      out.push_back(static_cast<char>(v & 0xFF));
      out.push_back(static_cast<char>(v >> 8));
    }
    out.append(d.substr(pos, len));
    pos += len;
  } while (pos < d.size());
}

void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}

void chunk(std::string& out, const char* type, std::string_view data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.append(type, 4);
  out.append(data);
  put_be32(out, crc32(std::string_view(out).substr(start)));
}

// ---- the font --------------------------------------------------------------------------------

// 5x8 glyphs of ' ' (0x20) to '~' (0x7E): five columns left to right, bit 0 the top row, rows 0-6
// the cell above the baseline, row 7 descenders.
constexpr uint8_t kFont[95][5] = {
    {0x00, 0x00, 0x00, 0x00, 0x00},  // ' '
    {0x00, 0x00, 0x5F, 0x00, 0x00},  // !
    {0x00, 0x07, 0x00, 0x07, 0x00},  // "
    {0x14, 0x7F, 0x14, 0x7F, 0x14},  // #
    {0x24, 0x2A, 0x7F, 0x2A, 0x12},  // $
    {0x23, 0x13, 0x08, 0x64, 0x62},  // %
    {0x36, 0x49, 0x55, 0x22, 0x50},  // &
    {0x00, 0x05, 0x03, 0x00, 0x00},  // '
    {0x00, 0x1C, 0x22, 0x41, 0x00},  // (
    {0x00, 0x41, 0x22, 0x1C, 0x00},  // )
    {0x14, 0x08, 0x3E, 0x08, 0x14},  // *
    {0x08, 0x08, 0x3E, 0x08, 0x08},  // +
    {0x00, 0xA0, 0x60, 0x00, 0x00},  // ,
    {0x08, 0x08, 0x08, 0x08, 0x08},  // -
    {0x00, 0x60, 0x60, 0x00, 0x00},  // .
    {0x20, 0x10, 0x08, 0x04, 0x02},  // /
    {0x3E, 0x51, 0x49, 0x45, 0x3E},  // 0
    {0x00, 0x42, 0x7F, 0x40, 0x00},  // 1
    {0x42, 0x61, 0x51, 0x49, 0x46},  // 2
    {0x21, 0x41, 0x45, 0x4B, 0x31},  // 3
    {0x18, 0x14, 0x12, 0x7F, 0x10},  // 4
    {0x27, 0x45, 0x45, 0x45, 0x39},  // 5
    {0x3C, 0x4A, 0x49, 0x49, 0x30},  // 6
    {0x01, 0x71, 0x09, 0x05, 0x03},  // 7
    {0x36, 0x49, 0x49, 0x49, 0x36},  // 8
    {0x06, 0x49, 0x49, 0x29, 0x1E},  // 9
    {0x00, 0x36, 0x36, 0x00, 0x00},  // :
    {0x00, 0xB6, 0x76, 0x00, 0x00},  // ;
    {0x08, 0x14, 0x22, 0x41, 0x00},  // <
    {0x14, 0x14, 0x14, 0x14, 0x14},  // =
    {0x00, 0x41, 0x22, 0x14, 0x08},  // >
    {0x02, 0x01, 0x51, 0x09, 0x06},  // ?
    {0x32, 0x49, 0x79, 0x41, 0x3E},  // @
    {0x7E, 0x11, 0x11, 0x11, 0x7E},  // A
    {0x7F, 0x49, 0x49, 0x49, 0x36},  // B
    {0x3E, 0x41, 0x41, 0x41, 0x22},  // C
    {0x7F, 0x41, 0x41, 0x22, 0x1C},  // D
    {0x7F, 0x49, 0x49, 0x49, 0x41},  // E
    {0x7F, 0x09, 0x09, 0x09, 0x01},  // F
    {0x3E, 0x41, 0x49, 0x49, 0x7A},  // G
    {0x7F, 0x08, 0x08, 0x08, 0x7F},  // H
    {0x00, 0x41, 0x7F, 0x41, 0x00},  // I
    {0x20, 0x40, 0x41, 0x3F, 0x01},  // J
    {0x7F, 0x08, 0x14, 0x22, 0x41},  // K
    {0x7F, 0x40, 0x40, 0x40, 0x40},  // L
    {0x7F, 0x02, 0x0C, 0x02, 0x7F},  // M
    {0x7F, 0x04, 0x08, 0x10, 0x7F},  // N
    {0x3E, 0x41, 0x41, 0x41, 0x3E},  // O
    {0x7F, 0x09, 0x09, 0x09, 0x06},  // P
    {0x3E, 0x41, 0x51, 0x21, 0x5E},  // Q
    {0x7F, 0x09, 0x19, 0x29, 0x46},  // R
    {0x46, 0x49, 0x49, 0x49, 0x31},  // S
    {0x01, 0x01, 0x7F, 0x01, 0x01},  // T
    {0x3F, 0x40, 0x40, 0x40, 0x3F},  // U
    {0x1F, 0x20, 0x40, 0x20, 0x1F},  // V
    {0x3F, 0x40, 0x38, 0x40, 0x3F},  // W
    {0x63, 0x14, 0x08, 0x14, 0x63},  // X
    {0x07, 0x08, 0x70, 0x08, 0x07},  // Y
    {0x61, 0x51, 0x49, 0x45, 0x43},  // Z
    {0x00, 0x7F, 0x41, 0x41, 0x00},  // [
    {0x02, 0x04, 0x08, 0x10, 0x20},  // backslash
    {0x00, 0x41, 0x41, 0x7F, 0x00},  // ]
    {0x04, 0x02, 0x01, 0x02, 0x04},  // ^
    {0x80, 0x80, 0x80, 0x80, 0x80},  // _
    {0x00, 0x01, 0x02, 0x04, 0x00},  // `
    {0x20, 0x54, 0x54, 0x54, 0x78},  // a
    {0x7F, 0x48, 0x44, 0x44, 0x38},  // b
    {0x38, 0x44, 0x44, 0x44, 0x20},  // c
    {0x38, 0x44, 0x44, 0x48, 0x7F},  // d
    {0x38, 0x54, 0x54, 0x54, 0x18},  // e
    {0x08, 0x7E, 0x09, 0x01, 0x02},  // f
    {0x18, 0xA4, 0xA4, 0xA4, 0x7C},  // g
    {0x7F, 0x08, 0x04, 0x04, 0x78},  // h
    {0x00, 0x44, 0x7D, 0x40, 0x00},  // i
    {0x40, 0x80, 0x84, 0x7D, 0x00},  // j
    {0x7F, 0x10, 0x28, 0x44, 0x00},  // k
    {0x00, 0x41, 0x7F, 0x40, 0x00},  // l
    {0x7C, 0x04, 0x18, 0x04, 0x78},  // m
    {0x7C, 0x08, 0x04, 0x04, 0x78},  // n
    {0x38, 0x44, 0x44, 0x44, 0x38},  // o
    {0xFC, 0x24, 0x24, 0x24, 0x18},  // p
    {0x18, 0x24, 0x24, 0x24, 0xFC},  // q
    {0x7C, 0x08, 0x04, 0x04, 0x08},  // r
    {0x48, 0x54, 0x54, 0x54, 0x20},  // s
    {0x04, 0x3F, 0x44, 0x40, 0x20},  // t
    {0x3C, 0x40, 0x40, 0x20, 0x7C},  // u
    {0x1C, 0x20, 0x40, 0x20, 0x1C},  // v
    {0x3C, 0x40, 0x30, 0x40, 0x3C},  // w
    {0x44, 0x28, 0x10, 0x28, 0x44},  // x
    {0x1C, 0xA0, 0xA0, 0xA0, 0x7C},  // y
    {0x44, 0x64, 0x54, 0x4C, 0x44},  // z
    {0x00, 0x08, 0x36, 0x41, 0x00},  // {
    {0x00, 0x00, 0x7F, 0x00, 0x00},  // |
    {0x00, 0x41, 0x36, 0x08, 0x00},  // }
    {0x08, 0x04, 0x08, 0x10, 0x08},  // ~
};
constexpr int kGlyphW = 5, kGlyphH = 8, kAdvance = 6;

}  // namespace

uint32_t adler32(std::string_view data, uint32_t adler) {
  constexpr uint32_t kMod = 65521;
  uint32_t a = adler & 0xFFFF, b = adler >> 16;
  size_t i = 0;
  while (i < data.size()) {
    const size_t end = std::min(data.size(), i + 5552);  // the longest run that cannot overflow b
    for (; i < end; ++i) {
      a += static_cast<uint8_t>(data[i]);
      b += a;
    }
    a %= kMod;
    b %= kMod;
  }
  return b << 16 | a;
}

std::string zlib_compress(std::string_view data, Deflate mode) {
  std::string out = {'\x78', '\x01'};  // deflate, 32 KiB window; FCHECK makes 0x7801 a multiple of 31
  if (mode == Deflate::stored) deflate_stored(data, out);
  else deflate_fixed(data, out);
  put_be32(out, adler32(data));
  return out;
}

std::string encode_rgb(int width, int height, const std::vector<uint8_t>& rgb, Deflate mode) {
  SPCT_CHECK(width > 0 && height > 0, "png: bad size ", width, "x", height);
  const size_t stride = static_cast<size_t>(width) * 3;
  SPCT_CHECK(rgb.size() == stride * height, "png: ", rgb.size(), " bytes for ", width, "x", height, " RGB pixels");
  std::string raw;
  raw.reserve((stride + 1) * height);
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter type 0 (None)
    raw.append(reinterpret_cast<const char*>(rgb.data()) + y * stride, stride);
  }
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be32(ihdr, static_cast<uint32_t>(width));
  put_be32(ihdr, static_cast<uint32_t>(height));
  ihdr += std::string{8, 2, 0, 0, 0};  // bit depth 8, truecolour, deflate, filter method 0, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", zlib_compress(raw, mode));
  chunk(out, "IEND", "");
  return out;
}

Color hex(uint32_t rgb) {
  return {static_cast<uint8_t>(rgb >> 16), static_cast<uint8_t>(rgb >> 8), static_cast<uint8_t>(rgb)};
}

Canvas::Canvas(int width, int height, Color background) : w_(width), h_(height) {
  SPCT_CHECK(width > 0 && height > 0, "png: bad canvas size ", width, "x", height);
  rgb_.resize(static_cast<size_t>(w_) * h_ * 3);
  for (size_t i = 0; i < rgb_.size(); i += 3) {
    rgb_[i] = background.r;
    rgb_[i + 1] = background.g;
    rgb_[i + 2] = background.b;
  }
}

Color Canvas::pixel(int x, int y) const {
  SPCT_CHECK(x >= 0 && y >= 0 && x < w_ && y < h_, "png: pixel (", x, ", ", y, ") outside ", w_, "x", h_);
  const size_t i = (static_cast<size_t>(y) * w_ + x) * 3;
  return {rgb_[i], rgb_[i + 1], rgb_[i + 2]};
}

void Canvas::set(int x, int y, Color c) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
  const size_t i = (static_cast<size_t>(y) * w_ + x) * 3;
  rgb_[i] = c.r;
  rgb_[i + 1] = c.g;
  rgb_[i + 2] = c.b;
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Color c) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  for (int y = std::max(y0, 0); y < std::min(y1, h_); ++y)
    for (int x = std::max(x0, 0); x < std::min(x1, w_); ++x) set(x, y, c);
}

void Canvas::rect(int x0, int y0, int x1, int y1, Color c) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  fill_rect(x0, y0, x1, y0 + 1, c);
  fill_rect(x0, y1 - 1, x1, y1, c);
  fill_rect(x0, y0, x0 + 1, y1, c);
  fill_rect(x1 - 1, y0, x1, y1, c);
}

void Canvas::line(double x0, double y0, double x1, double y1, Color c, int thickness, int dash_on, int dash_off) {
  const double len = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(len * 2)));
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  for (int s = 0; s <= steps; ++s) {
    const double t = static_cast<double>(s) / steps;
    if (dash_on > 0 && std::fmod(t * len, dash_on + dash_off) >= dash_on) continue;
    const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
    const int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
    fill_rect(x + lo, y + lo, x + hi + 1, y + hi + 1, c);
  }
}

void Canvas::fill_circle(double cx, double cy, double r, Color c) {
  for (int y = static_cast<int>(std::floor(cy - r)); y <= static_cast<int>(std::ceil(cy + r)); ++y)
    for (int x = static_cast<int>(std::floor(cx - r)); x <= static_cast<int>(std::ceil(cx + r)); ++x)
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) set(x, y, c);
}

int Canvas::text_width(std::string_view s, int scale) {
  return s.empty() ? 0 : (static_cast<int>(s.size()) * kAdvance - (kAdvance - kGlyphW)) * scale;
}

int Canvas::text_height(int scale) { return kGlyphH * scale; }

void Canvas::text(int x, int y, std::string_view s, Color c, int scale, Align align, bool vertical) {
  const int w = text_width(s, scale);
  const int shift = align == Align::center ? w / 2 : align == Align::right ? w : 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(s[i]);
    const uint8_t* glyph = kFont[(ch >= 0x20 && ch <= 0x7E ? ch : '?') - 0x20];
    for (int col = 0; col < kGlyphW; ++col)
      for (int row = 0; row < kGlyphH; ++row) {
        if (!(glyph[col] >> row & 1)) continue;
        const int along = static_cast<int>(i) * kAdvance * scale + col * scale - shift;  // along the text
        const int across = row * scale;                                                 // down the glyph
        if (vertical) fill_rect(x + across, y - along - scale + 1, x + across + scale, y - along + 1, c);
        else fill_rect(x + along, y + across, x + along + scale, y + across + scale, c);
      }
  }
}

std::string Canvas::encode(Deflate mode) const { return encode_rgb(w_, h_, rgb_, mode); }

void Canvas::write(const std::string& path) const {
  const std::string bytes = encode();
  write_file_atomic(path, [&](std::ostream& o) { o.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

}  // namespace spct::png
