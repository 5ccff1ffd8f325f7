#ifndef AMBI_DAEMON_APP_EVENT_OUTPUT_H_
#define AMBI_DAEMON_APP_EVENT_OUTPUT_H_

namespace ambi::v1 {
class LiveEvent;
}

namespace ambi::app {

// Where a live session's events go (the subscriber fan-out, the session store). Called on the
// daemon's io thread, once per event, in order; must not block on I/O.
class EventOutput {
 public:
  virtual ~EventOutput() = default;
  virtual void OnLiveEvent(const v1::LiveEvent& event) = 0;
};

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_EVENT_OUTPUT_H_
