#include "fusion/reps/rep_screen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <optional>
#include <span>

#include "fusion/core/median.h"

namespace ambi::fusion {
namespace {

Side Other(Side side) { return side == Side::kLeft ? Side::kRight : Side::kLeft; }

double Seconds(Time a, Time b) { return ToSeconds(a - b); }

// Reps of a working side that make a set in which the other side is judged not working.
constexpr int kWorkingReps = 2;

// Angle between two movement axes (their signs are arbitrary), or 0 when either is not known.
double AxesApartDeg(const Vec3& a, const Vec3& b) {
  const double na = Norm(a);
  const double nb = Norm(b);
  if (!(na > 0.0) || !(nb > 0.0)) return 0.0;
  const double c = std::abs(Dot(a, b)) / (na * nb);
  return std::acos(std::min(1.0, c)) * 180.0 / std::numbers::pi;
}

}  // namespace

RepScreen::RepScreen(const RepScreenParams& params) : params_(params) {}

void RepScreen::StartRun(bool bilateral, bool two_sides, bool other_side_rests,
                         bool same_exercise) {
  bilateral_ = bilateral;
  two_sides_ = two_sides;
  other_side_rests_ = other_side_rests;
  for (std::size_t i = 0; i < sides_.size(); ++i) {
    SideState& s = sides_[i];
    LastRun& last = last_run_[i];
    if (!same_exercise) {
      last = LastRun{};
    } else if (s.rom_count > 0) {
      last.rom_deg = MedianRom(s);
      if (s.offset_count > 0) last.offset_m = MedianOffset(s);
    }
    const std::optional<Time> watermark = s.watermark;
    s = SideState{};
    s.watermark = watermark;
  }
}

void RepScreen::RecordPassed(SideState& s, const Rep& rep, const Vec3& offset_m) {
  s.roms[static_cast<std::size_t>(s.rom_count % kRoms)] = rep.rom_deg;
  ++s.rom_count;
  if (Dot(offset_m, offset_m) > 0.0) {
    const auto slot = static_cast<std::size_t>(s.offset_count % kRoms);
    s.offsets[0][slot] = offset_m.x;
    s.offsets[1][slot] = offset_m.y;
    s.offsets[2][slot] = offset_m.z;
    ++s.offset_count;
  }
}

double RepScreen::MedianRom(const SideState& s) const { return MedianOfFirst(s.roms, s.rom_count); }

Vec3 RepScreen::MedianOffset(const SideState& s) const {
  if (s.offset_count == 0) return {};
  return {MedianOfFirst(s.offsets[0], s.offset_count), MedianOfFirst(s.offsets[1], s.offset_count),
          MedianOfFirst(s.offsets[2], s.offset_count)};
}

bool RepScreen::AboutAnotherCentre(double rom_deg, const Vec3& offset_m, double set_rom_deg,
                                   const Vec3& set_offset_m) const {
  const double lever_m = Norm(offset_m);
  const double set_lever_m = Norm(set_offset_m);
  if (!(lever_m > 0.0 && set_lever_m > 0.0)) return false;
  return Norm(Sub(offset_m, set_offset_m)) >
             params_.edge_centre_apart_frac * std::max(lever_m, set_lever_m) &&
         rom_deg < params_.edge_centre_rom_frac * set_rom_deg;
}

void RepScreen::MarkAlone(Held& held) {
  held.size_known = true;
  held.handling = true;
  held.alone = true;
}

void RepScreen::AddSwing(Side side, const Rep& swing) { state(side).swings.Push(swing); }

void RepScreen::AddCarried(Side side, const Rep& movement) { state(side).carried.Push(movement); }

void RepScreen::Add(Side side, const Rep& rep, const RepRotation& rotation) {
  SideState& s = state(side);
  s.history.Push(rep);
  const LastRun& last_run = last_run_[side == Side::kLeft ? 0 : 1];
  if (s.rom_count == 0 && s.held_count == 0 &&
      rep.rom_deg < params_.between_sets_rom_frac * last_run.rom_deg) {
    // Before this run's first rep of this side, far smaller than the last set's: the weights
    // swaying in hand between sets. Not the run's edge either: its first rep is still to come
    // and is judged as the first (the pick-up rule).
    ++counts_.handling;
    Release(Other(side), /*ending=*/false);
    return;
  }
  // The rep held for its size waits for this one. The first rep of a run is handling when much
  // smaller than this one (picking the weights up); a later small rep followed by this one is
  // inside the set (a partial rep), not at its edge. First: before it the side passed no rep,
  // judged none handling and holds none; a walk's swings (gait) and a follower's rocks come
  // before a set, not in it.
  for (int i = 0; i < s.held_count; ++i) {
    Held& h = s.held[static_cast<std::size_t>(i)];
    if (h.size_known) continue;
    h.size_known = true;
    const bool first_of_run = i == 0 && s.passed == 0 && s.handling == 0;
    h.first_of_run = first_of_run;
    h.handling =
        first_of_run &&
        (AxesApartDeg(h.rotation.axis, rotation.axis) > params_.edge_axis_max_deg ||
         AboutAnotherCentre(h.rep.rom_deg, h.rotation.offset_m, rep.rom_deg, rotation.offset_m));
    h.small_first =
        first_of_run && !h.handling && h.rep.rom_deg < params_.edge_rom_frac * rep.rom_deg;
    if (first_of_run && h.rep.rom_deg < params_.edge_centre_rom_frac * rep.rom_deg) {
      s.well_under_first = h.rep.start;
    }
    if (!h.handling && !h.small_first) RecordPassed(s, h.rep, h.rotation.offset_m);
  }
  if (s.held_count == kHeld) {
    // Cannot happen while the other side's data comes (it waits seconds, not reps); decide the
    // oldest rather than grow.
    Release(side, /*ending=*/true);
  }
  Held held;
  held.rep = rep;
  held.rotation = rotation;
  // Passed at once when of the set's size and about its centre; else held for the next rep.
  const double set_rom_deg = s.rom_count > 0 ? MedianRom(s) : 0.0;
  const Vec3 set_offset_m = s.offset_count > 0 ? MedianOffset(s) : last_run.offset_m;
  if (s.rom_count > 0 && rep.rom_deg >= params_.edge_rom_frac * set_rom_deg &&
      !AboutAnotherCentre(rep.rom_deg, rotation.offset_m, set_rom_deg, set_offset_m)) {
    held.size_known = true;
    RecordPassed(s, rep, rotation.offset_m);
  }
  s.held[static_cast<std::size_t>(s.held_count++)] = held;
  Release(side, /*ending=*/false);
  Release(Other(side), /*ending=*/false);
}

void RepScreen::AdvanceTime(Side side, Time time) {
  SideState& s = state(side);
  s.watermark = time;
  if (s.held_count == 0 && state(Other(side)).held_count == 0) return;
  for (int i = 0; i < s.held_count; ++i) {
    Held& h = s.held[static_cast<std::size_t>(i)];
    // No next rep came: the edge of a set (or a movement alone).
    if (!h.size_known && Seconds(time, h.rep.end) > params_.run_end_rest_s) MarkAlone(h);
  }
  Release(side, /*ending=*/false);
  Release(Other(side), /*ending=*/false);
}

void RepScreen::EndRun() {
  // What still waits for its size is at the run's edge: handling, on both sides before either is
  // released (a rep beside the other side's handling goes with it).
  for (SideState& s : sides_) {
    for (int i = 0; i < s.held_count; ++i) {
      Held& h = s.held[static_cast<std::size_t>(i)];
      if (!h.size_known) MarkAlone(h);
    }
  }
  Release(Side::kLeft, /*ending=*/true);
  Release(Side::kRight, /*ending=*/true);
}

namespace {

// Whether two reps overlap in time.
bool Beside(const Rep& a, const Rep& b) { return a.end > b.start && a.start < b.end; }

// Whether two reps' ROMs lie within 'ratio_max' of each other.
bool Alike(const Rep& a, const Rep& b, double ratio_max) {
  const double smaller_deg = std::min(a.rom_deg, b.rom_deg);
  return smaller_deg > 0.0 && std::max(a.rom_deg, b.rom_deg) <= ratio_max * smaller_deg;
}

// The remembered rep closest to another by 'apart_s', which returns how far apart two reps are,
// or nothing when the rep does not qualify.
template <typename ApartS>
std::optional<Rep> Closest(std::span<const Rep> reps, ApartS apart_s) {
  std::optional<Rep> best;
  double best_s = 0.0;
  for (const Rep& r : reps) {
    const std::optional<double> s = apart_s(r);
    if (s && (!best || *s < best_s)) {
      best = r;
      best_s = *s;
    }
  }
  return best;
}

}  // namespace

std::optional<Rep> RepScreen::Overlapping(Side other, const Rep& rep) const {
  const SideState& o = state(other);
  return Closest(o.history.kept(), [&](const Rep& r) -> std::optional<double> {
    if (!Beside(r, rep)) return std::nullopt;
    return std::abs(Seconds(r.turnaround, rep.turnaround));
  });
}

std::optional<Rep> RepScreen::OverlappingSwing(Side other, const Rep& rep) const {
  const SideState& o = state(other);
  return Closest(o.swings.kept(), [&](const Rep& r) -> std::optional<double> {
    if (!Beside(r, rep)) return std::nullopt;
    return -r.rom_deg;  // the largest
  });
}

std::optional<Rep> RepScreen::Near(Side other, const Rep& rep) const {
  const SideState& o = state(other);
  return Closest(o.history.kept(), [&](const Rep& r) -> std::optional<double> {
    if (r.end <= rep.start) {
      const double apart_s = Seconds(rep.start, r.end);
      if (apart_s <= params_.follower_near_s) return apart_s;
    } else if (r.start >= rep.end) {
      const double apart_s = Seconds(r.start, rep.end);
      if (apart_s <= params_.partner_wait_s) return apart_s;
    }
    return std::nullopt;  // too far, or overlapping: Overlapping()'s case
  });
}

bool RepScreen::Continuous(Side side, const Rep& rep) const {
  const SideState& s = state(side);
  // Whether a movement in 'recent' ends where 'rep' begins ('before') or begins where it ends,
  // within gait_max_pause_s.
  auto next_to = [&](const RecentReps& recent, bool before) {
    for (const Rep& q : recent.kept()) {
      if (q.start == rep.start) continue;  // itself
      const double apart_s = before ? Seconds(rep.start, q.end) : Seconds(q.start, rep.end);
      if (std::abs(apart_s) <= params_.gait_max_pause_s) return true;
    }
    return false;
  };
  if (next_to(s.history, true) || next_to(s.history, false)) {
    return true;
  }
  // A movement carried elsewhere may be the step into or out of a lunge's stance: it takes one
  // on either side, as a walk's cycles have, for the rep to go on without rest.
  return next_to(s.carried, true) && next_to(s.carried, false);
}

bool RepScreen::AfterSwing(Side side, const Rep& rep) const {
  // A swing is known as one when it passes below the rest pose, before its far end: the next
  // movement begins up to a quarter swing later.
  const SideState& s = state(side);
  return Closest(s.swings.kept(),
                 [&](const Rep& q) -> std::optional<double> {
                   const double after_s = Seconds(rep.start, q.end);
                   if (after_s < -params_.gait_max_pause_s ||
                       after_s > 2.0 * params_.gait_max_pause_s) {
                     return std::nullopt;
                   }
                   return std::abs(after_s);
                 })
      .has_value();
}

bool RepScreen::PartnerKnown(Side other, const Rep& rep) const {
  const SideState& o = state(other);
  const SideState& s = state(Other(other));
  if (!o.watermark) return true;  // that side sent nothing: no partner to wait for
  if (Seconds(*o.watermark, rep.end) >= params_.partner_wait_s) return true;
  return s.watermark && Seconds(*s.watermark, *o.watermark) > params_.partner_silent_s;
}

RepScreen::PartnerRep RepScreen::PartnerPassed(Side other, const Rep& rep) const {
  const SideState& o = state(other);
  // Two first reps alike and both well under their sets' reps are both hands picking the
  // weights up: one passing by its size is no evidence for the other.
  const auto picked_up_with = [&](const Rep& q) {
    return o.well_under_first == q.start && Alike(q, rep, params_.edge_partner_rom_ratio_max);
  };
  for (int i = 0; i < o.held_count; ++i) {
    const Held& h = o.held[static_cast<std::size_t>(i)];
    if (!Beside(h.rep, rep)) continue;
    if (!h.size_known) return PartnerRep::kUndecided;
    // Not one small first rep waiting on another: neither is evidence for the other.
    if (!h.handling && !h.small_first && !picked_up_with(h.rep)) return PartnerRep::kYes;
  }
  for (const Rep& q : o.passed_reps.kept()) {
    if (Beside(q, rep) && !picked_up_with(q)) return PartnerRep::kYes;
  }
  return PartnerRep::kNo;
}

RepScreen::PartnerEdge RepScreen::PartnerHandling(Side other, const Rep& rep,
                                                  bool first_of_run) const {
  const SideState& o = state(other);
  auto alike = [&](const Rep& q) {
    return Beside(q, rep) && Alike(q, rep, params_.edge_partner_rom_ratio_max);
  };
  for (int i = 0; i < o.held_count; ++i) {
    const Held& h = o.held[static_cast<std::size_t>(i)];
    if (!alike(h.rep)) continue;
    // A small first rep is judged by this side's: this one waits for its verdict.
    if (!h.size_known || (first_of_run && h.small_first)) return PartnerEdge::kUndecided;
    if (h.alone || (first_of_run && h.first_of_run && h.handling)) return PartnerEdge::kHandling;
  }
  for (const Rep& q : o.put_downs.kept()) {
    if (alike(q)) return PartnerEdge::kHandling;
  }
  if (first_of_run) {
    for (const Rep& q : o.pick_ups.kept()) {
      if (alike(q)) return PartnerEdge::kHandling;
    }
  }
  return PartnerEdge::kNone;
}

ScreenVerdict RepScreen::CrossSideVerdict(Side side, const Rep& rep) const {
  // A rep that goes on without rest from the side's last gait swing is the walk going on.
  const SideState& s = state(side);
  if (bilateral_ && s.last_gait_end &&
      std::abs(Seconds(rep.start, *s.last_gait_end)) <= params_.gait_max_pause_s) {
    return ScreenVerdict::kGait;
  }
  // Beside the other arm's pendulum swing (it passed through the pose it rests in, as no rep
  // does), a rep that goes on without rest from the side's last movement is the other half of a
  // walk. (Mid-set, reps rest between them: a rep beside a swing the other side's detector made
  // of a rep it lost is not gait.)
  if (bilateral_ && (Continuous(side, rep) || AfterSwing(side, rep))) {
    const std::optional<Rep> swing = OverlappingSwing(Other(side), rep);
    if (swing && swing->rom_deg >= params_.follower_rom_frac * rep.rom_deg) {
      return ScreenVerdict::kGait;
    }
  }
  // A limb that stepped into its rep carries the body: it does not follow it.
  if (rep.stepped) return ScreenVerdict::kRep;
  const std::optional<Rep> other = Overlapping(Other(side), rep);
  if (!other) {
    const std::optional<Rep> near = Near(Other(side), rep);
    if (near && rep.rom_deg < params_.follower_rom_frac * near->rom_deg) {
      return ScreenVerdict::kFollowing;
    }
    return ScreenVerdict::kRep;
  }
  const double follower_frac = bilateral_          ? params_.follower_rom_frac
                               : other_side_rests_ ? params_.follower_resting_rom_frac
                                                   : params_.follower_unilateral_rom_frac;
  if (rep.rom_deg < follower_frac * other->rom_deg) return ScreenVerdict::kFollowing;
  // Gait swings without rest: a swing starts where the last one ended. (The other side's rep
  // is judged the same way when its turn comes; its neighbours may not be known yet.)
  if (bilateral_ && other->rom_deg >= params_.follower_rom_frac * rep.rom_deg &&
      Continuous(side, rep)) {
    const double mean_s = 0.5 * (Seconds(rep.end, rep.start) + Seconds(other->end, other->start));
    // The turnaround is the farthest point, which may lie anywhere in a hold at the top (a held
    // leg raise: one side's at the hold's start, the other's at its end): apart by no more than
    // the holds allow, the two turned together. A swing does not hold.
    const double holds_s = 0.5 * (rep.pause_turnaround_s + other->pause_turnaround_s);
    const double apart_s = std::abs(Seconds(rep.turnaround, other->turnaround)) - holds_s;
    if (apart_s > params_.antiphase_frac * mean_s) {
      return ScreenVerdict::kGait;
    }
  }
  return ScreenVerdict::kRep;
}

void RepScreen::Release(Side side, bool ending) {
  SideState& s = state(side);
  while (s.held_count > 0) {
    Held& h = s.held[0];
    if (h.small_first) {
      const PartnerRep partner =
          two_sides_ && bilateral_ ? PartnerPassed(Other(side), h.rep) : PartnerRep::kNo;
      if (partner == PartnerRep::kUndecided && !ending) break;  // judged with it
      h.small_first = false;
      h.handling = partner != PartnerRep::kYes;
      if (!h.handling) RecordPassed(s, h.rep, h.rotation.offset_m);
    }
    ScreenVerdict verdict = ScreenVerdict::kRep;
    if (!h.size_known && !ending) {
      // Gait and following need no size: decided once the other side's reps are known, so a
      // walk's last swing is not taken for the first rep of a set before the set's next rep.
      if (!two_sides_ || !PartnerKnown(Other(side), h.rep)) break;
      verdict = CrossSideVerdict(side, h.rep);
      if (verdict != ScreenVerdict::kGait && verdict != ScreenVerdict::kFollowing) break;
    } else {
      if (!h.size_known) MarkAlone(h);  // the run ends: nothing follows it
      if (h.handling) {
        verdict = ScreenVerdict::kHandling;
      } else if (two_sides_) {
        if (!ending && !PartnerKnown(Other(side), h.rep)) break;
        const PartnerEdge partner =
            bilateral_ ? PartnerHandling(Other(side), h.rep, h.first_of_run) : PartnerEdge::kNone;
        if (partner == PartnerEdge::kUndecided && !ending) break;  // judged with it
        verdict = partner == PartnerEdge::kHandling ? ScreenVerdict::kHandling
                                                    : CrossSideVerdict(side, h.rep);
      }
    }
    const Rep rep = h.rep;
    if (verdict == ScreenVerdict::kHandling && h.alone) s.put_downs.Push(rep);
    if (verdict == ScreenVerdict::kHandling && h.first_of_run) s.pick_ups.Push(rep);
    std::copy(s.held.begin() + 1, s.held.begin() + s.held_count, s.held.begin());
    --s.held_count;
    Emit(side, rep, verdict);
  }
}

void RepScreen::Emit(Side side, const Rep& rep, ScreenVerdict verdict) {
  SideState& s = state(side);
  switch (verdict) {
    case ScreenVerdict::kRep:
      ++counts_.passed;
      ++s.passed;
      s.passed_reps.Push(rep);
      if (out_count_ == kOut) {
        // Cannot happen when the caller pops after each call; keep the newest.
        std::copy(out_.begin() + 1, out_.end(), out_.begin());
        --out_count_;
      }
      out_[static_cast<std::size_t>(out_count_++)] = rep;
      return;
    case ScreenVerdict::kHandling:
      ++counts_.handling;
      ++s.handling;
      return;
    case ScreenVerdict::kGait:
      ++counts_.gait;
      s.last_gait_end = rep.end;
      s.rom_count = 0;  // the sizes judged so far were the walk's: the set's are learned afresh
      ++gait_[side == Side::kLeft ? 0 : 1];
      return;
    case ScreenVerdict::kFollowing:
      ++counts_.following;
      ++s.following;
      return;
  }
}

std::optional<Rep> RepScreen::Pop() {
  if (out_count_ == 0) return std::nullopt;
  const Rep rep = out_[0];
  std::copy(out_.begin() + 1, out_.begin() + out_count_, out_.begin());
  --out_count_;
  return rep;
}

std::optional<Time> RepScreen::HeldFrom(Side side) const {
  const SideState& s = state(side);
  if (s.held_count == 0) return std::nullopt;
  return s.held[0].rep.start;
}

bool RepScreen::NotWorking(Side side) const {
  return two_sides_ && state(side).passed == 0 && state(Other(side)).passed >= kWorkingReps;
}

}  // namespace ambi::fusion
