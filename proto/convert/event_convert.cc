#include "proto/convert/event_convert.h"

#include <cmath>
#include <string_view>

#include "proto/convert/event_text.h"

namespace ambi::proto {
namespace {

using fusion::ToSeconds;

void Fill(const fusion::MetricComparison& in, v1::MetricComparison* out) {
  out->set_metric(ToProto(in.metric));
  out->set_left(in.left);
  out->set_right(in.right);
  out->set_percent_difference(in.percent_difference);
  out->set_symmetry_index_pct(in.symmetry_index_pct);
  out->set_weaker_side(ToProto(in.weaker_side));
  out->set_band(ToProto(in.band));
  out->set_significant(in.significant);
}

void Fill(const fusion::SideStats& in, v1::SideStats* out) {
  out->set_rep_count(static_cast<std::uint32_t>(in.rep_count));
  out->set_mean_rom_deg(in.mean_rom_deg);
  out->set_sd_rom_deg(in.sd_rom_deg);
  out->set_mean_concentric_s(in.mean_concentric_s);
  out->set_mean_eccentric_s(in.mean_eccentric_s);
  out->set_mean_peak_speed_deg_s(in.mean_peak_speed_deg_s);
  out->set_max_speed_loss_pct(in.max_speed_loss_pct);
}

v1::Cue::Kind CueKindToProto(fusion::CueKind kind) {
  switch (kind) {
    case fusion::CueKind::kStartWithWeakerSide:
      return v1::Cue::KIND_START_WITH_WEAKER_SIDE;
    case fusion::CueKind::kMatchWeakerSideReps:
      return v1::Cue::KIND_MATCH_WEAKER_SIDE_REPS;
    case fusion::CueKind::kStopSet:
      return v1::Cue::KIND_STOP_SET;
    case fusion::CueKind::kAsymmetryNormal:
      return v1::Cue::KIND_ASYMMETRY_NORMAL;
    case fusion::CueKind::kLeadLag:
      return v1::Cue::KIND_LEAD_LAG;
  }
  return v1::Cue::KIND_UNSPECIFIED;
}

v1::SensorStatus::Kind StatusKindToProto(fusion::SensorEventKind kind) {
  switch (kind) {
    case fusion::SensorEventKind::kGap:
      return v1::SensorStatus::KIND_GAP;
    case fusion::SensorEventKind::kLost:
      return v1::SensorStatus::KIND_LOST;
    case fusion::SensorEventKind::kBack:
      return v1::SensorStatus::KIND_BACK;
    case fusion::SensorEventKind::kBadData:
      return v1::SensorStatus::KIND_BAD_DATA;
  }
  return v1::SensorStatus::KIND_UNSPECIFIED;
}

struct EventFiller {
  v1::Event* out;

