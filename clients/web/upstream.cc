#include "clients/web/upstream.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "ambi/v1/service.grpc.pb.h"
#include "clients/report/report.h"
#include "proto/client/ambid_channel.h"
#include "proto/convert/proto_json.h"

namespace ambi::web {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// How often the device list (state, measured rate, sample counters) is asked for: the page's
// "updated N s ago" and rates need no finer grain.
constexpr auto kDevicePollInterval = std::chrono::seconds(1);
// A control or list call that takes longer than this has a daemon in trouble: tell the coach.
constexpr auto kCallDeadline = std::chrono::seconds(3);
// Between attempts to re-open the event stream: quick enough that a daemon restart is hardly
// noticed, slow enough not to spin.
constexpr auto kResubscribeDelay = std::chrono::milliseconds(500);

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "SIDE_LEFT" -> "left"; the page speaks short lower-case names.
std::string ShortName(const std::string& enum_name, const std::string& prefix) {
  return Lower(enum_name.starts_with(prefix) ? enum_name.substr(prefix.size()) : enum_name);
}

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 409;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 502;  // the daemon failed or is not there
  }
}

ControlResult ErrorResult(int status, const std::string& message) {
  return {status, Json{{"error", message}}.dump()};
}

ControlResult FromStatus(const grpc::Status& status, const char* call) {
  std::string message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message = std::string("ambid is not reachable (") + call + "): " + message;
  }
  return ErrorResult(HttpStatusFor(status.error_code()), message);
}

// A report that could not be made: one plain sentence for the coach reading it on the tablet.
ControlResult ReportError(const grpc::Status& status, const char* call) {
  ControlResult result;
  result.content_type = "text/plain; charset=utf-8";
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      result.http_status = 404;
      result.json = "not found: " + status.error_message() + "\n";
      return result;
    case grpc::StatusCode::INVALID_ARGUMENT:
      result.http_status = 400;
      result.json = "bad request: " + status.error_message() + "\n";
      return result;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      result.http_status = 503;
      result.json = std::string("ambid is not reachable (") + call +
                    "); try again when it runs: " + status.error_message() + "\n";
      return result;
    default:
      result.http_status = 502;
      result.json = std::string("ambid failed ") + call + ": " + status.error_message() + "\n";
      return result;
  }
}

ControlResult ReportPage(std::string html) {
  ControlResult result;
  result.json = std::move(html);
  result.content_type = "text/html; charset=utf-8";
  return result;
}

// Parses the browser's JSON object; nullopt with 'error' set when it is not one.
std::optional<Json> ParseBody(const std::string& body, std::string* error) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    *error = "request body must be a JSON object";
    return std::nullopt;
  }
  return json;
}

std::optional<std::string> StringField(const Json& json, const char* key, std::string* error) {
  if (!json.contains(key) || json[key].is_null()) return std::string();
  if (!json[key].is_string()) {
    *error = std::string("'") + key + "' must be a string";
    return std::nullopt;
  }
  return json[key].get<std::string>();
}

HubEvent ToHubEvent(const v1::LiveEvent& live, std::int64_t received_unix_ns,
                    const std::string& box) {
  HubEvent event;
  event.box = box;
  event.sequence = live.sequence();
  event.catch_up = live.catch_up();
  event.athlete = live.event().athlete();
  if (live.event().has_set_started()) event.kind = HubEvent::Kind::kSetStarted;
  if (live.event().has_sensor_status()) {
    event.kind = HubEvent::Kind::kSensorStatus;
    event.sensor_key =
        event.athlete + "/" + std::to_string(live.event().sensor_status().sensor_index());
  }
  // The time ambi-web had the event, for the latency benchmark: the page ignores it.
  std::string json = proto::ToJson(live);
  json.insert(1, "\"web_received_unix_ns\":\"" + std::to_string(received_unix_ns) + "\",");
  // Several boxes: which one, so the page keeps one name at two boxes apart.
  if (!box.empty()) json.insert(1, "\"box\":" + Json(box).dump() + ",");
  event.data = std::move(json);  // the hub gives the id
  return event;
}

}  // namespace

