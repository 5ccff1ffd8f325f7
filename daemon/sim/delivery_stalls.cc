#include "daemon/sim/delivery_stalls.h"

#include <cmath>
#include <limits>

namespace ambi::sim {

std::string Validate(const DeliveryStallSpec& spec) {
  if (!(spec.per_s >= 0.0 && spec.per_s <= 10.0)) {
    return "delivery stalls per_s " + std::to_string(spec.per_s) + " must be in [0, 10]";
  }
  if (!(spec.min_s > 0.0 && spec.min_s <= spec.max_s && spec.max_s <= 60.0)) {
    return "delivery stall lengths " + std::to_string(spec.min_s) + "-" +
           std::to_string(spec.max_s) + " s must satisfy 0 < min_s <= max_s <= 60";
  }
  return {};
}

DeliveryStalls::DeliveryStalls(const DeliveryStallSpec& spec, std::uint64_t seed)
    : spec_(spec), rng_(seed) {
  NextStall();
}

void DeliveryStalls::NextStall() {
  if (spec_.per_s <= 0.0) {
    from_s_ = to_s_ = std::numeric_limits<double>::infinity();
    return;
  }
  from_s_ = to_s_ - std::log(1.0 - rng_.Uniform()) / spec_.per_s;
  to_s_ = from_s_ + spec_.min_s + (spec_.max_s - spec_.min_s) * rng_.Uniform();
  counted_ = false;
}

double DeliveryStalls::Deliver(double arrival_s) {
  while (arrival_s >= to_s_) NextStall();
  if (arrival_s < from_s_) return arrival_s;
  if (!counted_) {
    counted_ = true;
    ++stalls_;
  }
  return to_s_;
}

}  // namespace ambi::sim
