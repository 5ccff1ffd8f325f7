#ifndef AMBI_DAEMON_CAPTURE_CSV_SAMPLES_H_
#define AMBI_DAEMON_CAPTURE_CSV_SAMPLES_H_

#include <span>
#include <string>
#include <vector>

#include "ambi/v1/capture.pb.h"
#include "daemon/capture/capture_status.h"
#include "fusion/core/imu_sample.h"
#include "fusion/core/placement.h"

namespace ambi::capture {

// Reads a CSV of samples: a header line 't_s,ax,ay,az,gx,gy,gz' or
// 't_s,ax,ay,az,gx,gy,gz,mx,my,mz', then one sample per line in s, m/s^2, rad/s and uT. Empty
// lines are skipped. Errors name 'path:line' and what is wrong (bad number, wrong column
// count, time not increasing). On error 'samples' holds the lines read before it.
CaptureStatus ReadCsvSamples(const std::string& path, std::vector<fusion::ImuSample>* samples);

// 1 / median sample interval, or 0 with fewer than two samples. The median ignores the pauses
// some recordings have between reps.
double EstimateRateHz(std::span<const fusion::ImuSample> samples);

// One CSV recording of one sensor, as it goes into a capture.
struct CsvSensor {
  fusion::Placement placement;
  std::string csv_path;
  double nominal_rate_hz = 0.0;  // 0: estimated with EstimateRateHz
  std::string device_model = "csv";
};

// A whole capture held in memory.
struct Capture {
  ambi::v1::CaptureHeader header;
  std::vector<ambi::v1::CaptureRecord> records;
};

// Builds a capture from CSV recordings so that they travel the same byte path as devices:
// every sample becomes one kAmbiSample frame in its own data record, with arrival time = sample
// time, records merged in time order (ties keep the order of 'sensors'). Sensor i gets
// sensor_id i + 1 (0 is left to mean "unset"). The caller fills athlete, exercise, mode and
// ground truth of 'capture->header' afterwards if it knows them.
CaptureStatus BuildCaptureFromCsv(std::span<const CsvSensor> sensors, Capture* capture);

// Writes 'capture' to 'path' with CaptureWriter (fsynced on success).
CaptureStatus WriteCapture(const std::string& path, const Capture& capture,
                           bool replace_existing = false);

// Proto enum conversions for the header.
ambi::v1::Side ToProto(fusion::Side side);
ambi::v1::Limb ToProto(fusion::Limb limb);

}  // namespace ambi::capture

#endif  // AMBI_DAEMON_CAPTURE_CSV_SAMPLES_H_
