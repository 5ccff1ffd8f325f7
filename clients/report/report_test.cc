#include "clients/report/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "clients/report/html_parts.h"
#include "clients/report/weekly_summary.h"

namespace ambi::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::GetSessionResponse TwoSetSession() {
  v1::GetSessionResponse session;
  session.mutable_session()->set_session_id("2026-11-02T10:00:00.000Z");
  session.mutable_session()->set_athlete("alice <A&B>");
  session.mutable_session()->set_start_unix_ns(1793613600LL * 1'000'000'000);
  for (std::uint32_t s = 1; s <= 2; ++s) {
    v1::SetSummary* set = session.add_sets();
    set->set_set_index(s);
    set->set_exercise("biceps_curl");
    set->set_mode(v1::SET_MODE_BILATERAL);
    set->set_limb(v1::LIMB_WRIST);
    v1::MetricComparison* rom = set->add_metrics();
    rom->set_metric(v1::METRIC_ROM);
    rom->set_percent_difference(s == 1 ? 12.25 : 4.5);
    rom->set_band(s == 1 ? v1::BAND_AMBER : v1::BAND_GREEN);
    set->mutable_left()->set_max_speed_loss_pct(21.5);
    for (std::uint32_t p = 1; p <= 3; ++p) {
      v1::RepPair* pair = session.add_rep_pairs();
      pair->set_set_index(s);
      pair->set_pair_index(p);
      pair->mutable_left()->set_side(v1::SIDE_LEFT);
      pair->mutable_left()->set_rom_deg(100.0 + p + 0.123456789);
      pair->mutable_left()->set_concentric_s(1.25);
      pair->mutable_left()->set_eccentric_s(1.5);
      pair->mutable_right()->set_side(v1::SIDE_RIGHT);
      pair->mutable_right()->set_rom_deg(110.0 + p);
    }
  }
  v1::Cue* cue = session.add_cues();
  cue->set_set_index(1);
  cue->set_message("Start the next set with the left side");
  v1::SensorStatus* gap = session.add_sensor_events();
  gap->set_kind(v1::SensorStatus::KIND_GAP);
  gap->set_side(v1::SIDE_RIGHT);
  gap->set_limb(v1::LIMB_WRIST);
  gap->set_gap_s(0.4);
  gap->set_missing_samples(20);
  return session;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SessionReportTest, MarksCarryTheStoredValuesExactly) {
  const std::string html = SessionReportHtml(TwoSetSession());
  EXPECT_EQ(Count(html, "class=\"rom-bar\""), 12);
  EXPECT_THAT(html, HasSubstr("data-set=\"1\" data-pair=\"2\" data-side=\"left\" "
                              "data-rom-deg=\"" +
                              Exact(102.123456789) + "\""));
  EXPECT_EQ(std::stod(Exact(102.123456789)), 102.123456789);
  EXPECT_THAT(html, HasSubstr("data-concentric-s=\"1.25\" data-eccentric-s=\"1.5\""));
  EXPECT_THAT(html, HasSubstr("data-rom-percent-difference=\"12.25\" data-band=\"amber\""));
  EXPECT_THAT(html, HasSubstr("data-left-speed-loss-pct=\"21.5\""));
}

TEST(SessionReportTest, OneSectionPerSetCuesDataQualityAndEscapedNames) {
  const std::string html = SessionReportHtml(TwoSetSession());
  EXPECT_EQ(Count(html, "<section class=\"set\""), 2);
  EXPECT_THAT(html, HasSubstr("Start the next set with the left side"));
  EXPECT_THAT(html, HasSubstr("right wrist sensor: gap of 0.40 s (20 samples missing)"));
  EXPECT_THAT(html, HasSubstr("alice &lt;A&amp;B&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<A&B>")));
  EXPECT_THAT(html, HasSubstr("break-before: page"));
}

// A unilateral set 'index' of 'exercise' in 'session' (athlete bea).
v1::SetSummary* AddUnilateralSet(v1::GetSessionResponse& session, std::uint32_t index,
                                 const std::string& exercise, v1::Limb limb) {
  session.mutable_session()->set_session_id("s");
  session.mutable_session()->set_athlete("bea");
  v1::SetSummary* set = session.add_sets();
  set->set_set_index(index);
  set->set_exercise(exercise);
  set->set_mode(v1::SET_MODE_UNILATERAL);
  set->set_limb(limb);
  return set;
}

// Rep 'index' of 'side' in set 'set_index', with no partner (unilateral).
v1::Rep* AddUnpairedRep(v1::GetSessionResponse& session, std::uint32_t set_index,
                        std::uint32_t index, v1::Side side) {
  v1::Rep* rep = session.add_unpaired_reps()->mutable_rep();
  rep->set_set_index(set_index);
  rep->set_index(index);
  rep->set_side(side);
  return rep;
}

