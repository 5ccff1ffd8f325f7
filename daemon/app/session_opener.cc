#include "daemon/app/session_opener.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <utility>

#include "daemon/config/safe_name.h"

namespace ambi::app {
namespace {

namespace fs = std::filesystem;

// "alice-20261123T101500Z.capture" in 'dir', with a counter when the name is taken. Empty and
// 'error' when the name is not a safe file name component or the folder cannot be inspected
// (no exception on the io thread).
std::string NewCapturePath(const std::string& dir, const std::string& athlete, std::string* error) {
  if (std::optional<config::SafeName> name = config::SafeName::Parse(athlete, "athlete", error);
      !name) {
    return {};
  }
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const std::string stem = dir + "/" + athlete + "-" + stamp;
  std::string path = stem + ".capture";
  std::error_code ec;
  for (int n = 2; fs::exists(path, ec); ++n) path = stem + "-" + std::to_string(n) + ".capture";
  if (ec) {
    *error = "capture folder " + dir + ": " + ec.message();
    return {};
  }
  return path;
}

}  // namespace

std::int64_t UnixNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SessionOpener::SessionOpener(const config::DaemonConfig& settings,
                             const config::ExerciseCatalog* catalog, store::SessionStore* store,
                             std::vector<EventOutput*> outputs)
    : capture_dir_(settings.data_dir + "/captures"),
      set_end_rest_s_(settings.set_end_rest_s),
      set_end_min_rest_s_(settings.set_end_min_rest_s),
      stop_speed_loss_pct_(settings.stop_speed_loss_pct),
      catalog_(catalog),
      store_(store),
      outputs_(std::move(outputs)) {}

std::optional<fusion::Exercise> SessionOpener::ResolveExercise(const std::string& name) const {
  if (name.empty() || catalog_ == nullptr) return std::nullopt;
  if (const fusion::Exercise* exercise = catalog_->Find(name)) return *exercise;
  return std::nullopt;
}

std::string SessionOpener::UnknownExerciseError(const std::string& name) const {
  if (catalog_ != nullptr) return catalog_->UnknownNameError(name);  // names the close matches
  return "exercise \"" + name + "\" is not in the exercise catalog";
}

fusion::SessionParams SessionOpener::ParamsFor(const Athlete& athlete) const {
  fusion::SessionParams params;
  for (const Device& device : athlete.devices) {
    params.sensors.push_back(device.spec.ToSensorConfig());
  }
  if (auto exercise = ResolveExercise(athlete.exercise)) {
    params.exercise = *exercise;
  } else {
    params.exercise = fusion::GenericExercise(athlete.devices.front().spec.device.placement.limb);
  }
  params.automatic_sets = athlete.automatic_sets;
  params.set_end_rest_s = set_end_rest_s_;
  params.set_end_min_rest_s = set_end_min_rest_s_;
  params.asymmetry.stop_speed_loss_pct = stop_speed_loss_pct_;
  return params;
}

bool SessionOpener::Begin(Athlete& athlete, std::string* error) {
  std::unique_ptr<AthleteSession> session = Open(athlete, error);
  if (!session) return false;
  athlete.session = std::move(session);
  return true;
}

bool SessionOpener::Replace(Athlete& athlete, std::string* error) {
  std::unique_ptr<AthleteSession> session = Open(athlete, error);
  if (!session) {
    if (athlete.session) {
      spdlog::error("athlete {}: new session refused ({}); session {} goes on recording",
                    athlete.name(), *error, athlete.session->session_id());
    }
    return false;
  }
  End(athlete);
  athlete.session = std::move(session);
  return true;
}

std::unique_ptr<AthleteSession> SessionOpener::Open(const Athlete& athlete, std::string* error) {
  const std::string capture_path = NewCapturePath(capture_dir_, athlete.name(), error);
  if (capture_path.empty()) return nullptr;
  const std::int64_t start_unix_ns =
      athlete.spec.recorded_start_unix_ns != 0 ? athlete.spec.recorded_start_unix_ns : UnixNowNs();
  const std::string session_id = store_->BeginSession(athlete.name(), start_unix_ns, capture_path);
  if (session_id.empty()) {
    *error = "the session store refused a new session for " + athlete.name();
    return nullptr;
  }
  AthleteSessionOptions options;
  options.athlete = athlete.name();
  options.session_id = session_id;
  options.capture_path = capture_path;
  options.exercise = athlete.exercise;
  options.params = ParamsFor(athlete);
  if (athlete.spec.mode) options.params.mode = athlete.spec.mode;
  options.epoch = std::chrono::steady_clock::now();
  options.recorded_start_unix_ns = athlete.spec.recorded_start_unix_ns;
  options.start_unix_ns = start_unix_ns;
  for (std::size_t i = 0; i < athlete.devices.size(); ++i) {
    options.sensors.push_back(
        athlete.devices[i].spec.ToSensorInfo(static_cast<std::uint32_t>(i + 1)));
  }
  std::unique_ptr<AthleteSession> session =
      AthleteSession::Create(std::move(options), outputs_, error);
  if (!session) {
    store_->EndSession(session_id, UnixNowNs());
    return nullptr;
  }
  spdlog::info("athlete {}: session {} started, recording to {}", athlete.name(), session_id,
               capture_path);
  return session;
}

std::int64_t SessionOpener::End(Athlete& athlete, int* set_count, int* rep_count) {
  if (!athlete.session) return 0;
  athlete.session->End(std::chrono::steady_clock::now());
  // One end for the store and the caller's answer; never before the start (as the store takes
  // it).
  const std::int64_t end_unix_ns =
      std::max(athlete.session->EndUnixNs(std::chrono::steady_clock::now()),
               athlete.session->start_unix_ns());
  store_->EndSession(athlete.session->session_id(), end_unix_ns);
  spdlog::info("athlete {}: session {} ended ({} sets, {} reps), capture {}", athlete.name(),
               athlete.session->session_id(), athlete.session->set_count(),
               athlete.session->rep_count(), athlete.session->capture_path());
  if (set_count != nullptr) *set_count = athlete.session->set_count();
  if (rep_count != nullptr) *rep_count = athlete.session->rep_count();
  athlete.session.reset();
  return end_unix_ns;
}

}  // namespace ambi::app
