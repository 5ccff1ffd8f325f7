#ifndef AMBI_DAEMON_STORE_ISO_WEEK_H_
#define AMBI_DAEMON_STORE_ISO_WEEK_H_

// The ISO week lives with the weekly balance in proto/history (shared with the clients that read
// a central history).
#include "proto/history/iso_week.h"

namespace ambi::store {
using history::IsoWeek;
using history::IsoWeekOf;
using history::kNsPerDay;
using history::kNsPerWeek;
}  // namespace ambi::store

#endif  // AMBI_DAEMON_STORE_ISO_WEEK_H_
