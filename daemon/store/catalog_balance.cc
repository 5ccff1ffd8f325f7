#include "daemon/store/catalog_balance.h"

#include <map>
#include <string>

#include "daemon/config/exercise_catalog.h"

namespace ambi::store {

proto::ExerciseKind ExerciseKindOf(const fusion::Exercise& exercise) {
  proto::ExerciseKind kind;
  kind.muscle_groups = exercise.muscle_groups;
  if (exercise.direction == fusion::ForceDirection::kPush) {
    kind.direction = proto::ExerciseKind::Direction::kPush;
  } else if (exercise.direction == fusion::ForceDirection::kPull) {
    kind.direction = proto::ExerciseKind::Direction::kPull;
  }
  kind.reaching = exercise.reaching;
  return kind;
}

void BuildWeeklyBalance(const std::vector<proto::BalanceSet>& sets,
                        const config::ExerciseCatalog* catalog, std::int64_t until_unix_ns,
                        std::uint32_t weeks, v1::WeeklyBalanceResponse* response) {
  std::map<std::string, proto::ExerciseKind, std::less<>> kinds;
  const proto::ExerciseKindLookup kind_of =
      [&](std::string_view name) -> const proto::ExerciseKind* {
    if (catalog == nullptr) return nullptr;
    if (const auto known = kinds.find(name); known != kinds.end()) return &known->second;
    const fusion::Exercise* exercise = catalog->Find(name);
    if (exercise == nullptr) return nullptr;
    return &kinds.emplace(std::string(name), ExerciseKindOf(*exercise)).first->second;
  };
  proto::BuildWeeklyBalance(sets, kind_of, until_unix_ns, weeks, response);
}

}  // namespace ambi::store
