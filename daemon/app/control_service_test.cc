#include "daemon/app/control_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ambi/v1/service.pb.h"
#include "daemon/app/athlete_registry.h"
#include "daemon/app/athlete_spec.h"
#include "daemon/app/session_opener.h"
#include "daemon/config/exercise_catalog.h"
#include "daemon/store/session_store.h"

namespace ambi::app {
namespace {

namespace fs = std::filesystem;
using Code = rpc::ControlStatus::Code;

config::DeviceConfig Wrist(const std::string& athlete, fusion::Side side) {
  config::DeviceConfig device;
  device.placement = {side, fusion::Limb::kWrist};
  device.name = athlete + (side == fusion::Side::kLeft ? "-left_wrist" : "-right_wrist");
  device.path = "/dev/null";
  return device;
}

// The control service against real parts: the catalog of data/exercises.toml, a SQLite store and
// live sessions writing captures in a temporary directory, an io thread. No process, no gRPC.
class ControlServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ambi-control-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ + "/captures");
    config::CatalogLoadResult catalog = config::ExerciseCatalog::LoadFile(AMBI_SOURCE_CATALOG);
    ASSERT_TRUE(catalog.ok()) << catalog.error;
    catalog_ = std::move(*catalog.catalog);
    store::SessionStoreOptions store_options;
    store_options.path = dir_ + "/ambi.sqlite";
    std::string error;
    store_ = store::SessionStore::Open(store_options, &*catalog_, &error);
    ASSERT_NE(store_, nullptr) << error;
    settings_.data_dir = dir_;
    // alice: both wrists, curls. bob: one wrist, no default exercise.
    settings_.athletes.push_back(
        {"alice",
         "biceps_curl",
         {Wrist("alice", fusion::Side::kLeft), Wrist("alice", fusion::Side::kRight)}});
    settings_.athletes.push_back({"bob", "", {Wrist("bob", fusion::Side::kLeft)}});
    athletes_.emplace(AthletesFromConfig(settings_));
    sessions_.emplace(settings_, &*catalog_, store_.get(), std::vector<EventOutput*>{});
    for (const auto& athlete : athletes_->athletes()) {
      ASSERT_TRUE(sessions_->Begin(*athlete, &error)) << error;
    }
  }

  void StartService(ControlServiceOptions options = {}) {
    service_ =
        std::make_unique<ControlService>(io_, &*athletes_, &*sessions_, store_.get(), options);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
    for (const auto& athlete : athletes_->athletes()) sessions_->End(*athlete);
    std::string error;
    store_->Flush(&error);
    store_->Close();
    fs::remove_all(dir_);
  }

  rpc::ControlStatus StartSet(const std::string& athlete, const std::string& exercise,
                              v1::SetMode mode = v1::SET_MODE_UNSPECIFIED,
                              v1::Side side = v1::SIDE_UNSPECIFIED,
                              std::uint32_t* set_index = nullptr) {
    v1::StartSetRequest request;
    request.set_athlete(athlete);
    request.set_exercise(exercise);
    request.set_mode(mode);
    request.set_side(side);
    v1::StartSetResponse response;
    rpc::ControlStatus status = service_->StartSet(request, &response);
    if (set_index != nullptr) *set_index = response.set_index();
    return status;
  }

  std::string dir_;
  config::DaemonConfig settings_;
  std::optional<config::ExerciseCatalog> catalog_;
  std::unique_ptr<store::SessionStore> store_;
  std::optional<AthleteRegistry> athletes_;
  std::optional<SessionOpener> sessions_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
  std::unique_ptr<ControlService> service_;
};

TEST_F(ControlServiceTest, StartSetValidatesTheRequestAndNamesWhatIsWrong) {
  StartService();
  rpc::ControlStatus status = StartSet("carol", "");
  EXPECT_EQ(status.code, Code::kNotFound);
  EXPECT_NE(status.message.find("carol"), std::string::npos);

  status = StartSet("alice", "no_such_exercise");
  EXPECT_EQ(status.code, Code::kInvalidArgument);
  EXPECT_NE(status.message.find("no_such_exercise"), std::string::npos);

  status = StartSet("alice", "squat");  // measured at the ankles; alice has wrists only
  EXPECT_EQ(status.code, Code::kFailedPrecondition);
  EXPECT_NE(status.message.find("ankle"), std::string::npos);

  status = StartSet("alice", "", static_cast<v1::SetMode>(99));
  EXPECT_EQ(status.code, Code::kInvalidArgument);
  EXPECT_NE(status.message.find("99"), std::string::npos);

  status = StartSet("alice", "", v1::SET_MODE_UNSPECIFIED, static_cast<v1::Side>(42));
  EXPECT_EQ(status.code, Code::kInvalidArgument);

  status = StartSet("alice", "", v1::SET_MODE_BILATERAL, v1::SIDE_LEFT);
  EXPECT_EQ(status.code, Code::kInvalidArgument);
  EXPECT_NE(status.message.find("unilateral"), std::string::npos);
}