std::string DefaultDaemonAddress() {
  if (::geteuid() == 0) return "unix:/run/ambi/ambid.sock";
  if (const char* dir = std::getenv("XDG_RUNTIME_DIR"); dir != nullptr && *dir) {
    return std::string("unix:") + dir + "/ambi/ambid.sock";
  }
  return "unix:/tmp/ambi-" + std::to_string(::getuid()) + "/ambid.sock";
}

// One Subscribe stream; Wait() returns when it ended.
class EventStream final : public grpc::ClientReadReactor<v1::LiveEvent> {
 public:
  EventStream(v1::Ambi::Stub* stub, const Upstream::Callbacks* callbacks, const std::string* box,
              std::function<void(bool, const std::string&)> link)
      : callbacks_(callbacks), box_(box), link_(std::move(link)) {
    // Each athlete's set so far first: ambi-web started (or reconnected) mid-set still shows it.
    request_.set_catch_up(true);
    stub->async()->Subscribe(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the status
    callbacks_->on_event(ToHubEvent(event_, NowUnixNs(), *box_));
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    link_(false, status.ok() ? "ambid ended the stream (stopping)"
                             : "event stream lost: " + status.error_message());
    std::lock_guard lock(mutex_);
    done_ = true;
    done_cv_.notify_all();
  }

  void Cancel() { context_.TryCancel(); }

  void Wait() {
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [this] { return done_; });
  }

 private:
  const Upstream::Callbacks* callbacks_;
  const std::string* box_;
  const std::function<void(bool, const std::string&)> link_;
  grpc::ClientContext context_;
  v1::SubscribeRequest request_;  // everything: every browser sees every athlete
  v1::LiveEvent event_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address,
                                         const proto::ChannelSecurity& security) {
  std::string error;
  auto channel = proto::CreateAmbidChannel(address, security, grpc::ChannelArguments(), &error);
  if (channel == nullptr) throw std::runtime_error("--connect " + address + ": " + error);
  return channel;
}

struct Upstream::Impl {
  Impl(const std::string& box_in, const std::string& address_in, Callbacks callbacks_in,
       const proto::ChannelSecurity& security)
      : box(box_in),
        address(address_in.empty() ? DefaultDaemonAddress() : address_in),
        callbacks(std::move(callbacks_in)),
        channel(ChannelTo(address, security)),
        stub(v1::Ambi::NewStub(channel)) {}

  void RunEvents();
  void RunDevices();
  // Tells the page whether ambid is there, once per change: the event stream reports its end,
  // the device poll its successes and failures.
  void SetLink(bool connected, const std::string& detail) {
    {
      std::lock_guard lock(link_mutex);
      if (link_known && connected == link_connected) return;
      link_known = true;
      link_connected = connected;
    }
    Json link{{"connected", connected}, {"detail", detail}};
    if (!box.empty()) link["box"] = box;
    callbacks.on_link(link.dump());
  }
  bool SleepFor(SteadyClock::duration duration) {  // false when stopping
    std::unique_lock lock(mutex);
    return !stop_cv.wait_for(lock, duration, [this] { return stopping; });
  }

  template <class Request, class Response, class Convert>
  void Call(void (v1::Ambi::StubInterface::async_interface::*method)(
                grpc::ClientContext*, const Request*, Response*, std::function<void(grpc::Status)>),
            Request request, const char* name, Convert convert,
            std::function<void(ControlResult)> done,
            ControlResult (*on_error)(const grpc::Status&, const char*) = FromStatus) {
    struct CallState {
      grpc::ClientContext context;
      Request request;
      Response response;
    };
    auto state = std::make_shared<CallState>();
    state->request = std::move(request);
    state->context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    (stub->async()->*method)(
        &state->context, &state->request, &state->response,
        [state, name, convert, done, on_error](grpc::Status status) {
          done(status.ok() ? convert(state->response) : on_error(status, name));
        });
  }