  void operator()(const fusion::SetStarted& in) const {
    v1::SetStarted* m = out->mutable_set_started();
    m->set_set_index(static_cast<std::uint32_t>(in.set_index));
    m->set_exercise(in.exercise);
    m->set_mode(ToProto(in.mode));
    m->set_limb(ToProto(in.limb));
    m->set_side(ToProto(in.side));
    m->set_t_s(ToSeconds(in.time));
    m->set_automatic(in.automatic);
  }
  void operator()(const fusion::Rep& in) const { ToProto(in, out->mutable_rep()); }
  void operator()(const fusion::RepPair& in) const {
    v1::RepPair* m = out->mutable_rep_pair();
    m->set_limb(ToProto(in.limb));
    m->set_set_index(static_cast<std::uint32_t>(in.set_index));
    m->set_pair_index(static_cast<std::uint32_t>(in.pair_index));
    ToProto(in.left, m->mutable_left());
    ToProto(in.right, m->mutable_right());
    for (const auto& metric : in.metrics) Fill(metric, m->add_metrics());
    m->set_lead_ms(in.lead_ms);
  }
  void operator()(const fusion::UnpairedRep& in) const {
    ToProto(in.rep, out->mutable_unpaired_rep()->mutable_rep());
  }
  void operator()(const fusion::FatigueUpdate& in) const {
    v1::FatigueUpdate* m = out->mutable_fatigue();
    m->set_side(ToProto(in.placement.side));
    m->set_limb(ToProto(in.placement.limb));
    m->set_set_index(static_cast<std::uint32_t>(in.set_index));
    m->set_rep_index(static_cast<std::uint32_t>(in.rep_index));
    m->set_t_s(ToSeconds(in.time));
    m->set_speed_loss_pct(in.speed_loss_pct);
    m->set_rom_loss_pct(in.rom_loss_pct);
  }
  void operator()(const fusion::Cue& in) const {
    v1::Cue* m = out->mutable_cue();
    m->set_kind(CueKindToProto(in.kind));
    m->set_t_s(ToSeconds(in.time));
    m->set_set_index(static_cast<std::uint32_t>(in.set_index));
    m->set_limb(ToProto(in.limb));
    m->set_side(ToProto(in.side));
    m->set_target_reps(static_cast<std::uint32_t>(in.target_reps));
    m->set_value_pct(in.value_pct);
    if (in.metric) m->set_metric(ToProto(*in.metric));
    m->set_reps_compared(static_cast<std::uint32_t>(in.reps_compared));
    m->set_other_reps(static_cast<std::uint32_t>(in.other_reps));
    m->set_lag_ms(in.lag_ms);
    // The sentence is rendered once, from the values, for clients that show text.
    m->set_message(CueSentence(*m));
  }
  void operator()(const fusion::SetSummary& in) const {
    v1::SetSummary* m = out->mutable_set_summary();
    m->set_set_index(static_cast<std::uint32_t>(in.set_index));
    m->set_exercise(in.exercise);
    m->set_mode(ToProto(in.mode));
    m->set_limb(ToProto(in.limb));
    m->set_start_s(ToSeconds(in.start));
    m->set_end_s(ToSeconds(in.end));
    if (in.left) Fill(*in.left, m->mutable_left());
    if (in.right) Fill(*in.right, m->mutable_right());
    m->set_compared_with_set_index(static_cast<std::uint32_t>(in.compared_with_set_index));
    // Nothing compared (one side only, or the first set of a unilateral pair): no metrics, rather
    // than four zeroed comparisons a client could read as measured.
    if (in.compared) {
      for (const auto& metric : in.metrics) Fill(metric, m->add_metrics());
    }
    m->set_weaker_side(ToProto(in.weaker_side));
    m->set_band(ToProto(in.band));
    m->set_significant(in.significant);
    m->set_not_working_side(ToProto(in.not_working_side));
    m->set_working_side(ToProto(in.working_side));
    v1::LeadLag* lead = m->mutable_lead_lag();
    lead->set_pairs(static_cast<std::uint32_t>(in.lead_lag.pairs));
    lead->set_mean_lead_ms(in.lead_lag.mean_lead_ms);
    lead->set_sd_ms(in.lead_lag.sd_ms);
    lead->set_lagging_side(ToProto(in.lead_lag.lagging_side));
    lead->set_band(ToProto(in.lead_lag.band));
    lead->set_significant(in.lead_lag.significant);
    const fusion::SetVerdict& verdict = in.verdict;
    v1::SetVerdict* v = m->mutable_verdict();
    v->set_judged(verdict.judged);
    v->set_gap(verdict.gap);
    v->set_weaker_side(ToProto(verdict.weaker_side));
    if (verdict.reason) v->set_reason(ToProto(*verdict.reason));
    v->set_reason_pct(verdict.reason_pct);
    v->set_target_reps(static_cast<std::uint32_t>(verdict.target_reps));
    v->set_stronger_reps(static_cast<std::uint32_t>(verdict.stronger_reps));
    v->set_lead_lag(verdict.lead_lag);
    v->set_stop_side(ToProto(verdict.stop_side));
    v->set_largest_pct(verdict.largest_pct);
    v->set_normal(verdict.normal());
    v->set_inconsistent(verdict.inconsistent);
  }
  void operator()(const fusion::SensorStatus& in) const {
    v1::SensorStatus* m = out->mutable_sensor_status();
    m->set_sensor_index(static_cast<std::uint32_t>(in.sensor_index));
    m->set_side(ToProto(in.placement.side));
    m->set_limb(ToProto(in.placement.limb));
    m->set_kind(StatusKindToProto(in.kind));
    m->set_t_s(ToSeconds(in.time));
    m->set_gap_s(ToSeconds(in.gap));
    m->set_missing_samples(in.missing_samples);
    m->set_bytes_discarded(in.bytes_discarded);
    m->set_values_wrong(in.values_wrong);
    m->set_detail(in.detail);
    m->set_rep_dropped(in.rep_dropped);
    m->set_bridged(in.bridged);
  }
};

}  // namespace

v1::Side ToProto(std::optional<fusion::Side> side) {
  if (!side) return v1::SIDE_UNSPECIFIED;
  return *side == fusion::Side::kLeft ? v1::SIDE_LEFT : v1::SIDE_RIGHT;
}

v1::Limb ToProto(fusion::Limb limb) {
  return limb == fusion::Limb::kWrist ? v1::LIMB_WRIST : v1::LIMB_ANKLE;
}

v1::SetMode ToProto(fusion::SetMode mode) {
  return mode == fusion::SetMode::kBilateral ? v1::SET_MODE_BILATERAL : v1::SET_MODE_UNILATERAL;
}

v1::Protocol ToProto(fusion::Protocol protocol) {
  switch (protocol) {
    case fusion::Protocol::kWitMotionSerial:
      return v1::PROTOCOL_WITMOTION_SERIAL;
    case fusion::Protocol::kWitMotionBle:
      return v1::PROTOCOL_WITMOTION_BLE;
    case fusion::Protocol::kAmbiSample:
      return v1::PROTOCOL_AMBI_SAMPLE;
  }
  return v1::PROTOCOL_UNSPECIFIED;
}

v1::Band ToProto(fusion::Band band) {
  switch (band) {
    case fusion::Band::kNotApplicable:
      return v1::BAND_NOT_APPLICABLE;
    case fusion::Band::kGreen:
      return v1::BAND_GREEN;
    case fusion::Band::kAmber:
      return v1::BAND_AMBER;
    case fusion::Band::kRed:
      return v1::BAND_RED;
  }
  return v1::BAND_UNSPECIFIED;
}

v1::Metric ToProto(fusion::Metric metric) {
  switch (metric) {
    case fusion::Metric::kRom:
      return v1::METRIC_ROM;
    case fusion::Metric::kConcentricTime:
      return v1::METRIC_CONCENTRIC_TIME;
    case fusion::Metric::kEccentricTime:
      return v1::METRIC_ECCENTRIC_TIME;
    case fusion::Metric::kPeakSpeed:
      return v1::METRIC_PEAK_SPEED;
  }
  return v1::METRIC_UNSPECIFIED;
}

std::optional<fusion::Side> FromProto(v1::Side side) {
  if (side == v1::SIDE_LEFT) return fusion::Side::kLeft;
  if (side == v1::SIDE_RIGHT) return fusion::Side::kRight;
  return std::nullopt;
}

std::optional<fusion::Limb> FromProto(v1::Limb limb) {
  if (limb == v1::LIMB_WRIST) return fusion::Limb::kWrist;
  if (limb == v1::LIMB_ANKLE) return fusion::Limb::kAnkle;
  return std::nullopt;
}

std::optional<fusion::SetMode> FromProto(v1::SetMode mode) {
  if (mode == v1::SET_MODE_BILATERAL) return fusion::SetMode::kBilateral;
  if (mode == v1::SET_MODE_UNILATERAL) return fusion::SetMode::kUnilateral;
  return std::nullopt;
}

std::optional<fusion::Protocol> FromProto(v1::Protocol protocol) {
  switch (protocol) {
    case v1::PROTOCOL_WITMOTION_SERIAL:
      return fusion::Protocol::kWitMotionSerial;
    case v1::PROTOCOL_WITMOTION_BLE:
      return fusion::Protocol::kWitMotionBle;
    case v1::PROTOCOL_AMBI_SAMPLE:
      return fusion::Protocol::kAmbiSample;
    default:
      break;
  }
  return std::nullopt;
}

void ToProto(const fusion::Rep& in, v1::Rep* out) {
  out->set_side(ToProto(in.placement.side));
  out->set_limb(ToProto(in.placement.limb));
  out->set_set_index(static_cast<std::uint32_t>(in.set_index));
  out->set_index(static_cast<std::uint32_t>(in.index));
  out->set_start_s(ToSeconds(in.start));
  out->set_turnaround_s(ToSeconds(in.turnaround));
  out->set_end_s(ToSeconds(in.end));
  out->set_rom_deg(in.rom_deg);
  out->set_concentric_s(in.concentric_s);
  out->set_eccentric_s(in.eccentric_s);
  out->set_pause_turnaround_s(in.pause_turnaround_s);
  out->set_pause_before_s(in.pause_before_s);
  out->set_peak_speed_deg_s(in.peak_speed_deg_s);
  out->set_peak_concentric_speed_deg_s(in.peak_concentric_speed_deg_s);
  out->set_bridged(in.bridged);
  out->set_stepped(in.stepped);
}

v1::Event ToProto(const fusion::Event& event) {
  v1::Event out;
  std::visit(EventFiller{&out}, event);
  return out;
}

}  // namespace ambi::proto
