#include "clients/ctl/ctl_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "clients/ctl/export_rows.h"
#include "clients/ctl/live_view.h"

namespace ambi::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kNs = 1'000'000'000;
// 2026-11-24 15:30:00 UTC.
constexpr std::int64_t kNow = 1795534200LL * kNs;

TEST(ParseDateTest, AcceptsDatesTimesAndRelativeDays) {
  EXPECT_EQ(ParseDate("2026-11-02", kNow, false), 1793577600LL * kNs);
  EXPECT_EQ(ParseDate("2026-11-02", kNow, true), (1793577600LL + 86400) * kNs - 1);
  EXPECT_EQ(ParseDate("2026-11-02T10:15", kNow, true), (1793577600LL + 36900) * kNs);
  EXPECT_EQ(ParseDate("2026-11-02T10:15:30Z", kNow, false), (1793577600LL + 36930) * kNs);
  EXPECT_EQ(ParseDate("today", kNow, false), 1795478400LL * kNs);
  EXPECT_EQ(ParseDate("yesterday", kNow, false), (1795478400LL - 86400) * kNs);
  EXPECT_EQ(ParseDate("7d", kNow, false), (1795478400LL - 7 * 86400) * kNs);
}

TEST(ParseDateTest, RefusesWhatIsNotADate) {
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "2026-11-2", "tomorrow", "d",
                          "2026-11-02T25:00", "2026-11-02 10:00", "2026-11-02T10:00:00+01"}) {
    EXPECT_EQ(ParseDate(bad, kNow, false), std::nullopt) << bad;
  }
}

TEST(AddressTest, ABarePathIsAUnixSocket) {
  EXPECT_EQ(NormalizeAddress("/run/ambi/ambid.sock"), "unix:/run/ambi/ambid.sock");
  EXPECT_EQ(NormalizeAddress("unix:/tmp/a.sock"), "unix:/tmp/a.sock");
  EXPECT_EQ(NormalizeAddress("localhost:50051"), "localhost:50051");
  EXPECT_EQ(UnreachableReason("unix:/nonexistent/ambid.sock"), "no such file");
  EXPECT_EQ(UnreachableReason("unix:/"), "not a socket");
  EXPECT_EQ(UnreachableReason("localhost:1"), "connection refused");
}

TEST(TableTest, HeaderAndAlignedColumns) {
  Table table({"NAME", "REPS"});
  table.Add({"alice", "8"});
  table.Add({"bob", "12"});
  EXPECT_EQ(table.Render(), "NAME   REPS\nalice     8\nbob      12\n");
}

v1::RepPair Pair(double left_deg, double right_deg, v1::Band band, double lead_ms) {
  v1::RepPair pair;
  pair.set_limb(v1::LIMB_WRIST);
  pair.set_set_index(2);
  pair.set_pair_index(5);
  pair.mutable_left()->set_side(v1::SIDE_LEFT);
  pair.mutable_left()->set_set_index(2);
  pair.mutable_left()->set_index(5);
  pair.mutable_left()->set_rom_deg(left_deg);
  pair.mutable_left()->set_concentric_s(1.1);
  pair.mutable_left()->set_eccentric_s(1.4);
  pair.mutable_right()->set_side(v1::SIDE_RIGHT);
  pair.mutable_right()->set_set_index(2);
  pair.mutable_right()->set_index(5);
  pair.mutable_right()->set_rom_deg(right_deg);
  pair.mutable_right()->set_concentric_s(1.0);
  pair.mutable_right()->set_eccentric_s(1.3);
  v1::MetricComparison* rom = pair.add_metrics();
  rom->set_metric(v1::METRIC_ROM);
  rom->set_percent_difference(11.2);
  rom->set_weaker_side(v1::SIDE_LEFT);
  rom->set_band(band);
  pair.set_lead_ms(lead_ms);
  return pair;
}

TEST(LiveViewTest, RepPairLineNamesTheSegmentTheGapTempoAndLag) {
  const std::string line = RepPairLine("alice", Pair(104.9, 118.2, v1::BAND_AMBER, -140), false);
  EXPECT_EQ(line,
            "alice  set 2 rep 5  forearm ROM  L 104.9°  R 118.2°  diff 11.2 % left weaker "
            "[amber]  tempo L 1.1/1.4 s  R 1.0/1.3 s  left lags 140 ms");
}

TEST(LiveViewTest, SmallLeadsAreNotShownAndColourFollowsTheBand) {
  const std::string plain = RepPairLine("bob", Pair(100, 101, v1::BAND_GREEN, 30), false);
  EXPECT_THAT(plain, Not(HasSubstr("lags")));
  EXPECT_THAT(plain, Not(HasSubstr("\033[")));
  const std::string coloured = RepPairLine("bob", Pair(100, 130, v1::BAND_RED, 0), true);
  EXPECT_THAT(coloured, HasSubstr("\033[31mdiff 11.2 % left weaker [red]\033[0m"));
}

