// libFuzzer target: one sensor decoder (AMBI_FUZZ_PROTOCOL) fed arbitrary bytes in arbitrary
// splits. The first input byte chooses the read sizes, so frames are cut across reads as serial
// and BLE deliver them. Checks what the decoder promises: every byte is counted in, no sample
// carries a non-finite value from a finite-only protocol, and nothing crashes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fusion/decode/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split_seed = data[0];
  ++data;
  --size;
  ambi::fusion::DecoderParams params;
  params.protocol = ambi::fusion::Protocol::AMBI_FUZZ_PROTOCOL;
  params.witmotion_mag_uT_per_count = (split_seed & 1) != 0 ? 0.0 : 0.15;
  ambi::fusion::Decoder decoder(params);
  std::uint64_t samples = 0;
  std::size_t at = 0;
  std::int64_t t_ns = 0;
  while (at < size) {
    const std::size_t chunk = 1 + (split_seed * 31 + at) % 64;
    const std::size_t n = chunk < size - at ? chunk : size - at;
    decoder.Feed(std::span(data + at, n), ambi::fusion::TimeFromNanoseconds(t_ns += 10'000'000),
                 [&](const ambi::fusion::ImuSample&) { ++samples; });
    at += n;
  }
  if (decoder.stats().bytes_in != size || decoder.stats().samples != samples) std::abort();
  decoder.Reset();
  return 0;
}
