// core/png.h: the checksums against their published check values, the encoder against bytes
// worked out independently (Python's zlib and struct, recorded below), and larger images and
// streams decoded by an independent reader (Python's zlib, when /usr/bin/python3 exists).
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/png.h"
#include "test_util.h"

namespace spct {
namespace {
using png::Canvas;
using test::to_hex;
using png::Color;
using png::Deflate;

std::string from_hex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

TEST(Png, ChecksumCheckValues) {
  EXPECT_EQ(png::crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(png::adler32("Wikipedia"), 0x11E60398u);
  EXPECT_EQ(png::crc32(""), 0u);
  EXPECT_EQ(png::adler32(""), 1u);
  EXPECT_EQ(png::crc32("6789", png::crc32("12345")), 0xCBF43926u);  // running
  EXPECT_EQ(png::adler32("pedia", png::adler32("Wiki")), 0x11E60398u);
  EXPECT_EQ(png::crc32("IEND"), 0xAE426082u);  // every PNG's last four bytes
  // Long enough for Adler-32's deferred modulo to matter (zlib.adler32 / zlib.crc32 of 100,000 0xFF).
  const std::string ff(100000, '\xff');
  EXPECT_EQ(png::adler32(ff), 0x149A302Cu);
  EXPECT_EQ(png::crc32(ff), 0x68C6CEC4u);
}

// A 2x2 image, red green / blue white, with a stored deflate block: every byte is fixed by the
// PNG and zlib specs. Computed with Python: zlib.compress(raw, 0) for the IDAT data,
// zlib.crc32 for each chunk's CRC, struct.pack for the big-endian fields.
TEST(Png, TwoByTwoStoredMatchesHandWorkedBytes) {
  const std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  const std::string exp = from_hex(
      "89504e470d0a1a0a"                          // signature
      "0000000d49484452"                          // IHDR, 13 bytes:
      "00000002000000020802000000"                //   2 x 2, depth 8, truecolour, deflate, filter 0, no interlace
      "fdd49a73"                                  //   CRC
      "0000001949444154"                          // IDAT, 25 bytes:
      "7801"                                      //   zlib header
      "010e00f1ff"                                //   final stored block, LEN 14, NLEN
      "00ff000000ff00"                            //   filter 0, red, green
      "000000ffffffff"                            //   filter 0, blue, white
      "1fee05fb"                                  //   Adler-32 of the 14 bytes
      "deddec2b"                                  //   CRC
      "0000000049454e44ae426082");                // IEND
  EXPECT_EQ(to_hex(png::encode_rgb(2, 2, rgb, Deflate::stored)), to_hex(exp));
  Canvas c(2, 2);
  c.set(0, 0, {255, 0, 0});
  c.set(1, 0, {0, 255, 0});
  c.set(0, 1, {0, 0, 255});
  EXPECT_EQ(to_hex(c.encode(Deflate::stored)), to_hex(exp));
}

// Fixed-Huffman streams worked out bit by bit (RFC 1951 3.2.6; bits fill each byte from its
// least significant end, Huffman codes go in most significant bit first).
TEST(Png, FixedHuffmanHandWorked) {
  // "a": BFINAL 1, BTYPE 01, literal 0x61 = code 0x30 + 0x61 = 10010001, end of block 0000000.
  // Byte for byte what zlib.compress(b"a", 1) writes; Adler-32 of "a" = 0x00620062.
  EXPECT_EQ(to_hex(png::zlib_compress("a")), "7801" "4b0400" "00620062");
  // "aaaaaaaaaa": literal 'a', then length 9 (symbol 263: 0000111, no extra bits) at distance 1
  // (distance code 0: 00000), end of block: 1 10 10010001 0000111 00000 0000000, 30 bits ->
  // 4b 84 03 00. (zlib itself writes two literals and a length-8 match here: 4b4c840100.)
  EXPECT_EQ(to_hex(png::zlib_compress("aaaaaaaaaa")), "7801" "4b840300" "14e103cb");
  // "abcabcabcabcabc": 3 literals, then length 12 (symbol 265: 0001001, one extra bit, 1: base
  // 11 + 1) at distance 3 (distance code 2: 00010), end of block, 43 bits -> 4b 4c 4a 46 46 00.
  //   1 10 | 10010001 10010010 10010011 | 0001001 1 | 00010 | 0000000
  EXPECT_EQ(to_hex(png::zlib_compress("abcabcabcabcabc")), "7801" "4b4c4a464600" "2df505bf");
  EXPECT_EQ(to_hex(png::zlib_compress("", Deflate::stored)), "7801" "010000ffff" "00000001");
}

TEST(Png, FontAndCanvas) {
  EXPECT_EQ(Canvas::text_width("", 2), 0);
  EXPECT_EQ(Canvas::text_width("ab", 1), 11);  // 5 + 1 + 5
  EXPECT_EQ(Canvas::text_width("ab", 2), 22);
  EXPECT_EQ(Canvas::text_height(2), 16);
  // Every printable character but the space draws something, inside its 5x8 cell.
  for (int ch = 0x21; ch <= 0x7E; ++ch) {
    Canvas c(8, 10);
    c.text(1, 1, std::string(1, static_cast<char>(ch)), {0, 0, 0});
    int ink = 0;
    for (int y = 0; y < 10; ++y)
      for (int x = 0; x < 8; ++x) {
        const bool dark = c.pixel(x, y) == Color{0, 0, 0};
        ink += dark;
        if (dark) {
          EXPECT_TRUE(x >= 1 && x < 6 && y >= 1 && y < 9) << "'" << static_cast<char>(ch) << "' at " << x << "," << y;
        }
      }
    EXPECT_GT(ink, 0) << "'" << static_cast<char>(ch) << "'";
  }
  Canvas c(10, 6, {1, 2, 3});
  EXPECT_EQ(c.pixel(9, 5), (Color{1, 2, 3}));
  c.fill_rect(8, 4, 20, 20, {9, 9, 9});  // clipped, no crash
  EXPECT_EQ(c.pixel(9, 5), (Color{9, 9, 9}));
  EXPECT_EQ(c.pixel(7, 5), (Color{1, 2, 3}));
  c.line(-5, -5, 30, 30, {7, 7, 7}, 3);
  EXPECT_EQ(c.pixel(2, 2), (Color{7, 7, 7}));
  EXPECT_EQ(png::hex(0x1f77b4), (Color{0x1f, 0x77, 0xb4}));
  EXPECT_THROW(c.pixel(10, 0), Error);
  EXPECT_THROW(png::encode_rgb(2, 2, {1, 2, 3}), Error);
}

// Runs /usr/bin/python3 on `script` with args; its exit code and output.
test::CommandResult python(const test::TempDir& dir, const std::string& script, const std::string& args) {
  const std::string path = dir.file("check.py");
  std::ofstream(path) << script;
  FILE* pipe = popen(("/usr/bin/python3 " + path + " " + args + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A PNG reader of its own: checks the signature, every chunk's CRC, IHDR (8-bit RGB, no interlace),
// inflates the IDAT data with zlib, undoes filter type 0 and prints "W H" and then the pixel at
// each x,y argument as "r g b".
const char* kPngReader = R"PY(
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "signature"
pos, chunks = 8, []
while pos < len(data):
    n, = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
    crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
    assert zlib.crc32(kind + body) == crc, ("crc", kind)
    chunks.append((kind, body))
    pos += 12 + n
assert pos == len(data) and chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
w, h, depth, ctype, comp, filt, inter = struct.unpack(">IIBBBBB", chunks[0][1])
assert (depth, ctype, comp, filt, inter) == (8, 2, 0, 0, 0)
raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
stride = 3 * w + 1
assert len(raw) == stride * h and all(raw[y * stride] == 0 for y in range(h))
print(w, h)
for arg in sys.argv[2:]:
    x, y = map(int, arg.split(","))
    i = y * stride + 1 + 3 * x
    print(*raw[i:i + 3])
)PY";

bool have_python() { return std::filesystem::exists("/usr/bin/python3"); }

TEST(Png, CanvasDecodesWithPythonZlib) {
  if (!have_python()) GTEST_SKIP() << "no /usr/bin/python3";
  test::TempDir tmp;
  Canvas c(301, 203, {250, 250, 250});  // odd sizes: rows are not multiples of anything
  c.fill_rect(10, 20, 110, 120, {31, 119, 180});
  c.line(0, 202, 300, 0, {255, 127, 14}, 2, 10, 6);
  c.fill_circle(200, 150, 20, {44, 160, 44});
  c.text(150, 10, "Accuracy 0.213 (k=8)", {34, 34, 34}, 2, png::Align::center);
  c.text(5, 190, "vertical", {0, 0, 0}, 2, png::Align::left, true);
  std::mt19937 rng(5);
  for (int i = 0; i < 500; ++i)  // noise, so the literals and all distances get exercised
    c.set(rng() % 301, rng() % 203, {static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng())});
  std::vector<std::pair<int, int>> probes = {{0, 0}, {10, 20}, {109, 119}, {110, 120}, {200, 150}, {300, 202}};
  for (int i = 0; i < 40; ++i) probes.emplace_back(rng() % 301, rng() % 203);
  std::string args, expected = "301 203\n";
  for (const auto& [x, y] : probes) {
    args += " " + std::to_string(x) + "," + std::to_string(y);
    const Color p = c.pixel(x, y);
    expected += std::to_string(p.r) + " " + std::to_string(p.g) + " " + std::to_string(p.b) + "\n";
  }
  for (Deflate mode : {Deflate::fixed, Deflate::stored}) {
    const std::string path = tmp.file("c.png");
    std::ofstream(path, std::ios::binary) << c.encode(mode);
    const auto r = python(tmp, kPngReader, path + args);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out, expected);
  }
  const std::string fixed = c.encode(Deflate::fixed), stored = c.encode(Deflate::stored);
  EXPECT_LT(fixed.size() * 4, stored.size());  // flat areas compress
  c.write(tmp.file("w.png"));
  std::ifstream in(tmp.file("w.png"), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), fixed);
}

// Streams longer than one stored block and than the 32 KiB window, with matches at every length
// and distance the fixed codes have: zlib.decompress must give the input back.
TEST(Png, ZlibStreamsDecodeWithPython) {
  if (!have_python()) GTEST_SKIP() << "no /usr/bin/python3";
  test::TempDir tmp;
  std::mt19937 rng(11);
  std::string data;
  while (data.size() < 300000) {
    const int kind = rng() % 3;
    if (kind == 0 || data.size() < 10) {
      for (int i = rng() % 20; i >= 0; --i) data.push_back(static_cast<char>(rng() % 7 == 0 ? rng() : 'a' + rng() % 4));
    } else {  // copy from up to 32 KiB back, up to 300 bytes (runs longer than 258 included)
      const size_t dist = 1 + rng() % std::min<size_t>(data.size(), kind == 1 ? 40 : 32768);
      const size_t len = 3 + rng() % 300;
      for (size_t i = 0; i < len; ++i) data.push_back(data[data.size() - dist]);
    }
  }
  std::ofstream(tmp.file("raw"), std::ios::binary) << data;
  std::ofstream(tmp.file("fixed.z"), std::ios::binary) << png::zlib_compress(data, Deflate::fixed);
  std::ofstream(tmp.file("stored.z"), std::ios::binary) << png::zlib_compress(data, Deflate::stored);
  const auto r = python(tmp, R"PY(
import sys, zlib
raw = open(sys.argv[1], "rb").read()
for path in sys.argv[2:]:
    z = open(path, "rb").read()
    assert z[:2] == b"\x78\x01" and zlib.decompress(z) == raw, path
    print(path.rsplit("/", 1)[1], len(z) < len(raw))
)PY",
                        tmp.file("raw") + " " + tmp.file("fixed.z") + " " + tmp.file("stored.z"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "fixed.z True\nstored.z False\n");
}

}  // namespace
}  // namespace spct
