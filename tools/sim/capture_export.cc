#include "tools/sim/capture_export.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/capture/capture_writer.h"
#include "daemon/capture/csv_samples.h"
#include "daemon/sim/device_byte_stream.h"
#include "daemon/sim/limb_simulator.h"
#include "fusion/decode/encoder.h"

namespace ambi::sim {
namespace {

using fusion::Side;

constexpr std::uint64_t kStreamLatency = 100;
constexpr std::uint64_t kStreamStalls = 101;  // and 102: one per port

ambi::v1::Protocol ToProto(fusion::Protocol p) {
  switch (p) {
    case fusion::Protocol::kWitMotionSerial:
      return ambi::v1::PROTOCOL_WITMOTION_SERIAL;
    case fusion::Protocol::kWitMotionBle:
      return ambi::v1::PROTOCOL_WITMOTION_BLE;
    case fusion::Protocol::kAmbiSample:
      return ambi::v1::PROTOCOL_AMBI_SAMPLE;
  }
  return ambi::v1::PROTOCOL_UNSPECIFIED;
}

double Mean(const std::vector<fusion::Rep>& reps, double fusion::Rep::*field) {
  if (reps.empty()) return 0.0;
  double sum = 0.0;
  for (const fusion::Rep& r : reps) sum += r.*field;
  return sum / static_cast<double>(reps.size());
}

ambi::v1::CaptureHeader MakeHeader(const SessionSpec& spec, const GroundTruth& truth,
                                   const CaptureExportOptions& options) {
  ambi::v1::CaptureHeader header;
  header.set_format_version(1);
  header.set_created_by("ambi-sim");
  header.set_created_unix_ns(0);  // deterministic files: the simulator has no wall clock
  header.set_athlete(options.athlete);
  header.set_exercise(options.exercise.empty() ? std::string(CatalogNameOf(spec.exercise))
                                               : options.exercise);
  header.set_mode(spec.mode == fusion::SetMode::kBilateral ? ambi::v1::SET_MODE_BILATERAL
                                                           : ambi::v1::SET_MODE_UNILATERAL);
  for (Side side : {Side::kLeft, Side::kRight}) {
    const SideTruth& st = truth.side(side);
    auto* info = header.add_sensors();
    info->set_sensor_id(side == Side::kLeft ? 1 : 2);
    info->set_side(capture::ToProto(side));
    info->set_limb(capture::ToProto(st.placement.limb));
    info->set_device_model("ambi-sim");
    info->set_protocol(ToProto(options.protocol));
    info->set_nominal_rate_hz(spec.rate_hz);
    info->set_address(std::string("sim:") + std::string(fusion::ToString(st.placement)));
    const bool mag = spec.with_mag && options.protocol == fusion::Protocol::kWitMotionSerial;
    info->set_witmotion_mag_ut_per_count(mag ? options.witmotion_mag_uT_per_count : 0.0);
    auto* gt = header.mutable_ground_truth()->add_sides();
    gt->set_side(capture::ToProto(side));
    gt->set_limb(capture::ToProto(st.placement.limb));
    gt->set_rep_count(static_cast<std::uint32_t>(st.reps.size()));
    gt->set_rom_deg(Mean(st.reps, &fusion::Rep::rom_deg));
    gt->set_concentric_s(Mean(st.reps, &fusion::Rep::concentric_s));
    gt->set_eccentric_s(Mean(st.reps, &fusion::Rep::eccentric_s));
  }
  header.mutable_ground_truth()->set_note(
      "ambi-sim preset '" + spec.name + "', exercise " + std::string(ToString(spec.exercise)) +
      ", seed " + std::to_string(spec.seed) + "; per-side means over the set");
  return header;
}

}  // namespace

capture::CaptureStatus WriteSessionCapture(const SessionSpec& spec,
                                           const CaptureExportOptions& options,
                                           const std::string& path) {
  if (const std::string err = Validate(spec); !err.empty()) {
    return capture::CaptureStatus::Error("invalid simulation settings: " + err);
  }
  if (!(options.latency_s >= 0.0 && options.latency_jitter_s >= 0.0)) {
    return capture::CaptureStatus::Error("latency_s and latency_jitter_s must be >= 0");
  }
  if (const std::string err = Validate(options.stalls); !err.empty()) {
    return capture::CaptureStatus::Error(err);
  }
  const SessionPlan plan = PlanSession(spec);
  capture::CaptureWriter writer(capture::CaptureWriterOptions{options.replace_existing});
  if (auto status = writer.Open(path, MakeHeader(spec, plan.truth, options)); !status.ok()) {
    return status;
  }
  fusion::WitMotionSerialEncodeOptions wit;
  if (spec.with_mag) wit.mag_uT_per_count = options.witmotion_mag_uT_per_count;
  std::array<DeviceByteStream, 2> devices = {
      DeviceByteStream(spec, plan, Side::kLeft, options.protocol, wit),
      DeviceByteStream(spec, plan, Side::kRight, options.protocol, wit)};
  std::array<std::vector<std::uint8_t>, 2> pending;
  std::array<bool, 2> has = {false, false};
  std::array<std::int64_t, 2> arrival_ns = {0, 0};
  Prng latency_rng(DeriveSeed(spec.seed, kStreamLatency));
  std::array<DeliveryStalls, 2> stalls = {
      DeliveryStalls(options.stalls, DeriveSeed(spec.seed, kStreamStalls)),
      DeliveryStalls(options.stalls, DeriveSeed(spec.seed, kStreamStalls + 1))};
  auto pull = [&](int i) {
    double true_time_s = 0.0;
    has[i] = devices[i].Next(&pending[i], &true_time_s);
    if (!has[i]) return;
    const double jitter = options.latency_jitter_s * std::abs(latency_rng.Gaussian());
    const std::int64_t t = fusion::ToNanoseconds(
        fusion::TimeFromSeconds(stalls[i].Deliver(true_time_s + options.latency_s + jitter)));
    // A port delivers one device's bytes in order, whatever the jitter.
    arrival_ns[i] = std::max(t, arrival_ns[i]);
  };
  pull(0);
  pull(1);
  while (has[0] || has[1]) {
    const int i = !has[1] || (has[0] && arrival_ns[0] <= arrival_ns[1]) ? 0 : 1;
    if (auto status =
            writer.AppendData(static_cast<std::uint32_t>(i + 1), arrival_ns[i], pending[i]);
        !status.ok()) {
      return status;
    }
    pull(i);
  }
  return writer.Close();
}

}  // namespace ambi::sim
