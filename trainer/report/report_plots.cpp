#include "trainer/report/report_plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/png.h"

namespace spct {
namespace {
using nlohmann::json;
using png::Align;
using png::Canvas;
using png::Color;
using png::hex;

const Color kInk = hex(0x222222), kAxis = hex(0x555555), kGrid = hex(0xe3e3e3);
const Color kBlue = hex(0x1f77b4), kOrange = hex(0xff7f0e), kGreen = hex(0x2ca02c), kGray = hex(0x808080);
constexpr int kText = 2;       // font scale of every label: 10x16-pixel glyphs
constexpr double kYMax = 1.1;  // accuracy axis 0..1 with headroom for the label of a bar at 1

// (k, accuracy) rows of `method` with an accuracy, sorted by k (scripts/compare_runs.py's reading).
std::vector<std::pair<int, double>> series(const std::optional<json>& results, const std::string& method) {
  std::vector<std::pair<int, double>> pts;
  if (!results) return pts;
  for (const auto& m : (*results)["methods"]) {
    if (m.value("method", "") != method || !m.contains("overall")) continue;
    const json& o = m["overall"];
    if (o.contains("accuracy") && o["accuracy"].is_number()) pts.emplace_back(m.value("k", 0), o["accuracy"].get<double>());
  }
  std::sort(pts.begin(), pts.end());
  return pts;
}

// The accuracy of `method` at k, or at its largest k when k is 0.
std::optional<double> value(const std::optional<json>& results, const std::string& method, int k = 0) {
  const auto pts = series(results, method);
  if (pts.empty()) return std::nullopt;
  if (k == 0) return pts.back().second;
  for (const auto& [pk, v] : pts)
    if (pk == k) return v;
  return std::nullopt;
}

std::string label(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *v);
  return buf;
}

struct Legend {
  std::string name;
  Color color;
  bool line = false;  // a line (with marker) rather than a filled box
  int dash_on = 0, dash_off = 0;
  char marker = 0;  // 'o', 's' or none
};

void marker(Canvas& c, char kind, double x, double y, Color color) {
  if (kind == 'o') c.fill_circle(x, y, 4.5, color);
  if (kind == 's') c.fill_rect(static_cast<int>(std::lround(x)) - 4, static_cast<int>(std::lround(y)) - 4,
                               static_cast<int>(std::lround(x)) + 5, static_cast<int>(std::lround(y)) + 5, color);
}

// The plot area of a chart and its accuracy axis.
struct Frame {
  int left, top, right, bottom;
  int y_of(double v) const { return bottom - static_cast<int>(std::lround(v / kYMax * (bottom - top))); }
  int width() const { return right - left; }
};

// Title, legend row, axis labels, the accuracy grid, ticks and the frame; returns the plot area.
// The data goes on top, so a line at 0 stays visible over the axis.
Frame begin_chart(Canvas& c, const std::string& title, const std::string& xlabel, const std::string& ylabel,
                  const std::vector<Legend>& legend) {
  const int th = Canvas::text_height(kText);
  c.text(c.width() / 2, 12, title, kInk, kText, Align::center);
  c.text(c.width() / 2 + 1, 12, title, kInk, kText, Align::center);  // bold
  Frame f{88, legend.empty() ? 48 : 76, c.width() - 24, c.height() - 66};
  if (!legend.empty()) {
    constexpr int kSwatch = 30, kGap = 8, kSep = 28;
    int total = 0;
    for (const auto& e : legend) total += kSwatch + kGap + Canvas::text_width(e.name, kText) + kSep;
    int x = (c.width() - (total - kSep)) / 2;
    const int y = 44, mid = y + 7;
    for (const auto& e : legend) {
      if (e.line) {
        c.line(x, mid, x + kSwatch, mid, e.color, 2, e.dash_on, e.dash_off);
        marker(c, e.marker, x + kSwatch / 2.0, mid, e.color);
      } else {
        c.fill_rect(x + 6, mid - 8, x + kSwatch - 6, mid + 9, e.color);
      }
      x += kSwatch + kGap;
      c.text(x, y, e.name, kInk, kText);
      x += Canvas::text_width(e.name, kText) + kSep;
    }
  }
  for (int i = 0; i <= 5; ++i) {  // 0.0, 0.2, ..., 1.0
    const double v = i / 5.0;
    const int y = f.y_of(v);
    if (i > 0) c.fill_rect(f.left, y, f.right, y + 1, kGrid);
    c.fill_rect(f.left - 6, y, f.left, y + 1, kAxis);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    c.text(f.left - 10, y - 7, buf, kInk, kText, Align::right);
  }
  c.text(12, (f.top + f.bottom) / 2, ylabel, kInk, kText, Align::center, /*vertical=*/true);
  c.text((f.left + f.right) / 2, c.height() - 8 - th, xlabel, kInk, kText, Align::center);
  c.rect(f.left, f.top, f.right + 1, f.bottom + 1, kAxis);
  return f;
}

void x_tick(Canvas& c, const Frame& f, int x, const std::string& text) {
  c.fill_rect(x, f.bottom, x + 1, f.bottom + 6, kAxis);
  c.text(x, f.bottom + 10, text, kInk, kText, Align::center);
}

// A bar from 0 to v (nothing where v is missing) with its value above it, in the largest font
// scale that fits the bar's width.
void bar(Canvas& c, const Frame& f, int x0, int x1, const std::optional<double>& v, Color color) {
  const double h = std::clamp(v.value_or(0.0), 0.0, 1.0);
  if (h > 0) c.fill_rect(x0, f.y_of(h), x1, f.bottom, color);
  const std::string text = label(v);
  const int scale = Canvas::text_width(text, kText) <= x1 - x0 + 6 ? kText : 1;
  c.text((x0 + x1) / 2, f.y_of(h) - 4 - Canvas::text_height(scale), text, kInk, scale, Align::center);
}

NamedResults present(const NamedResults& all) {
  NamedResults out;
  for (const auto& r : all)
    if (r.second) out.push_back(r);
  return out;
}

void plot_stages(const NamedResults& stages, const std::string& out) {
  Canvas c(640, 440);
  const Frame f = begin_chart(c, "Accuracy by stage (greedy)", "stage", "accuracy (greedy)", {});
  const double slot = static_cast<double>(f.width()) / stages.size();
  for (size_t i = 0; i < stages.size(); ++i) {
    const int mid = f.left + static_cast<int>(std::lround((i + 0.5) * slot));
    const int half = static_cast<int>(std::min(slot * 0.3, 70.0));
    bar(c, f, mid - half, mid + half, value(stages[i].second, "greedy", 1), kBlue);
    x_tick(c, f, mid, stages[i].first);
  }
  c.write(out);
}

void plot_k(const std::optional<json>& res, const std::string& out) {
  struct Curve {
    const char* method;
    Legend style;
  };
  const std::vector<Curve> curves = {{"voting", {"Voting@k", kBlue, true, 0, 0, 'o'}},
                                     {"metarm", {"MetaRM@k", kOrange, true, 10, 6, 's'}}};
  std::vector<Legend> legend;
  std::set<int> ks;
  for (const auto& cv : curves) {
    const auto pts = series(res, cv.method);
    if (pts.empty()) continue;
    legend.push_back(cv.style);
    for (const auto& p : pts) ks.insert(std::max(p.first, 1));
  }
  const auto greedy = value(res, "greedy", 1);
  const Legend greedy_style{"greedy", kGray, true, 3, 4, 0};
  if (greedy) legend.push_back(greedy_style);

  Canvas c(720, 440);
  const Frame f = begin_chart(c, "Inference-time scaling", "k (sampled judgments)", "accuracy", legend);
  double lo = ks.empty() ? 0 : std::log2(*ks.begin()), hi = ks.empty() ? 3 : std::log2(*ks.rbegin());
  if (hi - lo < 1) lo -= 0.5, hi += 0.5;
  const double pad = (hi - lo) * 0.06;
  lo -= pad, hi += pad;
  auto x_of = [&](int k) { return f.left + (std::log2(std::max(k, 1)) - lo) / (hi - lo) * f.width(); };
  for (int k : ks) {
    const int x = static_cast<int>(std::lround(x_of(k)));
    c.fill_rect(x, f.top + 1, x + 1, f.bottom, kGrid);
    x_tick(c, f, x, std::to_string(k));
  }
  if (greedy) c.line(f.left, f.y_of(*greedy), f.right, f.y_of(*greedy), kGray, 2, 3, 4);
  for (const auto& cv : curves) {
    const auto pts = series(res, cv.method);
    for (size_t i = 0; i + 1 < pts.size(); ++i)
      c.line(x_of(pts[i].first), f.y_of(pts[i].second), x_of(pts[i + 1].first), f.y_of(pts[i + 1].second),
             cv.style.color, 2, cv.style.dash_on, cv.style.dash_off);
    for (const auto& [k, v] : pts) marker(c, cv.style.marker, x_of(k), f.y_of(v), cv.style.color);
  }
  c.write(out);
}

void plot_modes(const NamedResults& modes, const std::string& out) {
  const std::vector<std::pair<const char*, Legend>> methods = {
      {"greedy", {"greedy", kBlue}}, {"voting", {"Voting@k", kOrange}}, {"metarm", {"MetaRM@k", kGreen}}};
  std::vector<Legend> legend;
  for (const auto& m : methods) legend.push_back(m.second);
  Canvas c(880, 440);
  const Frame f = begin_chart(c, "Principle modes (largest k)", "principles", "accuracy", legend);
  const double slot = static_cast<double>(f.width()) / modes.size();
  const double bar_w = std::min(slot * 0.9 / methods.size(), 80.0);
  for (size_t i = 0; i < modes.size(); ++i) {
    const double mid = f.left + (i + 0.5) * slot;
    for (size_t j = 0; j < methods.size(); ++j) {
      const double x0 = mid + (static_cast<double>(j) - methods.size() / 2.0) * bar_w;
      bar(c, f, static_cast<int>(std::lround(x0)) + 1, static_cast<int>(std::lround(x0 + bar_w)) - 1,
          value(modes[i].second, methods[j].first), methods[j].second.color);
    }
    x_tick(c, f, static_cast<int>(std::lround(mid)), modes[i].first);
  }
  c.write(out);
}

}  // namespace

std::vector<std::string> write_report_plots(const std::string& run_dir, const NamedResults& stages,
                                            const NamedResults& modes) {
  std::vector<std::string> written;
  if (const auto s = present(stages); !s.empty()) {
    plot_stages(s, written.emplace_back(run_dir + "/report_stages.png"));
  }
  if (!modes.empty() && modes[0].second) plot_k(modes[0].second, written.emplace_back(run_dir + "/report_k.png"));
  if (const auto m = present(modes); !m.empty()) plot_modes(m, written.emplace_back(run_dir + "/report_modes.png"));
  return written;
}

}  // namespace spct
