#ifndef AMBI_PROTO_HISTORY_SESSION_REPS_H_
#define AMBI_PROTO_HISTORY_SESSION_REPS_H_

#include <vector>

#include "ambi/v1/service.pb.h"

namespace ambi::proto {

// Completes a GetSessionResponse whose rep pairs are filled: every recorded rep that no pair
// holds becomes an unpaired rep, in recording order. So the response carries every rep of the
// session (GetSessionResponse.unpaired_reps), the reps of unilateral sets too, which no
// comparison pairs or reports unpaired. 'recorded': the session's reps as stored, in recording
// order. 'logged': the UnpairedRep events the daemon published (whole messages); a recorded rep
// that one of them names is taken from it, for the fields an older store kept only there.
void AddUnpairedReps(const std::vector<v1::Rep>& recorded, const std::vector<v1::Rep>& logged,
                     v1::GetSessionResponse* response);

}  // namespace ambi::proto

#endif  // AMBI_PROTO_HISTORY_SESSION_REPS_H_
