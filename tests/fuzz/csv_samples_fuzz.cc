// libFuzzer target: a CSV of samples of arbitrary bytes. Either an error naming the file, or
// samples whose times strictly increase.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "daemon/capture/csv_samples.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ambi::fuzz::FuzzInputFile file;
  const std::string& path = file.Write(data, size);
  std::vector<ambi::fusion::ImuSample> samples;
  const ambi::capture::CaptureStatus status = ambi::capture::ReadCsvSamples(path, &samples);
  if (!status.ok() && status.message().find(path) == std::string::npos) std::abort();
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (!(samples[i - 1].time < samples[i].time)) std::abort();
  }
  if (status.ok()) (void)ambi::capture::EstimateRateHz(samples);
  return 0;
}
