// libFuzzer target: ambid.toml of arbitrary bytes. Either a config that passes its own
// validation, with only safe names, or an error message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/config/daemon_config.h"
#include "daemon/config/safe_name.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ambi::config::DaemonConfigResult result =
      ambi::config::ParseDaemonConfig(text, "fuzz.toml");
  if (!result.ok()) {
    if (result.error.empty()) std::abort();
    return 0;
  }
  if (!ambi::config::ValidateDaemonConfig(*result.config).empty()) std::abort();
  for (const ambi::config::AthleteConfig& athlete : result.config->athletes) {
    if (!ambi::config::SafeName::Problem(athlete.name).empty()) std::abort();
    for (const ambi::config::DeviceConfig& device : athlete.devices) {
      if (!ambi::config::SafeName::Problem(device.name).empty()) std::abort();
    }
  }
  return 0;
}
