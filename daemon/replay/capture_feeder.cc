#include "daemon/replay/capture_feeder.h"

#include <span>

#include "proto/convert/event_convert.h"

namespace ambi::replay {

std::optional<fusion::SessionParams> SessionParamsFromHeader(const v1::CaptureHeader& header,
                                                             const fusion::SessionParams& base,
                                                             std::string* error) {
  fusion::SessionParams params = base;
  params.sensors.clear();
  if (header.sensors().empty()) {
    *error = "capture header lists no sensors";
    return std::nullopt;
  }
  for (const v1::SensorInfo& info : header.sensors()) {
    const std::string which = "sensor " + std::to_string(info.sensor_id());
    const auto side = proto::FromProto(info.side());
    const auto limb = proto::FromProto(info.limb());
    const auto protocol = proto::FromProto(info.protocol());
    if (!side || !limb) {
      *error = which + ": side and limb must be set (left/right, wrist/ankle)";
      return std::nullopt;
    }
    if (!protocol) {
      *error = which + ": unknown protocol " + std::to_string(info.protocol());
      return std::nullopt;
    }
    if (!(info.nominal_rate_hz() > 0.0 && info.nominal_rate_hz() <= 10000.0)) {
      *error = which + ": nominal_rate_hz " + std::to_string(info.nominal_rate_hz()) +
               " is not in (0, 10000]";
      return std::nullopt;
    }
    fusion::SensorConfig sensor;
    sensor.placement = {*side, *limb};
    sensor.protocol = *protocol;
    sensor.nominal_rate_hz = info.nominal_rate_hz();
    sensor.witmotion_mag_uT_per_count = info.witmotion_mag_ut_per_count();
    params.sensors.push_back(sensor);
  }
  return params;
}

CaptureFeeder::CaptureFeeder(
    const v1::CaptureHeader& header, fusion::SessionPipeline* pipeline,
    std::function<std::optional<fusion::Exercise>(const std::string&)> resolve_exercise)
    : pipeline_(pipeline), resolve_exercise_(std::move(resolve_exercise)) {
  for (int i = 0; i < header.sensors_size(); ++i) {
    sensor_index_by_id_[header.sensors(i).sensor_id()] = i;
  }
  current_exercise_ = fusion::GenericExercise(fusion::Limb::kWrist);
}

bool CaptureFeeder::Feed(const v1::CaptureRecord& record, std::string* error) {
  const fusion::Time arrival = fusion::TimeFromNanoseconds(record.arrival_time_ns());
  if (arrival > last_arrival_) last_arrival_ = arrival;
  if (record.body_case() == v1::CaptureRecord::kSetControl) {
    const v1::SetControl& control = record.set_control();
    if (control.action() == v1::SetControl::ACTION_END) {
      pipeline_->EndSet(arrival);
      return true;
    }
    if (control.action() == v1::SetControl::ACTION_START) {
      if (auto exercise = resolve_exercise_(control.exercise())) current_exercise_ = *exercise;
      const fusion::SetMode mode =
          proto::FromProto(control.mode()).value_or(current_exercise_.default_mode);
      pipeline_->StartSet(arrival, current_exercise_, mode, proto::FromProto(control.side()));
      return true;
    }
    *error = "set control record without an action";
    return false;
  }
  const auto found = sensor_index_by_id_.find(record.sensor_id());
  if (found == sensor_index_by_id_.end()) {
    *error = "record for sensor " + std::to_string(record.sensor_id()) +
             ", which the header does not list";
    return false;
  }
  switch (record.body_case()) {
    case v1::CaptureRecord::kData: {
      const std::string& data = record.data();
      pipeline_->OnBytes(
          found->second, arrival,
          std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
      return true;
    }
    case v1::CaptureRecord::kLink:
      if (record.link().connected()) {
        pipeline_->OnSensorBack(found->second, arrival, record.link().detail());
      } else {
        pipeline_->OnSensorLost(found->second, arrival, record.link().detail());
      }
      return true;
    default:
      *error = "record for sensor " + std::to_string(record.sensor_id()) + " has no body";
      return false;
  }
}

void CaptureFeeder::Finish() { pipeline_->Flush(last_arrival_); }

}  // namespace ambi::replay
