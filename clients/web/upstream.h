#ifndef AMBI_CLIENTS_WEB_UPSTREAM_H_
#define AMBI_CLIENTS_WEB_UPSTREAM_H_

#include <functional>
#include <memory>
#include <string>

#include "clients/web/sse_hub.h"
#include "proto/client/channel_security.h"

namespace ambi::web {

// The result of a control call, ready for an HTTP answer.
struct ControlResult {
  int http_status = 200;
  std::string json;  // the response object, or {"error": "..."}; the page for a report
  // A report is HTML when it worked and one plain sentence when not.
  std::string content_type = "application/json";
};

// ambi-web's one connection to ambid (gRPC; its headers stay in upstream.cc). One Subscribe
// stream for every browser, re-opened after a drop; the device list polled every second; set
// control and the exercise catalog on demand. Callbacks run on gRPC or upstream threads: the
// caller posts them to its own thread.
class Upstream {
 public:
  struct Callbacks {
    std::function<void(HubEvent)> on_event;  // formatted once here, off the io thread
    // {"connected": bool, "detail": "..."}: the stream to ambid is up or down.
    std::function<void(std::string json)> on_link;
    // {"devices": [...]} with each device's state, rates and seconds since its last sample.
    std::function<void(std::string json)> on_devices;
  };

  // 'box' names this daemon among several (tags its events, devices and link state); "" with
  // one. Throws std::runtime_error naming the file when the token or CA file cannot be used.
  Upstream(const std::string& box, const std::string& address, Callbacks callbacks,
           const proto::ChannelSecurity& security = {});
  ~Upstream();  // stops
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  void Start();
  void Stop();

  // 'body' is the browser's JSON. 'done' is called once, on a gRPC thread.
  void StartSet(const std::string& body, std::function<void(ControlResult)> done);
  void EndSet(const std::string& body, std::function<void(ControlResult)> done);
  void ListExercises(std::function<void(ControlResult)> done);
  // The coach's reports (clients/report), drawn on the gRPC thread, not the HTTP io thread.
  // Unknown session or athlete 404, ambid unreachable 503.
  void SessionReport(const std::string& session_id, std::function<void(ControlResult)> done);
  void AthleteReport(const std::string& athlete, int weeks,
                     std::function<void(ControlResult)> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The default address of ambid: its unix socket as root, or in $XDG_RUNTIME_DIR.
std::string DefaultDaemonAddress();

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_UPSTREAM_H_
