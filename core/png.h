// PNG output without a library: CRC-32 and Adler-32, a zlib stream (stored or fixed-Huffman
// deflate blocks with LZ77 matches, RFC 1950/1951), an RGB 8-bit PNG encoder (PNG spec, filter
// type 0) and a small raster canvas with lines, rectangles, markers and text in a built-in 5x8
// bitmap font of printable ASCII. Enough for the report's charts (trainer/report/report_plots.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_util.h"

namespace spct::png {

// CRC-32 as PNG and zlib use it: the one in core/file_util.h.
using spct::crc32;
// Adler-32 (RFC 1950); pass the previous value to continue. adler32("Wikipedia") == 0x11E60398.
uint32_t adler32(std::string_view data, uint32_t adler = 1);

enum class Deflate {
  stored,  // uncompressed blocks of at most 65,535 bytes
  fixed,   // one block with the fixed Huffman codes and greedy LZ77 matches (hash chains)
};
// A zlib stream (header 0x78 0x01, deflate data, Adler-32 of `data`, big-endian).
std::string zlib_compress(std::string_view data, Deflate mode = Deflate::fixed);

// The bytes of a PNG file: width x height pixels, `rgb` row by row, 3 bytes per pixel (8-bit
// truecolour, no interlace, filter type 0 on every row).
std::string encode_rgb(int width, int height, const std::vector<uint8_t>& rgb, Deflate mode = Deflate::fixed);

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Color& o) const { return !(*this == o); }
};
Color hex(uint32_t rgb);  // hex(0x1f77b4)

enum class Align { left, center, right };

// An RGB image to draw on. x grows to the right, y downwards; whatever falls outside is clipped.
class Canvas {
 public:
  Canvas(int width, int height, Color background = {255, 255, 255});
  int width() const { return w_; }
  int height() const { return h_; }
  Color pixel(int x, int y) const;
  void set(int x, int y, Color c);
  // The pixels x0 <= x < x1, y0 <= y < y1 (corners in any order).
  void fill_rect(int x0, int y0, int x1, int y1, Color c);
  // A one-pixel outline of the same rectangle.
  void rect(int x0, int y0, int x1, int y1, Color c);
  // A line `thickness` pixels wide; dash_on > 0 draws dash_on pixels, skips dash_off, repeatedly.
  void line(double x0, double y0, double x1, double y1, Color c, int thickness = 1, int dash_on = 0, int dash_off = 0);
  void fill_circle(double cx, double cy, double r, Color c);

  // Text in the built-in font, each font pixel drawn as scale x scale pixels; characters outside
  // printable ASCII draw as '?'. `y` is the top of the text; align refers to `x`. vertical: turned
  // 90 degrees counter-clockwise (read bottom to top), `x` its left edge, align along y around `y`.
  void text(int x, int y, std::string_view s, Color c, int scale = 1, Align align = Align::left, bool vertical = false);
  static int text_width(std::string_view s, int scale = 1);  // advance of s, without the last gap
  static int text_height(int scale = 1);                       // cell height, descenders included

  std::string encode(Deflate mode = Deflate::fixed) const;  // the PNG file's bytes
  void write(const std::string& path) const;                // atomically; throws spct::Error naming path

 private:
  int w_, h_;
  std::vector<uint8_t> rgb_;
};

}  // namespace spct::png
