// The coaching method (docs/coaching.md) on simulated athletes with a known truth: each row
// commands an asymmetry (or none) in the simulator, runs the whole core on the simulated device
// bytes, and checks the cues against what the method says for that truth.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/exercise_catalog.h"
#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "daemon/sim/session_spec.h"
#include "fusion/core/events.h"
#include "fusion/pipeline/session_pipeline.h"

namespace ambi::coaching {
namespace {

using fusion::CueKind;
using fusion::Metric;
using fusion::Side;

constexpr double kLatencyS = 0.004;

struct Expected {
  bool normal = false;                 // the "normal" cue and nothing else at the set's end
  std::optional<Side> start_side;      // kStartWithWeakerSide names this side
  std::optional<Metric> start_metric;  // ... for this metric (empty: any, or rep counts)
  int target_reps = 0;                 // ... with this target (0: not checked)
  bool match = false;                  // kMatchWeakerSideReps for the other side, same target
  std::optional<Side> stop_side;       // a kStopSet cue for this side (else none at all)
  std::optional<Side> lag_side;        // a kLeadLag cue naming this side as late
};

struct Row {
  std::string name;
  std::function<void(sim::SessionSpec&)> athlete;  // commands the truth on DefaultSpec(kind)
  sim::ExerciseKind kind = sim::ExerciseKind::kCurl;
  std::string exercise;  // catalog key
  Expected expected;
  // Optional edit of the planned reps (one odd rep); applied after planning.
  std::function<void(sim::SessionPlan&)> plan_edit;
};

class Sink : public fusion::EventSink {
 public:
  void OnEvent(const fusion::Event& event) override { events.push_back(event); }
  std::vector<fusion::Event> events;
};

const config::ExerciseCatalog& Catalog() {
  static const config::CatalogLoadResult loaded =
      config::ExerciseCatalog::LoadFile(AMBI_SOURCE_DIR "/data/exercises.toml");
  return *loaded.catalog;
}

// Both simulated devices' bytes, merged by arrival, through one SessionPipeline.
std::vector<fusion::Event> RunRow(const Row& row) {
  sim::SessionSpec spec = sim::DefaultSpec(row.kind);
  row.athlete(spec);
  sim::SessionPlan plan = sim::PlanSession(spec);
  if (row.plan_edit) row.plan_edit(plan);

  const fusion::Exercise* exercise = Catalog().Find(row.exercise);
  EXPECT_NE(exercise, nullptr) << row.exercise;
  fusion::SessionParams params;
  params.exercise = *exercise;
  params.mode = spec.mode;
  for (Side side : {Side::kLeft, Side::kRight}) {
    fusion::SensorConfig sensor;
    sensor.placement = {side, exercise->limb};
    sensor.nominal_rate_hz = spec.rate_hz;
    params.sensors.push_back(sensor);
  }
  Sink sink;
  fusion::SessionPipeline pipeline(params, &sink);
  std::array<sim::DeviceByteStream, 2> devices = {
      sim::DeviceByteStream(spec, plan, Side::kLeft, fusion::Protocol::kWitMotionSerial),
      sim::DeviceByteStream(spec, plan, Side::kRight, fusion::Protocol::kWitMotionSerial)};
  std::array<std::vector<std::uint8_t>, 2> bytes;
  std::array<double, 2> time_s{};
  std::array<bool, 2> has{};
  for (int i = 0; i < 2; ++i) has[i] = devices[i].Next(&bytes[i], &time_s[i]);
  fusion::Time last{};
  while (has[0] || has[1]) {
    const int i = !has[1] || (has[0] && time_s[0] <= time_s[1]) ? 0 : 1;
    last = fusion::TimeFromSeconds(time_s[i] + kLatencyS);
    pipeline.OnBytes(i, last, bytes[i]);
    has[i] = devices[i].Next(&bytes[i], &time_s[i]);
  }
  pipeline.Flush(last);
  return sink.events;
}

std::vector<fusion::Cue> CuesOf(const std::vector<fusion::Event>& events, CueKind kind) {
  std::vector<fusion::Cue> cues;
  for (const fusion::Event& e : events) {
    if (const auto* cue = std::get_if<fusion::Cue>(&e); cue != nullptr && cue->kind == kind) {
      cues.push_back(*cue);
    }
  }
  return cues;
}

std::string Describe(const std::vector<fusion::Event>& events) {
  std::string text;
  for (const fusion::Event& e : events) {
    if (const auto* s = std::get_if<fusion::SetSummary>(&e)) {
      text += "summary set " + std::to_string(s->set_index) + ":";
      for (const auto& m : s->metrics) {
        text += " " + std::string(fusion::ToString(m.metric)) + "=" +
                std::to_string(m.percent_difference) + (m.significant ? "*" : "") + "/" +
                std::string(fusion::ToString(m.band));
      }
      text += " lead=" + std::to_string(s->lead_lag.mean_lead_ms) + "\n";
    }
    if (const auto* c = std::get_if<fusion::Cue>(&e)) {
      text += "cue kind " + std::to_string(static_cast<int>(c->kind)) + " side " +
              (c->side ? std::string(fusion::ToString(*c->side)) : "-") + " target " +
              std::to_string(c->target_reps) + " value " + std::to_string(c->value_pct) + "\n";
    }
  }
  return text;
}

class CueTableTest : public ::testing::TestWithParam<Row> {};

TEST_P(CueTableTest, CuesFollowTheMethod) {
  const Row& row = GetParam();
  const std::vector<fusion::Event> events = RunRow(row);
  const Expected& want = row.expected;
  SCOPED_TRACE(Describe(events));

  // Invariants of every set: "normal" never beside another cue of the same set; a stop cue
  // never within the first three reps of its side.
  std::array<int, 2> last_rep{};
  for (const fusion::Event& e : events) {
    if (const auto* f = std::get_if<fusion::FatigueUpdate>(&e)) {
      last_rep[f->placement.side == Side::kLeft ? 0 : 1] = f->rep_index;
    }
    if (const auto* c = std::get_if<fusion::Cue>(&e);
        c != nullptr && c->kind == CueKind::kStopSet) {
      ASSERT_TRUE(c->side.has_value());
      EXPECT_GT(last_rep[*c->side == Side::kLeft ? 0 : 1], 3) << "stop cue in the first reps";
    }
  }
  for (const fusion::Cue& normal : CuesOf(events, CueKind::kAsymmetryNormal)) {
    for (const fusion::Event& e : events) {
      if (const auto* c = std::get_if<fusion::Cue>(&e)) {
        if (c->set_index == normal.set_index) {
          EXPECT_EQ(c->kind, CueKind::kAsymmetryNormal);
        }
      }
    }
  }

  const auto normal = CuesOf(events, CueKind::kAsymmetryNormal);
  EXPECT_EQ(!normal.empty(), want.normal);

  const auto start = CuesOf(events, CueKind::kStartWithWeakerSide);
  if (want.start_side) {
    ASSERT_EQ(start.size(), 1u);
    EXPECT_EQ(start[0].side, want.start_side);
    if (want.start_metric) {
      EXPECT_EQ(start[0].metric, want.start_metric);
    }
    if (want.target_reps > 0) {
      EXPECT_EQ(start[0].target_reps, want.target_reps);
    }
  } else {
    EXPECT_TRUE(start.empty());
  }

  const auto match = CuesOf(events, CueKind::kMatchWeakerSideReps);
  if (want.match) {
    ASSERT_EQ(match.size(), 1u);
    ASSERT_TRUE(want.start_side.has_value());
    EXPECT_EQ(match[0].side, fusion::OtherSide(*want.start_side));
    EXPECT_EQ(match[0].target_reps, start.at(0).target_reps);
  } else {
    EXPECT_TRUE(match.empty());
  }

  const auto stop = CuesOf(events, CueKind::kStopSet);
  if (want.stop_side) {
    ASSERT_EQ(stop.size(), 1u);
    EXPECT_EQ(stop[0].side, want.stop_side);
  } else {
    EXPECT_TRUE(stop.empty());
  }

  const auto lag = CuesOf(events, CueKind::kLeadLag);
  if (want.lag_side) {
    ASSERT_EQ(lag.size(), 1u);
    EXPECT_EQ(lag[0].side, want.lag_side);
    EXPECT_NEAR(lag[0].lag_ms, 150.0, 40.0);
  } else {
    EXPECT_TRUE(lag.empty());
  }
}

std::function<void(sim::SessionSpec&)> Seed(std::uint64_t seed) {
  return [seed](sim::SessionSpec& s) { s.seed = seed; };
}

std::function<void(sim::SessionSpec&)> RomDeficit(Side side, double pct, std::uint64_t seed) {
  return [=](sim::SessionSpec& s) {
    s.seed = seed;
    s.side(side).rom_deg *= 1.0 - pct / 100.0;
  };
}

Expected Normal() {
  Expected e;
  e.normal = true;
  return e;
}
Expected StartWith(Side side, std::optional<Metric> metric = Metric::kRom) {
  Expected e;
  e.start_side = side;
  e.start_metric = metric;
  return e;
}
Expected LagOf(Side side) {
  Expected e;
  e.lag_side = side;
  return e;
}
Expected StopFor(Side side, std::optional<Side> start_side) {
  Expected e;
  e.stop_side = side;
  e.start_side = start_side;
  return e;
}
Expected Unilateral(Side weaker, int target_reps) {
  Expected e = StartWith(weaker, std::nullopt);
  e.target_reps = target_reps;
  e.match = true;
  return e;
}

Row MakeRow(std::string name, std::function<void(sim::SessionSpec&)> athlete,
            sim::ExerciseKind kind, std::string exercise, Expected expected,
            std::function<void(sim::SessionPlan&)> plan_edit = nullptr) {
  Row row;
  row.name = std::move(name);
  row.athlete = std::move(athlete);
  row.kind = kind;
  row.exercise = std::move(exercise);
  row.expected = expected;
  row.plan_edit = std::move(plan_edit);
  return row;
}

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = [] {
    std::vector<Row> r;
    // Symmetric athletes: "normal" and nothing else, never a stop cue.
    for (std::uint64_t seed : {1, 2, 3}) {
      r.push_back(MakeRow("symmetric_curl_seed" + std::to_string(seed), Seed(seed),
                          sim::ExerciseKind::kCurl, "biceps_curl", Normal()));
    }
    r.push_back(MakeRow("symmetric_knee_extension", Seed(4), sim::ExerciseKind::kKneeExtension,
                        "leg_extension", Normal()));
    r.push_back(MakeRow("symmetric_lateral_raise", Seed(5), sim::ExerciseKind::kLateralRaise,
                        "lateral_raise", Normal()));
    // 10-20 % ROM deficits, either side, wrist and ankle: unilateral work, weaker side first.
    r.push_back(MakeRow("wrist_left_rom_minus_15", RomDeficit(Side::kLeft, 15, 11),
                        sim::ExerciseKind::kCurl, "biceps_curl", StartWith(Side::kLeft)));
    r.push_back(MakeRow("wrist_right_rom_minus_12", RomDeficit(Side::kRight, 12, 12),
                        sim::ExerciseKind::kCurl, "biceps_curl", StartWith(Side::kRight)));
    r.push_back(MakeRow("wrist_left_rom_minus_20_lateral_raise", RomDeficit(Side::kLeft, 20, 13),
                        sim::ExerciseKind::kLateralRaise, "lateral_raise", StartWith(Side::kLeft)));
    r.push_back(MakeRow("ankle_left_rom_minus_20", RomDeficit(Side::kLeft, 20, 14),
                        sim::ExerciseKind::kKneeExtension, "leg_extension",
                        StartWith(Side::kLeft)));
    r.push_back(MakeRow("ankle_right_rom_minus_12", RomDeficit(Side::kRight, 12, 15),
                        sim::ExerciseKind::kKneeExtension, "leg_extension",
                        StartWith(Side::kRight)));
    // A right side whose lifting phase is 25 % slower.
    r.push_back(MakeRow(
        "right_concentric_25_slower",
        [](sim::SessionSpec& s) {
          s.seed = 21;
          s.right.concentric_s *= 1.25;
        },
        sim::ExerciseKind::kCurl, "biceps_curl", StartWith(Side::kRight, Metric::kConcentricTime)));
    // The right side starting 150 ms late on every rep: the lead/lag cue, nothing else.
    r.push_back(MakeRow(
        "right_lags_150ms",
        [](sim::SessionSpec& s) {
          s.seed = 22;
          s.right_lag_ms = 150.0;
        },
        sim::ExerciseKind::kCurl, "biceps_curl", LagOf(Side::kRight)));
    // The weaker (left, 15 % short) side fatigues: a stop cue for it, then the recommendation.
    r.push_back(MakeRow(
        "weaker_left_fatigues",
        [](sim::SessionSpec& s) {
          s.seed = 23;
          s.left.rom_deg *= 0.85;
          s.left.fatigue_speed_loss_pct_per_rep = 5.0;
        },
        sim::ExerciseKind::kCurl, "biceps_curl", StopFor(Side::kLeft, Side::kLeft)));
    // A lateral raise whose left side fatigues, no ROM gap: the stop cue for it, never "normal"
    // after it; its slowing lift makes it the weaker side of the set too.
    r.push_back(MakeRow(
        "lateral_raise_left_fatigues",
        [](sim::SessionSpec& s) {
          s.seed = 24;
          s.left.fatigue_speed_loss_pct_per_rep = 6.0;
        },
        sim::ExerciseKind::kLateralRaise, "lateral_raise", StopFor(Side::kLeft, Side::kLeft)));
    // Unilateral rows: left 8 reps, right 11: the left side is weaker, its 8 reps the target.
    r.push_back(MakeRow(
        "unilateral_left_8_right_11",
        [](sim::SessionSpec& s) {
          s.seed = 25;
          s.mode = fusion::SetMode::kUnilateral;
          s.left.rep_count = 8;
          s.right.rep_count = 11;
        },
        sim::ExerciseKind::kCurl, "concentration_curl", Unilateral(Side::kLeft, 8)));
    r.push_back(MakeRow(
        "unilateral_right_7_left_10_right_first",
        [](sim::SessionSpec& s) {
          s.seed = 26;
          s.mode = fusion::SetMode::kUnilateral;
          s.unilateral_first_side = Side::kRight;
          s.left.rep_count = 10;
          s.right.rep_count = 7;
        },
        sim::ExerciseKind::kCurl, "concentration_curl", Unilateral(Side::kRight, 7)));
    // One noisy rep (rep 6 of the right side lifted 70 % slower): no stop, still normal.
    r.push_back(MakeRow("noisy_single_rep", Seed(27), sim::ExerciseKind::kCurl, "biceps_curl",
                        Normal(),
                        [](sim::SessionPlan& plan) { plan.right[5].first_phase_s *= 1.7; }));
    return r;
  }();
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Athletes, CueTableTest, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& row) { return row.param.name; });

}  // namespace
}  // namespace ambi::coaching
