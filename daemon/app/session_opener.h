#ifndef AMBI_DAEMON_APP_SESSION_OPENER_H_
#define AMBI_DAEMON_APP_SESSION_OPENER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/app/athlete_registry.h"
#include "daemon/app/event_output.h"
#include "daemon/config/daemon_config.h"
#include "daemon/config/exercise_catalog.h"
#include "daemon/store/session_store.h"
#include "fusion/core/exercise.h"

namespace ambi::app {

// Opens and ends an athlete's live session: a row in the store, a new capture file under
// <data_dir>/captures, the pipeline's parameters from the athlete's sensors and exercise. Runs on
// the io thread. The catalog, the store and the outputs must outlive it.
class SessionOpener {
 public:
  SessionOpener(const config::DaemonConfig& settings, const config::ExerciseCatalog* catalog,
                store::SessionStore* store, std::vector<EventOutput*> outputs);

  // Starts a session for 'athlete' (its exercise and automatic_sets as set). False and 'error'
  // (what refused) when the store or the capture file cannot start it.
  bool Begin(Athlete& athlete, std::string* error);
  // Opens a new session for 'athlete' and only then ends the one running, if any: when the new
  // one cannot start (capture folder gone, disk full, store refusing), the old one goes on
  // recording and 'error' says why.
  bool Replace(Athlete& athlete, std::string* error);
  // Ends the athlete's live session, if any: pending reps are reported, the capture closed.
  // Returns the end (Unix ns) the store records, for answers that name it; 0 without a session.
  // 'set_count', 'rep_count' (may be null): the session's, with the reps the end reported.
  std::int64_t End(Athlete& athlete, int* set_count = nullptr, int* rep_count = nullptr);

  // The catalog's exercise 'name'; nullopt for an empty or unknown name.
  std::optional<fusion::Exercise> ResolveExercise(const std::string& name) const;
  // Why 'name' is not an exercise, naming the catalog's close matches.
  std::string UnknownExerciseError(const std::string& name) const;
  // The exercise catalog; may be null.
  const config::ExerciseCatalog* catalog() const { return catalog_; }
  // What the pipeline runs for 'athlete': its sensors, exercise (generic for the first sensor's
  // limb when none) and the daemon-wide set and fatigue settings.
  fusion::SessionParams ParamsFor(const Athlete& athlete) const;

 private:
  // A new session for 'athlete' (a store row and an open capture), not yet installed.
  std::unique_ptr<AthleteSession> Open(const Athlete& athlete, std::string* error);

  std::string capture_dir_;
  double set_end_rest_s_;
  double set_end_min_rest_s_;
  double stop_speed_loss_pct_;
  const config::ExerciseCatalog* catalog_;
  store::SessionStore* store_;
  std::vector<EventOutput*> outputs_;
};

// Wall-clock time for the store's rows.
std::int64_t UnixNowNs();

}  // namespace ambi::app

#endif  // AMBI_DAEMON_APP_SESSION_OPENER_H_