TEST(LiveViewTest, FatigueHiddenUnlessAskedAndBilateralRepsFolded) {
  v1::LiveEvent fatigue;
  fatigue.mutable_event()->set_athlete("alice");
  fatigue.mutable_event()->mutable_fatigue()->set_speed_loss_pct(12);
  LiveView quiet({.colour = false, .fatigue = false});
  EXPECT_EQ(quiet.Line(fatigue), std::nullopt);
  LiveView verbose({.colour = false, .fatigue = true});
  EXPECT_THAT(verbose.Line(fatigue).value_or(""), HasSubstr("speed loss 12.0 %"));

  v1::LiveEvent started;
  started.mutable_event()->set_athlete("alice");
  started.mutable_event()->mutable_set_started()->set_mode(v1::SET_MODE_BILATERAL);
  v1::LiveEvent rep;
  rep.mutable_event()->set_athlete("alice");
  rep.mutable_event()->mutable_rep()->set_side(v1::SIDE_LEFT);
  ASSERT_TRUE(quiet.Line(started).has_value());
  EXPECT_EQ(quiet.Line(rep), std::nullopt);
  started.mutable_event()->mutable_set_started()->set_mode(v1::SET_MODE_UNILATERAL);
  ASSERT_TRUE(quiet.Line(started).has_value());
  EXPECT_THAT(quiet.Line(rep).value_or(""), HasSubstr("left rep"));
}

TEST(AthleteTableTest, OneRowPerAthleteWithTheLatestPair) {
  AthleteTable table;
  v1::LiveEvent pair;
  pair.mutable_event()->set_athlete("alice");
  *pair.mutable_event()->mutable_rep_pair() = Pair(104.9, 118.2, v1::BAND_AMBER, 0);
  table.Update(pair);
  v1::LiveEvent cue;
  cue.mutable_event()->set_athlete("bob");
  cue.mutable_event()->mutable_cue()->set_message("Start with the left side");
  table.Update(cue);
  const std::string text = table.Render(false);
  EXPECT_THAT(text, HasSubstr("ATHLETE"));
  EXPECT_THAT(text, HasSubstr("104.9°"));
  EXPECT_THAT(text, HasSubstr("amber"));
  EXPECT_THAT(text, HasSubstr("Start with the left side"));
}

TEST(ExportTest, OneRowPerRepWithThePairsVerdictAndAVersionedHeader) {
  v1::GetSessionResponse session;
  session.mutable_session()->set_session_id("s1");
  session.mutable_session()->set_athlete("alice");
  session.mutable_session()->set_start_unix_ns(1793577600LL * kNs);
  v1::SetSummary* set = session.add_sets();
  set->set_set_index(2);
  set->set_exercise("biceps_curl");
  set->set_mode(v1::SET_MODE_BILATERAL);
  *session.add_rep_pairs() = Pair(104.9, 118.2, v1::BAND_AMBER, -140);
  const std::vector<ExportRow> rows = ExportRows(session, ExportLevel::kRep);
  ASSERT_EQ(rows.size(), 2u);
  std::ostringstream csv;
  WriteExport(rows, ExportLevel::kRep, ExportFormat::kCsv, true, csv);
  std::istringstream lines(csv.str());
  std::string header, left, right;
  std::getline(lines, header);
  std::getline(lines, left);
  std::getline(lines, right);
  EXPECT_TRUE(header.starts_with("export_version,session_id,athlete,session_start_utc,"));
  EXPECT_EQ(left,
            "1,s1,alice,2026-11-02T00:00:00Z,2,biceps_curl,bilateral,wrist,left,5,5,0.0000,"
            "0.0000,104.9000,1.1000,1.4000,0.0000,11.2000,0.0000,amber,left,-140.0000");
  EXPECT_THAT(right, HasSubstr(",right,5,5,"));
  std::ostringstream json;
  WriteExport(rows, ExportLevel::kRep, ExportFormat::kJson, true, json);
  EXPECT_THAT(json.str(), HasSubstr("\"export_version\":1,\"session_id\":\"s1\""));
  EXPECT_THAT(json.str(), HasSubstr("\"rom_deg\":104.9,"));
  EXPECT_EQ(ExportRows(session, ExportLevel::kSet).front().size(),
            ExportColumns(ExportLevel::kSet).size());
}

}  // namespace
}  // namespace ambi::ctl
