#include "clients/report/html_parts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ambi::report {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Exact(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string Fixed(double value, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string ExerciseTitle(const std::string& key) {
  if (key.empty()) return "(no exercise)";
  std::string text = key;
  std::replace(text.begin(), text.end(), '_', ' ');
  if (text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

const char* BandFill(std::string_view band) {
  if (band == "green") return "#3a9a3a";
  if (band == "amber") return "#d99a00";
  if (band == "red") return "#c8322f";
  return "#9a9a9a";
}

double NiceMax(double value, double minimum) {
  const double target = std::max(value, minimum);
  const double magnitude = std::pow(10.0, std::floor(std::log10(target)));
  for (const double step : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
    if (step * magnitude >= target) return step * magnitude;
  }
  return 10.0 * magnitude;
}

Chart::Chart(std::string css_class, std::string title, double width, double height, double y_max,
             std::string y_unit)
    : css_class_(std::move(css_class)),
      title_(std::move(title)),
      width_(width),
      height_(height),
      y_max_(y_max > 0 ? y_max : 1.0),
      y_unit_(std::move(y_unit)) {}

double Chart::Y(double value) const {
  const double clamped = std::clamp(value, 0.0, y_max_);
  return bottom() - clamped / y_max_ * (bottom() - top());
}

void Chart::Band(double from, double to, const char* fill, const std::string& label) {
  const double y_top = Y(to);
  const double y_bottom = Y(from);
  if (y_bottom - y_top <= 0) return;
  background_ += "<rect class=\"band\" data-band=\"" + Escape(label) + "\" data-from-pct=\"" +
                 Exact(from) + "\" x=\"" + Fixed(left(), 1) + "\" y=\"" + Fixed(y_top, 1) +
                 "\" width=\"" + Fixed(plot_width(), 1) + "\" height=\"" +
                 Fixed(y_bottom - y_top, 1) + "\" fill=\"" + fill + "\"/>";
}

void Chart::XLabel(double x, const std::string& text) {
  labels_ += "<text class=\"xl\" x=\"" + Fixed(x, 1) + "\" y=\"" + Fixed(bottom() + 14, 1) +
             "\" text-anchor=\"middle\">" + Escape(text) + "</text>";
}

void Chart::Legend(const std::vector<std::pair<std::string, std::string>>& colour_and_text) {
  double x = right();
  // Right-aligned: lay out from the right edge leftwards.
  for (auto it = colour_and_text.rbegin(); it != colour_and_text.rend(); ++it) {
    const double text_width = 6.5 * static_cast<double>(it->second.size());
    x -= text_width;
    legend_ +=
        "<text class=\"lg\" x=\"" + Fixed(x, 1) + "\" y=\"14\">" + Escape(it->second) + "</text>";
    x -= 14;
    legend_ += "<rect x=\"" + Fixed(x, 1) + "\" y=\"5\" width=\"10\" height=\"10\" fill=\"" +
               it->first + "\"/>";
    x -= 10;
  }
}

std::string Chart::Svg() const {
  std::string axis;
  // Four to six ticks at a round step.
  const double raw_step = y_max_ / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude;
  for (const double f : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (f * magnitude >= raw_step) {
      step = f * magnitude;
      break;
    }
  }
  for (double v = 0; v <= y_max_ + 1e-9; v += step) {
    const double y = Y(v);
    axis += "<line class=\"grid\" x1=\"" + Fixed(left(), 1) + "\" x2=\"" + Fixed(right(), 1) +
            "\" y1=\"" + Fixed(y, 1) + "\" y2=\"" + Fixed(y, 1) + "\"/>";
    axis += "<text class=\"yl\" x=\"" + Fixed(left() - 6, 1) + "\" y=\"" + Fixed(y + 4, 1) +
            "\" text-anchor=\"end\">" + Fixed(v, step < 1 ? 1 : 0) + "</text>";
  }
  axis += "<text class=\"unit\" x=\"4\" y=\"" + Fixed(top() - 8, 1) + "\">" + Escape(y_unit_) +
          "</text>";
  axis += "<line class=\"axis\" x1=\"" + Fixed(left(), 1) + "\" x2=\"" + Fixed(right(), 1) +
          "\" y1=\"" + Fixed(bottom(), 1) + "\" y2=\"" + Fixed(bottom(), 1) + "\"/>";
  return "<figure class=\"chart " + css_class_ + "\"><figcaption>" + Escape(title_) +
         "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
         Fixed(width_, 0) + " " + Fixed(height_, 0) + "\" width=\"" + Fixed(width_, 0) +
         "\" height=\"" + Fixed(height_, 0) + "\" role=\"img\" aria-label=\"" + Escape(title_) +
         "\">" + background_ + axis + marks_ + labels_ + legend_ + "</svg></figure>";
}

std::string Page(const std::string& title, const std::string& body) {
  static constexpr char kCss[] = R"css(
:root { --ink: #1d2330; --muted: #5b6474; --rule: #d7dbe2; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink);
       margin: 24px auto; max-width: 760px; padding: 0 16px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 22px 0 6px; border-bottom: 1px solid var(--rule); padding-bottom: 3px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
p.meta { color: var(--muted); margin: 0 0 10px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--rule); text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
th { color: var(--muted); font-weight: 600; }
.band-green { color: #25762a; font-weight: 600; }
.band-amber { color: #9a6a00; font-weight: 600; }
.band-red { color: #b0261f; font-weight: 600; }
figure.chart { margin: 8px 0 12px; }
figure.chart figcaption { font-size: 13px; color: var(--muted); margin-bottom: 2px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px "DejaVu Sans", Arial, sans-serif; fill: var(--ink); }
svg .grid { stroke: #e6e9ee; stroke-width: 1; }
svg .axis { stroke: #8a93a3; stroke-width: 1; }
svg .aim { stroke: #1d2330; stroke-width: 2; stroke-dasharray: 5 3; }
svg .unit { fill: var(--muted); }
ul.cues, ul.notes { margin: 4px 0 10px; padding-left: 20px; }
.none { color: var(--muted); font-style: italic; }
.summary li { margin-bottom: 3px; }
section.set { padding-top: 4px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; }
  section.set, section.page { break-before: page; }
  figure.chart, table { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
)css";
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         Escape(title) + "</title><style>" + kCss + "</style></head><body>\n" + body +
         "\n</body></html>\n";
}

}  // namespace ambi::report
