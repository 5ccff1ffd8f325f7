#include "clients/watch/event_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ambi::watch {
namespace {

using ::testing::HasSubstr;

v1::LiveEvent WithAthlete(const std::string& athlete) {
  v1::LiveEvent live;
  live.mutable_event()->set_athlete(athlete);
  return live;
}

TEST(EventLineTest, RepPairReadsAsTheCoachSeesIt) {
  v1::LiveEvent live = WithAthlete("alice");
  v1::RepPair* pair = live.mutable_event()->mutable_rep_pair();
  pair->set_set_index(2);
  pair->set_pair_index(5);
  pair->mutable_left()->set_rom_deg(118.24);
  pair->mutable_right()->set_rom_deg(104.92);
  pair->set_lead_ms(40.2);
  v1::MetricComparison* tempo = pair->add_metrics();
  tempo->set_metric(v1::METRIC_CONCENTRIC_TIME);
  tempo->set_percent_difference(50);
  v1::MetricComparison* rom = pair->add_metrics();
  rom->set_metric(v1::METRIC_ROM);
  rom->set_percent_difference(11.26);
  rom->set_band(v1::BAND_AMBER);
  rom->set_weaker_side(v1::SIDE_RIGHT);
  EXPECT_EQ(DescribeLiveEvent(live),
            "alice  set 2 rep 5  L 118.2°  R 104.9°  ROM diff 11.3 % (amber, right weaker)  "
            "lead L 40 ms");
  pair->set_lead_ms(-12.6);
  EXPECT_THAT(DescribeLiveEvent(live), HasSubstr("lead R 13 ms"));
}

TEST(EventLineTest, EveryKindGetsALine) {
  v1::LiveEvent cue = WithAthlete("bob");
  cue.mutable_event()->mutable_cue()->set_message("start with the right side");
  EXPECT_EQ(DescribeLiveEvent(cue), "bob  CUE  start with the right side");

  v1::LiveEvent rep = WithAthlete("bob");
  rep.mutable_event()->mutable_rep()->set_side(v1::SIDE_LEFT);
  rep.mutable_event()->mutable_rep()->set_limb(v1::LIMB_ANKLE);
  rep.mutable_event()->mutable_rep()->set_index(3);
  rep.mutable_event()->mutable_rep()->set_rom_deg(61.04);
  EXPECT_THAT(DescribeLiveEvent(rep), HasSubstr("left ankle rep 3  ROM 61.0°"));

  v1::LiveEvent summary = WithAthlete("bob");
  v1::SetSummary* set = summary.mutable_event()->mutable_set_summary();
  set->set_set_index(1);
  set->set_exercise("biceps_curl");
  set->mutable_left()->set_rep_count(10);
  set->mutable_right()->set_rep_count(9);
  set->set_band(v1::BAND_RED);
  set->set_weaker_side(v1::SIDE_LEFT);
  set->set_significant(true);
  EXPECT_THAT(DescribeLiveEvent(summary), HasSubstr("set 1 done  biceps_curl  reps L 10 / R 9"));
  EXPECT_THAT(DescribeLiveEvent(summary), HasSubstr("(red, left weaker, significant)"));

  // The set's band came from the tempo: the ROM figure keeps its own verdict.
  v1::MetricComparison* set_rom = set->add_metrics();
  set_rom->set_metric(v1::METRIC_ROM);
  set_rom->set_percent_difference(5.46);
  set_rom->set_band(v1::BAND_GREEN);
  set_rom->set_weaker_side(v1::SIDE_LEFT);
  v1::MetricComparison* set_tempo = set->add_metrics();
  set_tempo->set_metric(v1::METRIC_CONCENTRIC_TIME);
  set_tempo->set_percent_difference(27.04);
  set_tempo->set_band(v1::BAND_RED);
  set_tempo->set_weaker_side(v1::SIDE_LEFT);
  set_tempo->set_significant(true);
  EXPECT_THAT(DescribeLiveEvent(summary),
              HasSubstr("ROM diff 5.5 % (green, left weaker)  worst concentric time 27.0 % "
                        "(red, left weaker, significant)"));
  set_tempo->set_band(v1::BAND_GREEN);
  EXPECT_THAT(DescribeLiveEvent(summary),
              ::testing::EndsWith("ROM diff 5.5 % (green, left weaker)"));

  v1::LiveEvent lost = WithAthlete("bob");
  lost.mutable_event()->mutable_sensor_status()->set_kind(v1::SensorStatus::KIND_GAP);
  lost.mutable_event()->mutable_sensor_status()->set_side(v1::SIDE_RIGHT);
  lost.mutable_event()->mutable_sensor_status()->set_limb(v1::LIMB_WRIST);
  lost.mutable_event()->mutable_sensor_status()->set_gap_s(0.52);
  lost.mutable_event()->mutable_sensor_status()->set_missing_samples(26);
  EXPECT_EQ(DescribeLiveEvent(lost), "bob  right wrist sensor: gap 0.52 s, 26 samples missing");

  // Wrong values are not bytes skipped: the line says so and names what is wrong.
  v1::LiveEvent wrong = WithAthlete("bob");
  v1::SensorStatus* status = wrong.mutable_event()->mutable_sensor_status();
  status->set_kind(v1::SensorStatus::KIND_BAD_DATA);
  status->set_side(v1::SIDE_LEFT);
  status->set_limb(v1::LIMB_WRIST);
  status->set_values_wrong(true);
  status->set_detail("gyroscope reads a steady 13.0 deg/s while the sensor is still");
  EXPECT_EQ(DescribeLiveEvent(wrong),
            "bob  left wrist sensor: wrong values (gyroscope reads a steady 13.0 deg/s while the "
            "sensor is still)");
  status->set_values_wrong(false);
  status->set_bytes_discarded(12);
  status->set_detail("bytes skipped while resynchronising");
  EXPECT_EQ(DescribeLiveEvent(wrong),
            "bob  left wrist sensor: bad data, 12 bytes skipped (bytes skipped while "
            "resynchronising)");

  v1::LiveEvent started = WithAthlete("bob");
  started.mutable_event()->mutable_set_started()->set_set_index(4);
  started.mutable_event()->mutable_set_started()->set_exercise("lunge");
  started.mutable_event()->mutable_set_started()->set_mode(v1::SET_MODE_UNILATERAL);
  started.mutable_event()->mutable_set_started()->set_side(v1::SIDE_LEFT);
  started.mutable_event()->mutable_set_started()->set_automatic(true);
  EXPECT_EQ(DescribeLiveEvent(started), "bob  set 4 started  lunge, unilateral left (detected)");

  EXPECT_EQ(DescribeLiveEvent(v1::LiveEvent()), "-  (empty event)");
}

TEST(EventLineTest, ParsesKindsAsPeopleTypeThem) {
  EXPECT_EQ(ParseEventKind("rep_pair"), v1::EVENT_KIND_REP_PAIR);
  EXPECT_EQ(ParseEventKind("rep-pair"), v1::EVENT_KIND_REP_PAIR);
  EXPECT_EQ(ParseEventKind("EVENT_KIND_CUE"), v1::EVENT_KIND_CUE);
  EXPECT_EQ(ParseEventKind("Sensor_Status"), v1::EVENT_KIND_SENSOR_STATUS);
  EXPECT_EQ(ParseEventKind("unspecified"), std::nullopt);
  EXPECT_EQ(ParseEventKind("reps"), std::nullopt);
  EXPECT_THAT(EventKindNames(), HasSubstr("set_started, rep, rep_pair"));
}

}  // namespace
}  // namespace ambi::watch
