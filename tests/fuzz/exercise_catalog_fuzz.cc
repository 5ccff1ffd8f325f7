// libFuzzer target: an exercise catalog of arbitrary bytes. Either a catalog whose exercises
// can all be found by key, or an error message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/config/exercise_catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ambi::config::CatalogLoadResult result =
      ambi::config::ExerciseCatalog::Parse(text, "fuzz.toml");
  if (!result.ok()) {
    if (result.error.empty()) std::abort();
    return 0;
  }
  for (const ambi::fusion::Exercise& exercise : result.catalog->exercises()) {
    if (result.catalog->Find(exercise.name) != &exercise) std::abort();
  }
  return 0;
}
