#ifndef AMBI_TOOLS_REPLAY_EVENT_TEXT_H_
#define AMBI_TOOLS_REPLAY_EVENT_TEXT_H_

#include <string>

#include "fusion/core/events.h"

namespace ambi::replay {

// One line for a person watching a set live (the demo and `ambi-replay --format text`).
// Empty for events a person does not need to see line by line.
std::string DescribeEvent(const fusion::Event& event);

}  // namespace ambi::replay

#endif  // AMBI_TOOLS_REPLAY_EVENT_TEXT_H_
