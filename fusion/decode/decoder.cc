#include "fusion/decode/decoder.h"

namespace ambi::fusion {

Decoder::Decoder(const DecoderParams& params)
    : params_(params), mag_enabled_(params.witmotion_mag_uT_per_count != 0.0) {}

void Decoder::Reset() {
  carry_len_ = 0;
  cycle_have_ = 0;
  cycle_last_type_ = 0;
  cycle_emitted_ = false;
  // Whether the stream carries mag is a property of the device, not of the connection.
}

}  // namespace ambi::fusion
