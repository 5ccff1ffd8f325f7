#ifndef AMBI_DAEMON_SIM_DELIVERY_STALLS_H_
#define AMBI_DAEMON_SIM_DELIVERY_STALLS_H_

#include <cstdint>
#include <string>

#include "daemon/sim/prng.h"

namespace ambi::sim {

// Stalls in the delivery of one port's bytes: a BLE link retransmitting through interference, a
// USB hub or a starved host holding data back and then handing it all over at once. Nothing is
// lost. Stalls start at random: from the end of one to the start of the next is exponential,
// 1 / per_s on average.
struct DeliveryStallSpec {
  double per_s = 0.0;  // 0: none; 1/8 is one stall every 8.65 s on average
  double min_s = 0.3;  // longer than the 0.25 s the arrival clock takes for lost samples
  double max_s = 1.0;
};

// Empty when 'spec' is usable, else a message naming the field and value.
std::string Validate(const DeliveryStallSpec& spec);

// When the bytes of one port are delivered, given when they would arrive without stalls.
// Deterministic for a seed. Not thread-safe; one per port.
class DeliveryStalls {
 public:
  DeliveryStalls(const DeliveryStallSpec& spec, std::uint64_t seed);

  // 'arrival_s' (non-decreasing from call to call) if it falls in no stall, else the stall's end.
  double Deliver(double arrival_s);
  std::int64_t stalls() const { return stalls_; }  // stalls that held something back so far

 private:
  void NextStall();

  DeliveryStallSpec spec_;
  Prng rng_;
  double from_s_ = 0.0;  // the current or next stall: [from_s_, to_s_)
  double to_s_ = 0.0;
  bool counted_ = false;  // the current stall has held something back
  std::int64_t stalls_ = 0;
};

}  // namespace ambi::sim

#endif  // AMBI_DAEMON_SIM_DELIVERY_STALLS_H_
