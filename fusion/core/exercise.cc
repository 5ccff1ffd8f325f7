#include "fusion/core/exercise.h"

namespace ambi::fusion {

Exercise GenericExercise(Limb limb) {
  Exercise exercise;
  exercise.name = "generic";
  exercise.display_name = "Generic movement";
  exercise.limb = limb;
  return exercise;
}

std::string_view ToString(Phase phase) {
  return phase == Phase::kConcentric ? "concentric" : "eccentric";
}

std::string_view ToString(SetMode mode) {
  return mode == SetMode::kBilateral ? "bilateral" : "unilateral";
}

std::string_view ToString(ForceDirection direction) {
  switch (direction) {
    case ForceDirection::kPush:
      return "push";
    case ForceDirection::kPull:
      return "pull";
    case ForceDirection::kNeither:
      break;
  }
  return "neither";
}

std::string_view ToString(Metric metric) {
  switch (metric) {
    case Metric::kRom:
      return "rom";
    case Metric::kConcentricTime:
      return "concentric_time";
    case Metric::kEccentricTime:
      return "eccentric_time";
    case Metric::kPeakSpeed:
      break;
  }
  return "peak_speed";
}

std::string_view ToString(Band band) {
  switch (band) {
    case Band::kGreen:
      return "green";
    case Band::kAmber:
      return "amber";
    case Band::kRed:
      return "red";
    case Band::kNotApplicable:
      break;
  }
  return "n/a";
}

}  // namespace ambi::fusion
