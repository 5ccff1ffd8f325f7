#include "daemon/app/athlete_session.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "daemon/capture/capture_reader.h"
#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/limb_simulator.h"
#include "daemon/sim/presets.h"
#include "proto/convert/event_convert.h"

namespace ambi::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

class RecordingOutput final : public EventOutput {
 public:
  void OnLiveEvent(const v1::LiveEvent& event) override { events.push_back(event); }
  int Count(v1::Event::KindCase kind) const {
    int n = 0;
    for (const auto& event : events) n += event.event().kind_case() == kind ? 1 : 0;
    return n;
  }
  std::vector<v1::LiveEvent> events;
};

class AthleteSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ambi-session-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    spec_ = sim::DefaultSpec(sim::ExerciseKind::kCurl);
    spec_.left.rep_count = 4;
    spec_.right.rep_count = 4;
    plan_ = sim::PlanSession(spec_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  AthleteSessionOptions Options() const {
    AthleteSessionOptions options;
    options.athlete = "alice";
    options.session_id = "session-1";
    options.capture_path = dir_ + "/alice.capture";
    options.exercise = "biceps_curl";
    options.epoch = epoch_;
    for (const fusion::Side side : {fusion::Side::kLeft, fusion::Side::kRight}) {
      fusion::SensorConfig sensor;
      sensor.placement = {side, fusion::Limb::kWrist};
      sensor.protocol = fusion::Protocol::kWitMotionSerial;
      sensor.nominal_rate_hz = spec_.rate_hz;
      options.params.sensors.push_back(sensor);
      v1::SensorInfo info;
      info.set_sensor_id(static_cast<std::uint32_t>(options.sensors.size() + 1));
      info.set_side(proto::ToProto(side));
      info.set_limb(v1::LIMB_WRIST);
      info.set_protocol(v1::PROTOCOL_WITMOTION_SERIAL);
      info.set_nominal_rate_hz(spec_.rate_hz);
      options.sensors.push_back(info);
    }
    return options;
  }

  // Feeds both simulated devices, cycle by cycle in time order, stamped at their true times.
  void FeedSimulatedSet(AthleteSession* session) {
    sim::DeviceByteStream left(spec_, plan_, fusion::Side::kLeft,
                               fusion::Protocol::kWitMotionSerial);
    sim::DeviceByteStream right(spec_, plan_, fusion::Side::kRight,
                                fusion::Protocol::kWitMotionSerial);
    std::vector<std::uint8_t> left_bytes, right_bytes;
    double left_t = 0.0, right_t = 0.0;
    bool left_more = left.Next(&left_bytes, &left_t);
    bool right_more = right.Next(&right_bytes, &right_t);
    while (left_more || right_more) {
      const bool take_left = left_more && (!right_more || left_t <= right_t);
      const double t = take_left ? left_t : right_t;
      const auto at = epoch_ + std::chrono::duration_cast<steady_clock::duration>(
                                   std::chrono::duration<double>(t));
      if (take_left) {
        session->OnBytes(0, at, left_bytes);
        left_more = left.Next(&left_bytes, &left_t);
      } else {
        session->OnBytes(1, at, right_bytes);
        right_more = right.Next(&right_bytes, &right_t);
      }
      last_ = at;
    }
  }

  std::string dir_;
  sim::SessionSpec spec_;
  sim::SessionPlan plan_;
  transport::SteadyTime epoch_ = steady_clock::now();
  transport::SteadyTime last_ = epoch_;
};

