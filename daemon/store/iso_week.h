#ifndef AMBI_DAEMON_STORE_ISO_WEEK_H_
#define AMBI_DAEMON_STORE_ISO_WEEK_H_

// The ISO week lives with the weekly balance in proto/history (shared with the clients that read
// a central history).
#include "proto/history/iso_week.h"

namespace ambi::store {
using proto::IsoWeek;
using proto::IsoWeekOf;
using proto::kNsPerDay;
using proto::kNsPerWeek;
}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_ISO_WEEK_H_