  const std::string box;  // "" with one box
  const std::string address;
  const Callbacks callbacks;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Ambi::Stub> stub;
  std::mutex mutex;
  std::condition_variable stop_cv;
  bool stopping = false;
  EventStream* stream = nullptr;  // under 'mutex'
  std::mutex link_mutex;
  bool link_known = false;
  bool link_connected = false;
  std::thread events_thread;
  std::thread devices_thread;
};

void Upstream::Impl::RunEvents() {
  while (true) {
    auto current = std::make_unique<EventStream>(
        stub.get(), &callbacks, &box,
        [this](bool connected, const std::string& detail) { SetLink(connected, detail); });
    {
      std::lock_guard lock(mutex);
      stream = current.get();
      if (stopping) current->Cancel();
    }
    current->Wait();
    {
      std::lock_guard lock(mutex);
      stream = nullptr;
    }
    if (!SleepFor(kResubscribeDelay)) return;
  }
}

void Upstream::Impl::RunDevices() {
  struct Seen {
    std::int64_t samples = -1;
    SteadyClock::time_point changed;
  };
  std::map<std::string, Seen> seen;  // by device name
  do {
    v1::ListDevicesResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    const grpc::Status status = stub->ListDevices(&context, v1::ListDevicesRequest(), &response);
    if (!status.ok()) {
      SetLink(false, "ambid at " + address + " does not answer: " + status.error_message());
      continue;
    }
    SetLink(true, "connected to ambid at " + address);
    const auto now = SteadyClock::now();
    Json devices = Json::array();
    for (const v1::DeviceInfo& device : response.devices()) {
      Seen& last = seen[device.name()];
      if (device.samples() != last.samples) {
        last.samples = device.samples();
        last.changed = now;
      }
      const double age_s = std::chrono::duration<double>(now - last.changed).count();
      devices.push_back({
          {"name", device.name()},
          {"athlete", device.athlete()},
          {"side", ShortName(v1::Side_Name(device.side()), "SIDE_")},
          {"limb", ShortName(v1::Limb_Name(device.limb()), "LIMB_")},
          {"state", ShortName(v1::DeviceInfo::State_Name(device.state()), "STATE_")},
          {"transport", device.transport()},
          {"nominal_rate_hz", device.nominal_rate_hz()},
          {"measured_rate_hz", device.measured_rate_hz()},
          {"sample_age_s", age_s},
          {"last_error", device.last_error()},
      });
      if (!box.empty()) devices.back()["box"] = box;
    }
    Json list{{"devices", devices}};
    if (!box.empty()) list["box"] = box;
    callbacks.on_devices(list.dump());
  } while (SleepFor(kDevicePollInterval));
}

Upstream::Upstream(const std::string& box, const std::string& address, Callbacks callbacks,
                   const proto::ChannelSecurity& security)
    : impl_(std::make_unique<Impl>(box, address, std::move(callbacks), security)) {}

Upstream::~Upstream() { Stop(); }

void Upstream::Start() {
  impl_->events_thread = std::thread([this] { impl_->RunEvents(); });
  impl_->devices_thread = std::thread([this] { impl_->RunDevices(); });
}

void Upstream::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    if (impl_->stream) impl_->stream->Cancel();
    impl_->stop_cv.notify_all();
  }
  if (impl_->events_thread.joinable()) impl_->events_thread.join();
  if (impl_->devices_thread.joinable()) impl_->devices_thread.join();
}