// Set 1: the left side alone, 3 reps; set 2: the right side alone, 2 reps, compared with set 1,
// the right side weaker.
v1::GetSessionResponse UnilateralSession() {
  v1::GetSessionResponse session;
  for (std::uint32_t s = 1; s <= 2; ++s) {
    v1::SetSummary* set = AddUnilateralSet(session, s, "concentration_curl", v1::LIMB_WRIST);
    if (s == 2) {
      set->set_compared_with_set_index(1);
      set->set_weaker_side(v1::SIDE_RIGHT);
    }
    const v1::Side side = s == 1 ? v1::SIDE_LEFT : v1::SIDE_RIGHT;
    for (std::uint32_t r = 1; r <= (s == 1 ? 3u : 2u); ++r) {
      v1::Rep* rep = AddUnpairedRep(session, s, r, side);
      rep->set_rom_deg((s == 1 ? 120.0 : 100.0) + r + 0.25);
      rep->set_concentric_s(0.5 + 0.125 * r);
      rep->set_eccentric_s(1.0 + 0.25 * s);
    }
  }
  return session;
}

// Split squats: both legs move in every rep. Set 1 is the right leg's (front), set 2 the left
// leg's, compared with set 1. The chart of set 2 draws the front legs only: the left's reps of
// set 2 and the right's of set 1.
TEST(SessionReportTest, AUnilateralSetWithAWorkingSideDrawsThatSidesReps) {
  v1::GetSessionResponse session;
  for (std::uint32_t s = 1; s <= 2; ++s) {
    v1::SetSummary* set = AddUnilateralSet(session, s, "split_squat", v1::LIMB_ANKLE);
    set->set_working_side(s == 1 ? v1::SIDE_RIGHT : v1::SIDE_LEFT);
    if (s == 2) set->set_compared_with_set_index(1);
    for (const v1::Side side : {v1::SIDE_LEFT, v1::SIDE_RIGHT}) {
      for (std::uint32_t r = 1; r <= 4; ++r) {
        AddUnpairedRep(session, s, r, side)->set_rom_deg(side == set->working_side() ? 40.0 : 57.0);
      }
    }
  }
  const std::string html = SessionReportHtml(session);
  const auto second = html.find("<section class=\"set\" data-set=\"2\"");
  ASSERT_NE(second, std::string::npos);
  const std::string set1 = html.substr(0, second);
  const std::string set2 = html.substr(second);
  EXPECT_EQ(Count(set1, "class=\"rom-bar unilateral\""), 4);
  EXPECT_EQ(Count(set2, "class=\"rom-bar unilateral\""), 8);
  EXPECT_EQ(Count(set2, "data-set=\"2\" data-rep=\"1\" data-side=\"left\""), 2);  // ROM, tempo
  EXPECT_EQ(Count(set2, "data-set=\"1\" data-rep=\"1\" data-side=\"right\""), 2);
  EXPECT_EQ(Count(set2, "data-set=\"2\" data-rep=\"1\" data-side=\"right\""), 0);
  EXPECT_EQ(Count(set2, "data-rom-deg=\"57\""), 0);
}

TEST(SessionReportTest, UnilateralSetsShowEachSidesRepsAndMarkTheWeakerSide) {
  const std::string html = SessionReportHtml(UnilateralSession());
  const auto second = html.find("<section class=\"set\" data-set=\"2\"");
  ASSERT_NE(second, std::string::npos);
  const std::string set1 = html.substr(0, second);
  const std::string set2 = html.substr(second);
  // Set 1 alone: its three left reps. Set 2: its two right reps and set 1's three left ones.
  EXPECT_EQ(Count(set1, "class=\"rom-bar unilateral\""), 3);
  EXPECT_EQ(Count(set2, "class=\"rom-bar unilateral\""), 5);
  EXPECT_THAT(set2, HasSubstr("data-set=\"2\" data-rep=\"2\" data-side=\"right\" "
                              "data-rom-deg=\"102.25\""));
  EXPECT_THAT(set2, HasSubstr("data-set=\"1\" data-rep=\"3\" data-side=\"left\" "
                              "data-rom-deg=\"123.25\""));
  EXPECT_THAT(set2, HasSubstr("data-side=\"right\" data-mean-rom-deg=\"101.75\""));
  EXPECT_EQ(Count(set2, "data-weaker=\"yes\""), 1);
  EXPECT_THAT(set2, HasSubstr("class=\"side-label weaker\" data-side=\"right\""));
  EXPECT_EQ(Count(set1, "data-weaker=\"yes\""), 0);
  // Their tempo the same way: a stacked bar per rep, the stored seconds exactly.
  EXPECT_EQ(Count(set1, "class=\"tempo-bar unilateral\""), 3);
  EXPECT_EQ(Count(set2, "class=\"tempo-bar unilateral\""), 5);
  EXPECT_THAT(set2, HasSubstr("data-set=\"2\" data-rep=\"2\" data-side=\"right\" "
                              "data-concentric-s=\"0.75\" data-eccentric-s=\"1.5\""));
  // Unilateral reps have no partner by design: not a data-quality note.
  EXPECT_EQ(Count(html, "unpaired-note"), 0);
}

