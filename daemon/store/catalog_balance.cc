#include "daemon/store/catalog_balance.h"

#include <map>
#include <string>

#include "daemon/config/exercise_catalog.h"

namespace ambi::store {

history::ExerciseKind ExerciseKindOf(const fusion::Exercise& exercise) {
  history::ExerciseKind kind;
  kind.muscle_groups = exercise.muscle_groups;
  if (exercise.direction == fusion::ForceDirection::kPush) {
    kind.direction = history::ExerciseKind::Direction::kPush;
  } else if (exercise.direction == fusion::ForceDirection::kPull) {
    kind.direction = history::ExerciseKind::Direction::kPull;
  }
  kind.reaching = exercise.reaching;
  return kind;
}

void BuildWeeklyBalance(const std::vector<history::BalanceSet>& sets,
                        const config::ExerciseCatalog* catalog, std::int64_t until_unix_ns,
                        std::uint32_t weeks, v1::WeeklyBalanceResponse* response) {
  std::map<std::string, history::ExerciseKind, std::less<>> kinds;
  const history::ExerciseKindLookup kind_of =
      [&](std::string_view name) -> const history::ExerciseKind* {
    if (catalog == nullptr) return nullptr;
    if (const auto known = kinds.find(name); known != kinds.end()) return &known->second;
    const fusion::Exercise* exercise = catalog->Find(name);
    if (exercise == nullptr) return nullptr;
    return &kinds.emplace(std::string(name), ExerciseKindOf(*exercise)).first->second;
  };
  history::BuildWeeklyBalance(sets, kind_of, until_unix_ns, weeks, response);
}

}  // namespace ambi::store
