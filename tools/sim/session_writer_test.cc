#include "tools/sim/session_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "daemon/testing/temp_dir.h"

namespace ambi::sim {
namespace {

TEST(SessionWriterTest, CsvHasTheSharedLayoutAndValues) {
  SessionSpec spec = *MakePreset("curl-mag");
  spec.left.rep_count = spec.right.rep_count = 2;
  const SimulatedSession session = Simulate(spec);
  std::ostringstream out;
  WriteSensorCsv(session.sensors[0], out);
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "t_s,ax,ay,az,gx,gy,gz,mx,my,mz");
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    if (rows == 10) {
      double v[10];
      ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &v[0], &v[1],
                            &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]),
                10);
      const fusion::ImuSample& s = session.sensors[0].samples[10];
      EXPECT_NEAR(v[0], fusion::ToSeconds(s.time), 1e-6);
      EXPECT_NEAR(v[1], s.accel_m_s2.x, 1e-5 * 10);
      EXPECT_NEAR(v[5], s.gyro_rad_s.y, 1e-6 + 1e-5 * std::abs(s.gyro_rad_s.y));
      EXPECT_NEAR(v[9], s.mag_uT.z, 1e-3);
    }
    ++rows;
  }
  EXPECT_EQ(rows, session.sensors[0].samples.size());
}

TEST(SessionWriterTest, SessionDirectoryHasCsvPerSensorAndParsableTruth) {
  SessionSpec spec = *MakePreset("curl-asym10");
  spec.left.rep_count = spec.right.rep_count = 3;
  const SimulatedSession session = Simulate(spec);
  const ::ambi::testing::TempDir temp("ambi-sim-writer-test-");
  const std::filesystem::path dir = temp.path() / "session";
  WriteCsvSession(session, dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "left_wrist.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "right_wrist.csv"));
  std::ifstream truth_file(dir / "ground_truth.json");
  const nlohmann::json truth = nlohmann::json::parse(truth_file);
  EXPECT_EQ(truth["preset"], "curl-asym10");
  EXPECT_EQ(truth["exercise"], "curl");
  EXPECT_NEAR(truth["commanded"]["rom_diff_pct_right_vs_left"].get<double>(), -10.0, 1e-9);
  ASSERT_EQ(truth["sides"].size(), 2u);
  EXPECT_EQ(truth["sides"][1]["placement"], "right_wrist");
  EXPECT_EQ(truth["sides"][1]["reps"].size(), 3u);
  EXPECT_DOUBLE_EQ(truth["sides"][1]["reps"][2]["rom_deg"].get<double>(),
                   session.truth.right.reps[2].rom_deg);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ambi::sim