TEST_F(ControlServiceTest, StartSetStartsNumberedSetsAndEndSetEndsThem) {
  StartService();
  std::uint32_t first = 0;
  std::uint32_t second = 0;
  ASSERT_TRUE(StartSet("alice", "", v1::SET_MODE_UNSPECIFIED, v1::SIDE_UNSPECIFIED, &first).ok());
  v1::EndSetResponse end_response;
  v1::EndSetRequest end;
  end.set_athlete("alice");
  ASSERT_TRUE(service_->EndSet(end, &end_response).ok());
  ASSERT_TRUE(StartSet("bob", "", v1::SET_MODE_UNILATERAL, v1::SIDE_LEFT).ok())
      << "bob has no default exercise: the generic one for his wrist is used";
  ASSERT_TRUE(StartSet("alice", "", v1::SET_MODE_UNSPECIFIED, v1::SIDE_UNSPECIFIED, &second).ok());
  EXPECT_GT(first, 0u);
  EXPECT_EQ(second, first + 1);
}

TEST_F(ControlServiceTest, SessionCallsEndAndStartSessionsAndSetsNeedOne) {
  StartService();
  v1::EndSessionRequest end;
  end.set_athlete("alice");
  v1::EndSessionResponse ended;
  ASSERT_TRUE(service_->EndSession(end, &ended).ok());
  EXPECT_EQ(ended.session().athlete(), "alice");
  EXPECT_GT(ended.session().end_unix_ns(), 0);
  EXPECT_TRUE(fs::exists(ended.session().capture_path()));

  rpc::ControlStatus status = StartSet("alice", "");
  EXPECT_EQ(status.code, Code::kFailedPrecondition);
  EXPECT_EQ(service_->EndSession(end, &ended).code, Code::kFailedPrecondition);

  v1::StartSessionRequest start;
  start.set_athlete("alice");
  start.set_exercise("no_such_exercise");
  v1::StartSessionResponse started;
  EXPECT_EQ(service_->StartSession(start, &started).code, Code::kInvalidArgument);
  start.set_exercise("lateral_raise");
  ASSERT_TRUE(service_->StartSession(start, &started).ok());
  EXPECT_FALSE(started.session().session_id().empty());
  EXPECT_NE(started.session().session_id(), ended.session().session_id());
  EXPECT_EQ(athletes_->Find("alice")->exercise, "lateral_raise");
  EXPECT_TRUE(StartSet("alice", "").ok());

  v1::ListSessionsRequest list;
  v1::ListSessionsResponse listed;
  std::string error;
  ASSERT_TRUE(store_->Flush(&error)) << error;
  ASSERT_TRUE(service_->ListSessions(list, &listed).ok());
  EXPECT_EQ(listed.sessions_size(), 3);  // alice twice, bob once
}

TEST_F(ControlServiceTest, ReplayedSessionsAreFixed) {
  ControlServiceOptions options;
  options.sessions_fixed = true;
  StartService(options);
  v1::StartSessionRequest start;
  start.set_athlete("alice");
  v1::StartSessionResponse started;
  EXPECT_EQ(service_->StartSession(start, &started).code, Code::kFailedPrecondition);
}

TEST_F(ControlServiceTest, ListDevicesDescribesEachSensorAndRefusesUnknownAthletes) {
  StartService();
  v1::ListDevicesRequest request;
  v1::ListDevicesResponse response;
  ASSERT_TRUE(service_->ListDevices(request, &response).ok());
  ASSERT_EQ(response.devices_size(), 3);
  EXPECT_EQ(response.devices(0).name(), "alice-left_wrist");
  EXPECT_EQ(response.devices(0).athlete(), "alice");
  EXPECT_EQ(response.devices(1).side(), v1::SIDE_RIGHT);
  EXPECT_EQ(response.devices(2).athlete(), "bob");
  // No transport attached here: the listing says where the bytes come from instead.
  EXPECT_EQ(response.devices(2).transport(), "replay");

  request.set_athlete("bob");
  response.Clear();
  ASSERT_TRUE(service_->ListDevices(request, &response).ok());
  EXPECT_EQ(response.devices_size(), 1);
  request.set_athlete("carol");
  EXPECT_EQ(service_->ListDevices(request, &response).code, Code::kNotFound);
}