TEST(SessionReportTest, SelfContained) {
  for (const std::string& html :
       {SessionReportHtml(TwoSetSession()), WeeklyReportHtml(v1::WeeklyBalanceResponse())}) {
    EXPECT_THAT(html, Not(HasSubstr("<script")));
    EXPECT_THAT(html, Not(HasSubstr("<link")));
    EXPECT_THAT(html, Not(HasSubstr("<img")));
    EXPECT_THAT(html, Not(HasSubstr("url(")));
    EXPECT_THAT(html, Not(HasSubstr("@import")));
    // The only URL is the SVG namespace name, which is never fetched.
    const std::regex url("https?://[^\"]*");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), url);
         it != std::sregex_iterator(); ++it) {
      EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
    }
  }
}

v1::WeeklyBalanceResponse ThreeWeeks(double last_week_index_pct) {
  v1::WeeklyBalanceResponse balance;
  balance.set_athlete("alice");
  const double indexes[] = {-12.0, -9.0, last_week_index_pct};
  for (int i = 0; i < 3; ++i) {
    v1::WeekBalance* week = balance.add_weeks();
    week->set_week("2026-W4" + std::to_string(6 + i));
    week->set_push_sets(2);
    week->set_pull_sets(3);
    week->set_left_reps(40);
    week->set_right_reps(42);
    v1::ExerciseAsymmetry* curl = week->add_exercises();
    curl->set_exercise("biceps_curl");
    curl->set_sets(3);
    curl->set_compared_sets(3);
    curl->set_mean_rom_symmetry_index_pct(indexes[i]);
    curl->set_mean_rom_percent_difference(std::abs(indexes[i]));
    curl->set_baseline_week("2026-W46");
    curl->set_baseline_rom_symmetry_index_pct(-12.0);
    curl->set_mean_left_rom_deg(95.0 + i);
    curl->set_mean_right_rom_deg(106.0);
  }
  return balance;
}

TEST(WeeklySummaryTest, NamesTheWeakerSideAndWhetherTheGapCloses) {
  const std::vector<std::string> closing = SummarySentences(ThreeWeeks(-6.0));
  ASSERT_GE(closing.size(), 3u);
  EXPECT_EQ(closing[0],
            "Biceps curl: the left side is weaker (ROM gap 6.0 % in 2026-W48); the gap is "
            "closing (12.0 % in 2026-W46).");
  EXPECT_THAT(closing[1], HasSubstr("6 push and 9 pull sets; pulling less than the 2:1 aim"));
  EXPECT_EQ(closing[2], "Reps: 120 left, 126 right.");
  EXPECT_THAT(SummarySentences(ThreeWeeks(-16.0))[0], HasSubstr("the gap is widening"));
  EXPECT_THAT(SummarySentences(ThreeWeeks(-11.0))[0], HasSubstr("about the same"));
  EXPECT_THAT(SummarySentences(ThreeWeeks(+5.0))[0], HasSubstr("the right side is weaker"));
}

TEST(WeeklyReportTest, ChartsCarryTheWeeklyValues) {
  const std::string html = WeeklyReportHtml(ThreeWeeks(-6.0));
  EXPECT_EQ(Count(html, "class=\"balance-bar\""), 6);
  EXPECT_EQ(Count(html, "class=\"aim\""), 3);
  EXPECT_THAT(html, HasSubstr("data-week=\"2026-W46\" data-aim-pull-sets=\"4\""));
  EXPECT_EQ(Count(html, "class=\"trend-point\""), 3);
  EXPECT_THAT(html, HasSubstr("data-week=\"2026-W48\" data-exercise=\"biceps_curl\" "
                              "data-rom-percent-difference=\"6\""));
  EXPECT_THAT(html, HasSubstr("data-week=\"2026-W47\" data-exercise=\"biceps_curl\" "
                              "data-side=\"left\" data-rom-deg=\"96\""));
  EXPECT_EQ(Count(html, "class=\"band\""), 3);
  EXPECT_THAT(html, HasSubstr("the gap is closing"));
}

}  // namespace
}  // namespace ambi::report