TEST_F(AthleteSessionTest, BytesBecomeLabelledEventsAndARecordedCapture) {
  RecordingOutput output;
  std::string error;
  auto session = AthleteSession::Create(Options(), {&output}, &error);
  ASSERT_NE(session, nullptr) << error;
  FeedSimulatedSet(session.get());
  session->End(last_);
  EXPECT_TRUE(session->ended());

  EXPECT_EQ(output.Count(v1::Event::kRep), 8);
  EXPECT_EQ(output.Count(v1::Event::kRepPair), 4);
  EXPECT_EQ(output.Count(v1::Event::kSetSummary), 1);
  EXPECT_EQ(session->rep_count(), 8);
  EXPECT_EQ(session->set_count(), 1);
  for (const v1::LiveEvent& event : output.events) {
    EXPECT_EQ(event.event().athlete(), "alice");
    EXPECT_EQ(event.session_id(), "session-1");
    EXPECT_GT(event.published_unix_ns(), 0);
    EXPECT_GT(event.trigger_arrival_unix_ns(), 0);
  }

  // The capture holds every byte with its session time, and ends cleanly.
  capture::CaptureReader reader;
  v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(dir_ + "/alice.capture", &header).ok());
  EXPECT_EQ(header.athlete(), "alice");
  EXPECT_EQ(header.exercise(), "biceps_curl");
  ASSERT_EQ(header.sensors_size(), 2);
  v1::CaptureRecord record;
  std::int64_t records = 0, last_ns = -1;
  bool ordered = true;
  while (reader.Next(&record)) {
    ++records;
    ordered = ordered && record.arrival_time_ns() >= last_ns;
    last_ns = record.arrival_time_ns();
  }
  EXPECT_EQ(reader.end(), capture::CaptureEnd::kClean);
  EXPECT_TRUE(ordered);
  EXPECT_GT(records, 2 * static_cast<std::int64_t>(spec_.rate_hz) * 5);
}

TEST_F(AthleteSessionTest, SetControlAndLinkChangesAreRecordedForReplay) {
  RecordingOutput output;
  std::string error;
  auto session = AthleteSession::Create(Options(), {&output}, &error);
  ASSERT_NE(session, nullptr) << error;
  fusion::Exercise curl = fusion::GenericExercise(fusion::Limb::kWrist);
  curl.name = "biceps_curl";
  EXPECT_EQ(session->StartSet(epoch_ + std::chrono::seconds(1), curl, fusion::SetMode::kBilateral,
                              std::nullopt),
            1);
  session->OnDeviceLost(0, epoch_ + std::chrono::seconds(2));
  session->OnDeviceBack(0, epoch_ + std::chrono::seconds(3));
  EXPECT_TRUE(session->EndSet(epoch_ + std::chrono::seconds(4)));
  // No set running: refused (the daemon answers FAILED_PRECONDITION) and nothing is recorded.
  EXPECT_FALSE(session->set_running());
  EXPECT_FALSE(session->EndSet(epoch_ + std::chrono::milliseconds(4500)));
  session->End(epoch_ + std::chrono::seconds(5));
  EXPECT_EQ(output.Count(v1::Event::kSetStarted), 1);
  EXPECT_GE(output.Count(v1::Event::kSensorStatus), 2);

  capture::CaptureReader reader;
  v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(dir_ + "/alice.capture", &header).ok());
  std::vector<v1::CaptureRecord> records;
  v1::CaptureRecord record;
  while (reader.Next(&record)) records.push_back(record);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].set_control().action(), v1::SetControl::ACTION_START);
  EXPECT_EQ(records[0].set_control().exercise(), "biceps_curl");
  EXPECT_EQ(records[0].arrival_time_ns(), 1'000'000'000);
  EXPECT_FALSE(records[1].link().connected());
  EXPECT_EQ(records[1].sensor_id(), 1u);
  EXPECT_TRUE(records[2].link().connected());
  EXPECT_EQ(records[3].set_control().action(), v1::SetControl::ACTION_END);
}

