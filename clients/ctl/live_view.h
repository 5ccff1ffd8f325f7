#ifndef AMBI_CLIENTS_CTL_LIVE_VIEW_H_
#define AMBI_CLIENTS_CTL_LIVE_VIEW_H_

#include <map>
#include <optional>
#include <string>

#include "ambi/v1/service.pb.h"

namespace ambi::ctl {

// A lead of the left or right side at the start of a rep is shown from this size on: below it
// both sides start together to the eye, and the rep-start detection itself jitters by a few
// samples (tens of ms at 50-100 Hz).
inline constexpr double kLeadShownFromMs = 80.0;

struct LiveViewOptions {
  bool colour = false;   // ANSI colours (a terminal that wants them)
  bool fatigue = false;  // show fatigue lines (hidden by default: one per rep and side)
};

// The readable live view: turns events into lines a coach can follow during a set, e.g.
//   alice  set 2 rep 5  forearm ROM  L 104.9°  R 118.2°  diff 11.2 % left weaker  tempo
//   L 1.1/1.4 s  R 1.0/1.3 s  left lags 140 ms
// with the difference in its band's colour. Keeps per-athlete state (the set's mode: single-side
// reps are shown only in unilateral sets, where no pair follows at once).
class LiveView {
 public:
  explicit LiveView(LiveViewOptions options) : options_(options) {}

  // The line for 'live', or nullopt when the event is not shown.
  std::optional<std::string> Line(const v1::LiveEvent& live);

 private:
  LiveViewOptions options_;
  std::map<std::string, v1::SetMode> mode_by_athlete_;
};

// One rep pair as a line (see LiveView); 'athlete' may be empty.
std::string RepPairLine(const std::string& athlete, const v1::RepPair& pair, bool colour);

// `watch --table`: one row per athlete, redrawn in place as events arrive.
class AthleteTable {
 public:
  void Update(const v1::LiveEvent& live);
  // The table (header + one row per athlete, sorted by name).
  std::string Render(bool colour) const;

 private:
  struct Row {
    std::uint32_t set_index = 0;
    std::string exercise;
    v1::Limb limb = v1::LIMB_UNSPECIFIED;
    std::uint32_t left_reps = 0;
    std::uint32_t right_reps = 0;
    double left_rom_deg = 0.0;
    double right_rom_deg = 0.0;
    double rom_difference_pct = 0.0;
    v1::Band band = v1::BAND_UNSPECIFIED;
    v1::Side weaker_side = v1::SIDE_UNSPECIFIED;
    bool have_pair = false;
    std::string last_cue;
    std::string sensors = "ok";
  };
  std::map<std::string, Row> rows_;
};

}  // namespace ambi::ctl

#endif  // AMBI_CLIENTS_CTL_LIVE_VIEW_H_
