#ifndef AMBI_CLIENTS_REPORT_HTML_PARTS_H_
#define AMBI_CLIENTS_REPORT_HTML_PARTS_H_

#include <string>
#include <string_view>
#include <vector>

namespace ambi::report {

// Text made safe for HTML content and attribute values.
std::string Escape(std::string_view text);
// The shortest text that reads back as exactly 'value' (data- attributes carry stored values).
std::string Exact(double value);
// Fixed decimals for people.
std::string Fixed(double value, int decimals);
// A catalog key as a title: "biceps_curl" -> "Biceps curl"; "(no exercise)" for "".
std::string ExerciseTitle(const std::string& key);

// The page around 'body': doctype, title, inline CSS (screen and print), no script.
std::string Page(const std::string& title, const std::string& body);

// Colours shared by charts and legends (left/right distinguishable without colour vision too:
// left is solid, right hatched-free lighter tone plus the legend's letters).
inline constexpr char kLeftColour[] = "#2f6db5";
inline constexpr char kRightColour[] = "#e08a1e";
inline constexpr char kGreenShade[] = "#e3f4e1";
inline constexpr char kAmberShade[] = "#fdf1d6";
inline constexpr char kRedShade[] = "#f9dcdc";
const char* BandFill(std::string_view band);  // "green" -> a solid colour for marks

// A chart's frame: plot area inside an SVG of width x height, with a y axis from 0 to y_max
// (ticks at a round step) and a title. Marks are added in plot coordinates through X()/Y().
class Chart {
 public:
  Chart(std::string css_class, std::string title, double width, double height, double y_max,
        std::string y_unit);
  double left() const { return kLeft; }
  double right() const { return width_ - kRight; }
  double top() const { return kTop; }
  double bottom() const { return height_ - kBottom; }
  double plot_width() const { return right() - left(); }
  double Y(double value) const;  // SVG y of a value
  // A horizontal band between two values, filled (the asymmetry bands).
  void Band(double from, double to, const char* fill, const std::string& label);
  // A label under the x axis at x.
  void XLabel(double x, const std::string& text);
  void Legend(const std::vector<std::pair<std::string, std::string>>& colour_and_text);
  void Add(const std::string& svg_element) { marks_ += svg_element; }
  std::string Svg() const;

 private:
  static constexpr double kLeft = 52;
  static constexpr double kRight = 12;
  static constexpr double kTop = 28;
  static constexpr double kBottom = 34;
  std::string css_class_;
  std::string title_;
  double width_;
  double height_;
  double y_max_;
  std::string y_unit_;
  std::string background_;
  std::string marks_;
  std::string labels_;
  std::string legend_;
};

// A round upper limit for an axis showing values up to 'value' (at least 'minimum').
double NiceMax(double value, double minimum);

}  // namespace ambi::report

#endif  // AMBI_CLIENTS_REPORT_HTML_PARTS_H_