// The set-control sequence of docs/daemon.md: a manual unilateral set, EndSet, then the athlete
// curls with both arms: one detected set of the configured exercise, not a set per rep.
TEST_F(AthleteSessionTest, ManualSetThenEndSetGoesBackToTheConfiguredExercise) {
  RecordingOutput output;
  std::string error;
  AthleteSessionOptions options = Options();
  options.params.exercise.name = "biceps_curl";
  auto session = AthleteSession::Create(options, {&output}, &error);
  ASSERT_NE(session, nullptr) << error;
  fusion::Exercise concentration = fusion::GenericExercise(fusion::Limb::kWrist);
  concentration.name = "concentration_curl";
  concentration.default_mode = fusion::SetMode::kUnilateral;
  session->StartSet(epoch_, concentration, fusion::SetMode::kUnilateral, fusion::Side::kLeft);
  EXPECT_TRUE(session->EndSet(epoch_ + std::chrono::milliseconds(500)));
  EXPECT_FALSE(session->EndSet(epoch_ + std::chrono::milliseconds(600)));
  FeedSimulatedSet(session.get());
  session->End(last_);
  std::vector<v1::SetStarted> started;
  for (const v1::LiveEvent& event : output.events) {
    if (event.event().has_set_started()) started.push_back(event.event().set_started());
  }
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].exercise(), "concentration_curl");
  EXPECT_EQ(started[1].exercise(), "biceps_curl");
  EXPECT_EQ(started[1].mode(), v1::SET_MODE_BILATERAL);
  EXPECT_TRUE(started[1].automatic());
  EXPECT_EQ(output.Count(v1::Event::kSetSummary), 2);
}

TEST_F(AthleteSessionTest, ExistingCaptureIsNeverOverwritten) {
  RecordingOutput output;
  std::string error;
  auto first = AthleteSession::Create(Options(), {&output}, &error);
  ASSERT_NE(first, nullptr) << error;
  first->End(epoch_);
  auto second = AthleteSession::Create(Options(), {&output}, &error);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(error.find(dir_ + "/alice.capture"), std::string::npos) << error;
}

TEST_F(AthleteSessionTest, ReopenContinuesInANewPart) {
  RecordingOutput output;
  std::string error;
  auto session = AthleteSession::Create(Options(), {&output}, &error);
  ASSERT_NE(session, nullptr) << error;
  session->ReopenCapture();
  EXPECT_EQ(session->capture_path(), dir_ + "/alice.2.capture");
  session->End(epoch_);
  capture::CaptureReader reader;
  v1::CaptureHeader header;
  EXPECT_TRUE(reader.Open(dir_ + "/alice.2.capture", &header).ok());
  EXPECT_EQ(header.athlete(), "alice");
}

// A write that fails (here: beyond RLIMIT_FSIZE, EFBIG, which holds for root too) stops the
// recording, the live session goes on, and the next SIGHUP (ReopenCapture) resumes it in a new
// part once the cause is gone.
TEST_F(AthleteSessionTest, RecordingStoppedByAFailedWriteResumesAtTheNextReopen) {
  RecordingOutput output;
  std::string error;
  auto session = AthleteSession::Create(Options(), {&output}, &error);
  ASSERT_NE(session, nullptr) << error;
  session->FlushCapture();
  ASSERT_TRUE(session->recording());
  const auto first_size = static_cast<rlim_t>(fs::file_size(dir_ + "/alice.capture"));

  std::signal(SIGXFSZ, SIG_IGN);  // the write returns EFBIG instead of killing the process
  rlimit original{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &original), 0);
  rlimit limited = original;
  limited.rlim_cur = first_size + 64;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  FeedSimulatedSet(session.get());
  session->FlushCapture();
  const bool recording_while_limited = session->recording();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &original), 0);
  std::signal(SIGXFSZ, SIG_DFL);
  EXPECT_FALSE(recording_while_limited) << "the failed write stops the recording";
  const int reps_before_reopen = output.Count(v1::Event::kRep);
  EXPECT_GT(reps_before_reopen, 0) << "the live session went on";

  session->ReopenCapture();
  EXPECT_TRUE(session->recording());
  EXPECT_EQ(session->capture_path(), dir_ + "/alice.2.capture");
  FeedSimulatedSet(session.get());
  session->End(last_);
  capture::CaptureReader reader;
  v1::CaptureHeader header;
  ASSERT_TRUE(reader.Open(dir_ + "/alice.2.capture", &header).ok());
  EXPECT_EQ(header.athlete(), "alice");
  EXPECT_GT(fs::file_size(dir_ + "/alice.2.capture"), 10 * 1024u) << "the second set was recorded";
}

}  // namespace
}  // namespace ambi::app