TEST_F(ControlServiceTest, AStoppedServiceAnswersUnavailable) {
  StartService();
  service_->Stop();
  EXPECT_EQ(StartSet("alice", "").code, Code::kUnavailable);
}

TEST_F(ControlServiceTest, AStalledIoThreadTimesOutAsUnavailable) {
  ControlServiceOptions options;
  options.io_timeout = std::chrono::milliseconds(1);
  // The io thread is never started: no call can be served.
  service_ = std::make_unique<ControlService>(io_, &*athletes_, &*sessions_, store_.get(), options);
  const rpc::ControlStatus status = StartSet("alice", "");
  EXPECT_EQ(status.code, Code::kUnavailable);
  EXPECT_NE(status.message.find("in time"), std::string::npos);
  io_.run_for(std::chrono::milliseconds(1));
}

// A call answered UNAVAILABLE after its timeout must not run later: a client that retries would
// otherwise start two sessions (or two sets).
TEST_F(ControlServiceTest, ACallThatTimedOutIsWithdrawnAndNeverRuns) {
  ControlServiceOptions options;
  options.io_timeout = std::chrono::milliseconds(1);
  service_ = std::make_unique<ControlService>(io_, &*athletes_, &*sessions_, store_.get(), options);
  const std::string session_before = athletes_->Find("alice")->session->session_id();
  v1::StartSessionRequest start;
  start.set_athlete("alice");
  v1::StartSessionResponse started;
  const rpc::ControlStatus session_status = service_->StartSession(start, &started);
  EXPECT_EQ(session_status.code, Code::kUnavailable);
  EXPECT_NE(session_status.message.find("nothing was done"), std::string::npos)
      << session_status.message;
  EXPECT_EQ(StartSet("alice", "").code, Code::kUnavailable);

  // The io thread wakes up and runs what was queued: the withdrawn calls do nothing.
  io_.restart();
  io_.poll();
  const Athlete* alice = athletes_->Find("alice");
  ASSERT_NE(alice->session, nullptr);
  EXPECT_EQ(alice->session->session_id(), session_before);
  EXPECT_EQ(alice->session->set_count(), 0);
  std::size_t captures = 0;
  for (const auto& entry : fs::directory_iterator(dir_ + "/captures")) {
    captures += entry.path().string().find("alice-") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(captures, 1u) << "no second capture for alice";
}

TEST_F(ControlServiceTest, StartSessionThatCannotOpenItsCaptureLeavesTheOldSessionRecording) {
  StartService();
  const Athlete* alice = athletes_->Find("alice");
  const std::string session_before = alice->session->session_id();
  const std::string capture_before = alice->session->capture_path();
  // The captures folder is replaced by a file: no new capture can be made (even as root).
  fs::rename(dir_ + "/captures", dir_ + "/captures.moved");
  std::ofstream(dir_ + "/captures") << "not a folder";

  v1::StartSessionRequest start;
  start.set_athlete("alice");
  start.set_exercise("lateral_raise");
  v1::StartSessionResponse started;
  const rpc::ControlStatus refused = service_->StartSession(start, &started);
  EXPECT_EQ(refused.code, Code::kInternal);
  EXPECT_NE(refused.message.find("the running session goes on"), std::string::npos)
      << refused.message;
  ASSERT_NE(alice->session, nullptr) << "the athlete still has a session";
  EXPECT_EQ(alice->session->session_id(), session_before);
  EXPECT_EQ(alice->exercise, "biceps_curl") << "the refused request changed nothing";
  EXPECT_TRUE(StartSet("alice", "").ok()) << "the old session still takes sets";

  fs::remove(dir_ + "/captures");
  fs::rename(dir_ + "/captures.moved", dir_ + "/captures");
  ASSERT_TRUE(service_->StartSession(start, &started).ok());
  EXPECT_NE(started.session().session_id(), session_before);
  EXPECT_TRUE(fs::exists(capture_before));
  EXPECT_EQ(alice->exercise, "lateral_raise");
}

}  // namespace
}  // namespace ambi::app
