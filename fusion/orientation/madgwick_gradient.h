#pragma once
// The gradient of Madgwick's objective, shared by the production filter and the published
// reference so the two cannot drift apart. Internal to fusion/orientation.
//
// The objective is carried at half its textbook size (f / 2), so what is computed here is the
// quarter gradient h = J^T f / 4. Scaling by powers of two is exact in floating point, so the
// result is bit-identical to the textbook arithmetic with fewer multiplications.

#include <cmath>

namespace ambi::fusion::madgwick_gradient {

struct QuarterGradient {
  double h0 = 0.0;
  double h1 = 0.0;
  double h2 = 0.0;
  double h3 = 0.0;
};

// Gravity term: f = (predicted up - measured up) / 2, both in the sensor frame.
[[gnu::always_inline]] inline QuarterGradient FromGravity(double q0, double q1, double q2,
                                                          double q3, double f1, double f2,
                                                          double f3) {
  return QuarterGradient{q1 * f2 - q2 * f1, q3 * f1 + q0 * f2 - 2.0 * q1 * f3,
                         q3 * f2 - q0 * f1 - 2.0 * q2 * f3, q1 * f1 + q2 * f2};
}

// Adds the magnetic term for the unit field (mx, my, mz) measured in the sensor frame.
// field_scale is 1 for the published algorithm; the reference can reproduce the original code's
// missing factor of two with 0.5.
[[gnu::always_inline]] inline void AddMagnetic(double q0, double q1, double q2, double q3,
                                               double mx, double my, double mz, double field_scale,
                                               QuarterGradient& h) {
  // Field in the earth frame h = q m q*; the reference field keeps its horizontal magnitude
  // along north and its vertical part: b = (|h_xy|, 0, h_z).
  const double hx = (1.0 - 2.0 * (q2 * q2 + q3 * q3)) * mx + 2.0 * (q1 * q2 - q0 * q3) * my +
                    2.0 * (q1 * q3 + q0 * q2) * mz;
  const double hy = 2.0 * (q1 * q2 + q0 * q3) * mx + (1.0 - 2.0 * (q1 * q1 + q3 * q3)) * my +
                    2.0 * (q2 * q3 - q0 * q1) * mz;
  const double hz = 2.0 * (q1 * q3 - q0 * q2) * mx + 2.0 * (q2 * q3 + q0 * q1) * my +
                    (1.0 - 2.0 * (q1 * q1 + q2 * q2)) * mz;
  const double bx = field_scale * std::sqrt(hx * hx + hy * hy);
  const double bz = field_scale * hz;
  // Objective: b rotated into the sensor frame minus the measured field.
  const double fb1 = bx * (1.0 - 2.0 * (q2 * q2 + q3 * q3)) + 2.0 * bz * (q1 * q3 - q0 * q2) - mx;
  const double fb2 = 2.0 * bx * (q1 * q2 - q0 * q3) + 2.0 * bz * (q0 * q1 + q2 * q3) - my;
  const double fb3 = 2.0 * bx * (q0 * q2 + q1 * q3) + bz * (1.0 - 2.0 * (q1 * q1 + q2 * q2)) - mz;
  h.h0 +=
      0.25 * (-2.0 * bz * q2 * fb1 + (-2.0 * bx * q3 + 2.0 * bz * q1) * fb2 + 2.0 * bx * q2 * fb3);
  h.h1 += 0.25 * (2.0 * bz * q3 * fb1 + (2.0 * bx * q2 + 2.0 * bz * q0) * fb2 +
                  (2.0 * bx * q3 - 4.0 * bz * q1) * fb3);
  h.h2 += 0.25 * ((-4.0 * bx * q2 - 2.0 * bz * q0) * fb1 + (2.0 * bx * q1 + 2.0 * bz * q3) * fb2 +
                  (2.0 * bx * q0 - 4.0 * bz * q2) * fb3);
  h.h3 += 0.25 * ((-4.0 * bx * q3 + 2.0 * bz * q1) * fb1 + (-2.0 * bx * q0 + 2.0 * bz * q2) * fb2 +
                  2.0 * bx * q1 * fb3);
}

}  // namespace ambi::fusion::madgwick_gradient