void Upstream::StartSet(const std::string& body, std::function<void(ControlResult)> done) {
  std::string error;
  const auto json = ParseBody(body, &error);
  if (!json) return done(ErrorResult(400, error));
  const auto athlete = StringField(*json, "athlete", &error);
  const auto exercise = StringField(*json, "exercise", &error);
  const auto mode = StringField(*json, "mode", &error);
  const auto side = StringField(*json, "side", &error);
  if (!athlete || !exercise || !mode || !side) return done(ErrorResult(400, error));
  if (athlete->empty()) return done(ErrorResult(400, "'athlete' is required"));
  v1::StartSetRequest request;
  request.set_athlete(*athlete);
  request.set_exercise(*exercise);
  if (*mode == "bilateral") {
    request.set_mode(v1::SET_MODE_BILATERAL);
  } else if (*mode == "unilateral") {
    request.set_mode(v1::SET_MODE_UNILATERAL);
  } else if (!mode->empty()) {
    return done(ErrorResult(400, "'mode' is '" + *mode + "'; allowed: bilateral, unilateral"));
  }
  if (*side == "left") {
    request.set_side(v1::SIDE_LEFT);
  } else if (*side == "right") {
    request.set_side(v1::SIDE_RIGHT);
  } else if (!side->empty()) {
    return done(ErrorResult(400, "'side' is '" + *side + "'; allowed: left, right"));
  }
  impl_->Call(
      &v1::Ambi::StubInterface::async_interface::StartSet, std::move(request), "StartSet",
      [](const v1::StartSetResponse& response) {
        return ControlResult{200, Json{{"set_index", response.set_index()}}.dump()};
      },
      std::move(done));
}

void Upstream::EndSet(const std::string& body, std::function<void(ControlResult)> done) {
  std::string error;
  const auto json = ParseBody(body, &error);
  if (!json) return done(ErrorResult(400, error));
  const auto athlete = StringField(*json, "athlete", &error);
  if (!athlete) return done(ErrorResult(400, error));
  if (athlete->empty()) return done(ErrorResult(400, "'athlete' is required"));
  v1::EndSetRequest request;
  request.set_athlete(*athlete);
  impl_->Call(
      &v1::Ambi::StubInterface::async_interface::EndSet, std::move(request), "EndSet",
      [](const v1::EndSetResponse&) {
        return ControlResult{200, "{}"};
      },
      std::move(done));
}

void Upstream::ListExercises(std::function<void(ControlResult)> done) {
  impl_->Call(
      &v1::Ambi::StubInterface::async_interface::ListExercises, v1::ListExercisesRequest(),
      "ListExercises",
      [](const v1::ListExercisesResponse& response) {
        Json exercises = Json::array();
        for (const v1::ExerciseInfo& info : response.exercises()) {
          exercises.push_back({{"name", info.name()},
                               {"display_name", info.display_name()},
                               {"mode", ShortName(v1::SetMode_Name(info.mode()), "SET_MODE_")},
                               {"limb", ShortName(v1::Limb_Name(info.limb()), "LIMB_")}});
        }
        return ControlResult{200, Json{{"exercises", exercises}}.dump()};
      },
      std::move(done));
}

void Upstream::SessionReport(const std::string& session_id,
                             std::function<void(ControlResult)> done) {
  v1::GetSessionRequest request;
  request.set_session_id(session_id);
  impl_->Call(
      &v1::Ambi::StubInterface::async_interface::GetSession, std::move(request), "GetSession",
      [](const v1::GetSessionResponse& response) {
        return ReportPage(report::SessionReportHtml(response));
      },
      std::move(done), ReportError);
}

void Upstream::AthleteReport(const std::string& athlete, int weeks,
                             std::function<void(ControlResult)> done) {
  v1::WeeklyBalanceRequest request;
  request.set_athlete(athlete);
  request.set_weeks(static_cast<std::uint32_t>(weeks));
  impl_->Call(
      &v1::Ambi::StubInterface::async_interface::GetWeeklyBalance, std::move(request),
      "GetWeeklyBalance",
      [](const v1::WeeklyBalanceResponse& response) {
        return ReportPage(report::WeeklyReportHtml(response));
      },
      std::move(done), ReportError);
}

}  // namespace ambi::web
