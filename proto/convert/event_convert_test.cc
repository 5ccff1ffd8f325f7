// The core's events on the wire: what a client reads of a rep is what the core found.
#include "proto/convert/event_convert.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/convert/event_text.h"

namespace ambi::proto {
namespace {

fusion::Rep LungeFrontLegRep() {
  fusion::Rep rep;
  rep.placement = {fusion::Side::kLeft, fusion::Limb::kAnkle};
  rep.set_index = 1;
  rep.index = 3;
  rep.rom_deg = 21.0;
  rep.concentric_s = 0.9;
  rep.eccentric_s = 1.9;
  rep.stepped = true;
  return rep;
}

TEST(EventConvertTest, ARepThatSteppedSaysSoOnTheWire) {
  const v1::Event event = ToProto(fusion::Event(LungeFrontLegRep()));
  ASSERT_TRUE(event.has_rep());
  EXPECT_TRUE(event.rep().stepped());
  EXPECT_FALSE(event.rep().bridged());
  EXPECT_EQ(event.rep().side(), v1::SIDE_LEFT);
  EXPECT_DOUBLE_EQ(event.rep().rom_deg(), 21.0);
  const std::string text = DescribeEvent(event);
  EXPECT_NE(text.find("left ankle rep 3  ROM 21.0°"), std::string::npos) << text;
  EXPECT_NE(text.find("stepped"), std::string::npos) << text;
}

TEST(EventConvertTest, ARepInPlaceIsNotMarkedStepped) {
  fusion::Rep rep = LungeFrontLegRep();
  rep.stepped = false;
  rep.bridged = true;
  const v1::Event event = ToProto(fusion::Event(rep));
  EXPECT_FALSE(event.rep().stepped());
  EXPECT_TRUE(event.rep().bridged());
  EXPECT_EQ(DescribeEvent(event).find("stepped"), std::string::npos) << DescribeEvent(event);
}

}  // namespace
}  // namespace ambi::proto
