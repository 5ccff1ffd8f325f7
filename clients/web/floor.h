#ifndef AMBI_CLIENTS_WEB_FLOOR_H_
#define AMBI_CLIENTS_WEB_FLOOR_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "clients/web/central_reports.h"
#include "clients/web/upstream.h"
#include "clients/web/web_config.h"
#include "proto/client/channel_security.h"

namespace ambi::web {

// Every box ambi-web shows: one Upstream per ambid (its own subscription, reconnection and
// catch-up), their events handed on as they come (the SseHub merges them), their device lists
// and link states merged into one, and each control call sent to the box that owns the athlete.
// With one box it is that box's Upstream and nothing else. The reports come from the central
// history when one is given, else from the box asked.
class Floor {
 public:
  // 'reports' may be null (reports from the boxes). Throws std::runtime_error as Upstream does.
  Floor(const std::vector<BoxAddress>& boxes, Upstream::Callbacks callbacks,
        const proto::ChannelSecurity& security, std::unique_ptr<CentralReports> reports);
  ~Floor();
  Floor(const Floor&) = delete;
  Floor& operator=(const Floor&) = delete;

  void Start();
  void Stop();

  // The browser's JSON names the athlete and, with several boxes, the "box".
  void StartSet(const std::string& body, std::function<void(ControlResult)> done);
  void EndSet(const std::string& body, std::function<void(ControlResult)> done);
  // 'box' "" with one box (or for the first box's catalog).
  void ListExercises(const std::string& box, std::function<void(ControlResult)> done);
  void SessionReport(const std::string& session_id, const std::string& box,
                     std::function<void(ControlResult)> done);
  void AthleteReport(const std::string& athlete, int weeks, const std::string& box,
                     std::function<void(ControlResult)> done);

 private:
  // The Upstream of 'box', or nullptr after answering 'done' with why not.
  Upstream* Find(const std::string& box, const std::function<void(ControlResult)>& done);
  Upstream* FindInBody(const std::string& body, const std::function<void(ControlResult)>& done);
  void MergeLink(const std::string& json);
  void MergeDevices(const std::string& json);

  const Upstream::Callbacks callbacks_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
  std::unique_ptr<CentralReports> reports_;
  std::mutex merge_mutex_;
  std::map<std::string, std::string> links_;    // by box: its last link JSON
  std::map<std::string, std::string> devices_;  // by box: its last device list JSON
};

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_FLOOR_H_
