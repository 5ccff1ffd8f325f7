#include "proto/history/session_reps.h"

#include <cstdint>
#include <map>
#include <set>
#include <tuple>

namespace ambi::proto {
namespace {

// A rep within its session: set, limb, side and its number within the set on that side. Reps
// outside any set (set 0) all have number 0 and are never paired: they have no key.
using RepKey = std::tuple<std::uint32_t, int, int, std::uint32_t>;

RepKey KeyOf(const v1::Rep& rep, v1::Limb limb) {
  return {rep.set_index(), static_cast<int>(limb), static_cast<int>(rep.side()), rep.index()};
}

}  // namespace

void AddUnpairedReps(const std::vector<v1::Rep>& recorded, const std::vector<v1::Rep>& logged,
                     v1::GetSessionResponse* response) {
  std::set<RepKey> paired;
  for (const v1::RepPair& pair : response->rep_pairs()) {
    // A pair's reps may leave their limb unset: the pair names it.
    for (const v1::Rep* rep : {&pair.left(), &pair.right()}) {
      paired.insert(KeyOf(*rep, rep->limb() != v1::LIMB_UNSPECIFIED ? rep->limb() : pair.limb()));
    }
  }
  std::map<RepKey, const v1::Rep*> whole;
  for (const v1::Rep& rep : logged) whole.emplace(KeyOf(rep, rep.limb()), &rep);
  for (const v1::Rep& rep : recorded) {
    const RepKey key = KeyOf(rep, rep.limb());
    if (rep.set_index() != 0 && paired.contains(key)) continue;
    const auto found = rep.set_index() != 0 ? whole.find(key) : whole.end();
    *response->add_unpaired_reps()->mutable_rep() = found != whole.end() ? *found->second : rep;
  }
}

}  // namespace ambi::proto
