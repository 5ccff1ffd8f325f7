#include "clients/web/floor.h"

#include <nlohmann/json.hpp>

namespace ambi::web {
namespace {

using Json = nlohmann::json;

ControlResult JsonError(int status, const std::string& message) {
  return {status, Json{{"error", message}}.dump()};
}

ControlResult PlainError(int status, const std::string& message) {
  return {status, message + "\n", "text/plain; charset=utf-8"};
}

}  // namespace

Floor::Floor(const std::vector<BoxAddress>& boxes, Upstream::Callbacks callbacks,
             const proto::ChannelSecurity& security, std::unique_ptr<CentralReports> reports)
    : callbacks_(std::move(callbacks)), reports_(std::move(reports)) {
  for (const BoxAddress& box : boxes) {
    Upstream::Callbacks own = callbacks_;
    if (boxes.size() > 1) {
      own.on_link = [this](std::string json) { MergeLink(json); };
      own.on_devices = [this](std::string json) { MergeDevices(json); };
    }
    names_.push_back(box.name);
    upstreams_.push_back(std::make_unique<Upstream>(box.name, box.address, own, security));
  }
}

Floor::~Floor() { Stop(); }

void Floor::Start() {
  for (auto& upstream : upstreams_) upstream->Start();
}

void Floor::Stop() {
  for (auto& upstream : upstreams_) upstream->Stop();
}

// The page's link state: live while any box is; each box's own state listed, so the page greys
// only the athletes of a box that is gone.
void Floor::MergeLink(const std::string& json) {
  Json merged{{"connected", false}, {"boxes", Json::array()}};
  std::string down;
  {
    std::lock_guard lock(merge_mutex_);
    const Json link = Json::parse(json);
    links_[link.value("box", "")] = json;
    for (const std::string& name : names_) {
      const auto found = links_.find(name);
      const Json box = found == links_.end()
                           ? Json{{"box", name}, {"connected", false}, {"detail", "not yet known"}}
                           : Json::parse(found->second);
      if (box.value("connected", false)) {
        merged["connected"] = true;
      } else {
        down += (down.empty() ? "" : "; ") + name + ": " + box.value("detail", "");
      }
      merged["boxes"].push_back(box);
    }
  }
  merged["detail"] = down.empty() ? "connected to " + std::to_string(names_.size()) + " boxes"
                                  : "not reachable: " + down;
  callbacks_.on_link(merged.dump());
}

void Floor::MergeDevices(const std::string& json) {
  Json merged = Json::array();
  {
    std::lock_guard lock(merge_mutex_);
    devices_[Json::parse(json).value("box", "")] = json;
    for (const std::string& name : names_) {
      const auto found = devices_.find(name);
      if (found == devices_.end()) continue;
      const Json list = Json::parse(found->second);  // named: a range over a temporary dangles
      for (const Json& device : list["devices"]) merged.push_back(device);
    }
  }
  callbacks_.on_devices(Json{{"devices", merged}}.dump());
}

Upstream* Floor::Find(const std::string& box, const std::function<void(ControlResult)>& done) {
  if (box.empty() && upstreams_.size() == 1) return upstreams_.front().get();
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == box) return upstreams_[i].get();
  }
  std::string known;
  for (const std::string& name : names_) known += (known.empty() ? "" : ", ") + name;
  done(box.empty()
           ? JsonError(400, "'box' is required: ambi-web shows several boxes (" + known + ")")
           : JsonError(404, "no box '" + box + "'; boxes: " + known));
  return nullptr;
}

Upstream* Floor::FindInBody(const std::string& body,
                            const std::function<void(ControlResult)>& done) {
  if (upstreams_.size() == 1) return upstreams_.front().get();  // the box checks the body
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    done(JsonError(400, "request body must be a JSON object"));
    return nullptr;
  }
  if (json.contains("box") && !json["box"].is_string()) {
    done(JsonError(400, "'box' must be a string"));
    return nullptr;
  }
  return Find(json.value("box", ""), done);
}

void Floor::StartSet(const std::string& body, std::function<void(ControlResult)> done) {
  if (Upstream* upstream = FindInBody(body, done)) upstream->StartSet(body, std::move(done));
}

void Floor::EndSet(const std::string& body, std::function<void(ControlResult)> done) {
  if (Upstream* upstream = FindInBody(body, done)) upstream->EndSet(body, std::move(done));
}

void Floor::ListExercises(const std::string& box, std::function<void(ControlResult)> done) {
  // Without a box, the first box's catalog (boxes of one gym share theirs).
  if (Upstream* upstream = Find(box.empty() ? names_.front() : box, done)) {
    upstream->ListExercises(std::move(done));
  }
}

void Floor::SessionReport(const std::string& session_id, const std::string& box,
                          std::function<void(ControlResult)> done) {
  if (reports_) return reports_->SessionReport(session_id, std::move(done));
  auto plain = [done](ControlResult result) {
    done(result.content_type == "application/json"
             ? PlainError(result.http_status, Json::parse(result.json).value("error", ""))
             : result);
  };
  if (Upstream* upstream = Find(box, plain)) upstream->SessionReport(session_id, std::move(done));
}

void Floor::AthleteReport(const std::string& athlete, int weeks, const std::string& box,
                          std::function<void(ControlResult)> done) {
  if (reports_) return reports_->AthleteReport(athlete, weeks, std::move(done));
  auto plain = [done](ControlResult result) {
    done(result.content_type == "application/json"
             ? PlainError(result.http_status, Json::parse(result.json).value("error", ""))
             : result);
  };
  if (Upstream* upstream = Find(box, plain)) {
    upstream->AthleteReport(athlete, weeks, std::move(done));
  }
}

}  // namespace ambi::web
