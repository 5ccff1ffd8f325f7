#ifndef AMBI_DAEMON_REPLAY_CAPTURE_FEEDER_H_
#define AMBI_DAEMON_REPLAY_CAPTURE_FEEDER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "ambi/v1/capture.pb.h"
#include "fusion/core/exercise.h"
#include "fusion/pipeline/session_pipeline.h"

namespace ambi::replay {

// Builds the pipeline's parameters from a capture header: one SensorConfig per SensorInfo, in
// header order. 'base' supplies the stage settings (orientation, reps, asymmetry) and the
// exercise. Returns an error naming the sensor and what is wrong instead.
std::optional<fusion::SessionParams> SessionParamsFromHeader(const v1::CaptureHeader& header,
                                                             const fusion::SessionParams& base,
                                                             std::string* error);

// Feeds capture records into a SessionPipeline exactly as a live transport would: bytes with
// their arrival time, link changes, set control. Used by ambi-replay and the daemon's replay.
class CaptureFeeder {
 public:
  // 'header' must be the one the pipeline's params were built from; 'resolve_exercise' maps a
  // set-control exercise name to the catalog entry (empty result: keep the current exercise).
  CaptureFeeder(
      const v1::CaptureHeader& header, fusion::SessionPipeline* pipeline,
      std::function<std::optional<fusion::Exercise>(const std::string&)> resolve_exercise);

  // Returns false with 'error' set for a record naming an unknown sensor; the record is skipped
  // and feeding may go on.
  bool Feed(const v1::CaptureRecord& record, std::string* error);

  // End of the capture: flushes the pipeline at the last arrival time.
  void Finish();

  fusion::Time last_arrival() const { return last_arrival_; }

 private:
  fusion::SessionPipeline* pipeline_;
  std::map<std::uint32_t, int> sensor_index_by_id_;
  std::function<std::optional<fusion::Exercise>(const std::string&)> resolve_exercise_;
  fusion::Exercise current_exercise_;
  fusion::Time last_arrival_{};
};

}  // namespace ambi::replay

#endif  // AMBI_DAEMON_REPLAY_CAPTURE_FEEDER_H_
