#ifndef AMBI_TOOLS_EVAL_PERTURB_H_
#define AMBI_TOOLS_EVAL_PERTURB_H_

// Real recordings changed the way another athlete's session would differ: the sensor strapped on
// turned another way, a Bluetooth link that drops bursts of samples, a sensor that samples slower.
// A rep count that holds only for the mounts and the clean links of the recordings is fitted to
// them.

#include <cstdint>
#include <string>

#include "daemon/capture/capture_status.h"

namespace ambi::eval {

struct Perturbation {
  // Nonzero: each sensor's frame is turned by its own random rotation drawn from this seed
  // (accelerometer, gyro and magnetometer alike, as a sensor worn turned would measure).
  std::uint64_t mount_seed = 0;
  // BLE-like loss: bursts of 1-10 samples (at most max_burst_s) starting this often per second.
  double loss_bursts_per_s = 0.0;
  double max_burst_s = 0.2;
  std::uint64_t loss_seed = 1;
  // Nonzero: a slower sensor. A recording faster than this is averaged down to about it, each
  // sample the mean of k in a row (k = the recording's rate over this, rounded), as a sensor's
  // output-rate averaging does; a block never spans a jump in time (CMU's gaps between reps).
  double max_rate_hz = 0.0;

  bool any() const { return mount_seed != 0 || loss_bursts_per_s > 0.0 || max_rate_hz > 0.0; }
};

// Writes the samples of the CSV 'in' to 'out' (same format), perturbed. 'salt' tells the
// sensors of one recording apart, so each gets its own rotation and losses.
capture::CaptureStatus WritePerturbedCsv(const std::string& in, const std::string& out,
                                         const Perturbation& perturbation, std::uint64_t salt);

}  // namespace ambi::eval

#endif  // AMBI_TOOLS_EVAL_PERTURB_H_
