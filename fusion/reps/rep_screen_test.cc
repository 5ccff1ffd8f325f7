#include "fusion/reps/rep_screen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace ambi::fusion {
namespace {

Rep MakeRep(Side side, double start_s, double duration_s, double rom_deg) {
  Rep rep;
  rep.placement = {side, Limb::kWrist};
  rep.start = TimeFromSeconds(start_s);
  rep.turnaround = TimeFromSeconds(start_s + 0.5 * duration_s);
  rep.end = TimeFromSeconds(start_s + duration_s);
  rep.rom_deg = rom_deg;
  return rep;
}

struct Planned {
  Side side;
  double start_s;
  double duration_s;
  double rom_deg;
  bool swing = false;    // a movement the detector judged a pendulum swing (AddSwing)
  bool stepped = false;  // the limb stepped into the rep and out of it (Rep::stepped)
  bool carried = false;  // a movement the detector judged carried elsewhere (AddCarried)
  Vec3 offset_m{};       // the sensor's offset from the centre it turned about (zero: unknown)
};

// Feeds the reps in order of their ends (as detectors report them), advancing both sides' data
// time as it goes, and returns what passed per side.
std::vector<Rep> Screen(RepScreen& screen, std::vector<Planned> plan, double until_s) {
  std::sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    return a.start_s + a.duration_s < b.start_s + b.duration_s;
  });
  std::vector<Rep> passed;
  auto drain = [&] {
    while (auto rep = screen.Pop()) passed.push_back(*rep);
  };
  std::size_t next = 0;
  for (double t = 0.0; t <= until_s; t += 0.02) {
    while (next < plan.size() && plan[next].start_s + plan[next].duration_s <= t) {
      const Planned& p = plan[next++];
      if (p.swing) {
        screen.AddSwing(p.side, MakeRep(p.side, p.start_s, p.duration_s, p.rom_deg));
      } else if (p.carried) {
        screen.AddCarried(p.side, MakeRep(p.side, p.start_s, p.duration_s, p.rom_deg));
      } else {
        Rep rep = MakeRep(p.side, p.start_s, p.duration_s, p.rom_deg);
        rep.stepped = p.stepped;
        screen.Add(p.side, rep, RepRotation{{0, 1, 0}, p.offset_m});
      }
      drain();
    }
    screen.AdvanceTime(Side::kLeft, TimeFromSeconds(t));
    screen.AdvanceTime(Side::kRight, TimeFromSeconds(t));
    drain();
  }
  screen.EndRun();
  drain();
  return passed;
}

int Count(const std::vector<Rep>& reps, Side side) {
  return static_cast<int>(std::count_if(reps.begin(), reps.end(),
                                        [&](const Rep& r) { return r.placement.side == side; }));
}

TEST(RepScreenTest, PickUpAndPutDownAtTheEdgesOfASetAreNotReps) {
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/false);
  std::vector<Planned> plan = {{Side::kLeft, 1.0, 2.0, 42.0}};  // slow lift of the weights
  for (int i = 0; i < 8; ++i) plan.push_back({Side::kLeft, 5.0 + 3.0 * i, 2.5, 120.0 + i});
  plan.push_back({Side::kLeft, 29.0, 1.5, 50.0});  // a partial last rep: inside the set
  plan.push_back({Side::kLeft, 32.0, 2.0, 44.0});  // putting them down
  const std::vector<Rep> passed = Screen(screen, plan, 60.0);
  ASSERT_EQ(passed.size(), 9u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_GE(passed[i].rom_deg, 120.0);
  EXPECT_EQ(passed[8].rom_deg, 50.0);
  EXPECT_EQ(screen.counts().handling, 2);
}

// Six bilateral curls, 120 deg on the left and 95 deg on the weaker right, then one more
// movement of each side together: what the screen passes.
std::vector<Rep> CurlsThen(RepScreen& screen, const Planned& left_last, const Planned& right_last) {
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan;
  for (int i = 0; i < 6; ++i) {
    plan.push_back({Side::kLeft, 2.0 + 3.6 * i, 2.8, 120.0});
    plan.push_back({Side::kRight, 2.0 + 3.6 * i, 2.8, 95.0});
  }
  plan.push_back(left_last);
  plan.push_back(right_last);
  return Screen(screen, plan, 60.0);
}

// Both hands put the weights down together, 52 deg each. The right's put-down is over half its
// curls and about a centre the screen cannot tell from theirs (a fit a lossy link shortened): its
// size alone passes it. Beside the left's put-down, judged handling, and of a like size, it is
// handling too.
TEST(RepScreenTest, AWeakerSidesPutDownBesideTheOtherSidesIsHandling) {
  RepScreen screen({});
  const std::vector<Rep> passed =
      CurlsThen(screen, {Side::kLeft, 24.0, 2.7, 52.0}, {Side::kRight, 24.0, 2.8, 53.0});
  EXPECT_EQ(Count(passed, Side::kLeft), 6);
  EXPECT_EQ(Count(passed, Side::kRight), 6);
  EXPECT_EQ(screen.counts().handling, 2);
  for (const Rep& r : passed) EXPECT_GE(r.rom_deg, 95.0);
}

// ... but a rep of its side's own size beside the other side's handling is a rep: the right's
// last curl (95 deg) as the left puts its weight down early (52 deg).
TEST(RepScreenTest, ARepBesideTheOtherSidesHandlingOfAnotherSizeCounts) {
  RepScreen screen({});
  const std::vector<Rep> passed =
      CurlsThen(screen, {Side::kLeft, 23.6, 2.7, 52.0}, {Side::kRight, 23.6, 2.8, 95.0});
  EXPECT_EQ(Count(passed, Side::kLeft), 6);
  EXPECT_EQ(Count(passed, Side::kRight), 7);
  EXPECT_EQ(screen.counts().handling, 1);
}

// A bilateral set of varying range whose right side begins with a rep under half its next
// (49 deg, then 103 deg), while the left's first rep (53 deg, then 62 deg) is of its set's size.
// Both hands pick the weights up in one movement: beside the left's rep, the right's is a rep.
// Both sides small beside each other (a pick-up, 42 and 44 deg before 120 deg curls) is
// handling on both; so is a small first rep beside no movement of the other side.
TEST(RepScreenTest, ASmallFirstRepBesideTheOtherSidesFirstRepIsARep) {
  const std::vector<double> left = {53.0, 62.0, 78.0, 93.0, 79.0, 73.0};
  const std::vector<double> right = {49.0, 103.0, 85.0, 87.0, 81.0, 99.0};
  auto run = [](const std::vector<double>& l, const std::vector<double>& r, double left_from_s) {
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
    std::vector<Planned> plan;
    for (std::size_t i = 0; i < l.size(); ++i) {
      const double offset_s = 4.4 * static_cast<double>(i);
      plan.push_back({Side::kLeft, left_from_s + offset_s, 2.7, l[i]});
      plan.push_back({Side::kRight, 2.05 + offset_s, 2.8, r[i]});
    }
    const std::vector<Rep> passed = Screen(screen, plan, 60.0);
    return std::pair{Count(passed, Side::kLeft), Count(passed, Side::kRight)};
  };
  EXPECT_EQ(run(left, right, 2.0), std::pair(6, 6));

  const std::vector<double> pick_up_left = {42.0, 120.0, 121.0, 122.0, 121.0, 120.0};
  const std::vector<double> pick_up_right = {44.0, 118.0, 119.0, 120.0, 118.0, 119.0};
  EXPECT_EQ(run(pick_up_left, pick_up_right, 2.0), std::pair(5, 5));

  // The left side starts a rep later: the right's first movement is beside none of the left's,
  // and its size alone judges it.
  const std::vector<double> left_later = {62.0, 78.0, 93.0, 79.0, 73.0, 80.0};
  EXPECT_EQ(run(left_later, right, 2.0 + 4.4), std::pair(6, 5));
}

// Six bilateral curls of about 140 deg from 14 s: the set after a walk ...
void AddCurlsAfterTheWalk(std::vector<Planned>& plan) {
  for (int i = 0; i < 6; ++i) {
    plan.push_back({Side::kLeft, 14.0 + 3.7 * i, 2.8, 140.0});
    plan.push_back({Side::kRight, 14.0 + 3.7 * i, 2.8, 138.0});
  }
}

// ... of which the curls, and nothing of the walk, passed.
void ExpectOnlyTheCurlsPassed(const std::vector<Rep>& passed) {
  EXPECT_EQ(Count(passed, Side::kLeft), 6);
  EXPECT_EQ(Count(passed, Side::kRight), 6);
  for (const Rep& r : passed) EXPECT_GE(r.rom_deg, 138.0);
}

// Walking, the left arm swings only forward of its hang (its detector finds reps there) while
// the right swings through its hang (pendulum swings, not reps). The left's swings are gait, the
// last one too though no swing of the right follows it (it goes on from the walk). Then the
// weights are picked up (a slow 44 deg lift) and curls follow: the pick-up is the first
// movement of the run that is not gait, so it is handling, and the curls all count.
TEST(RepScreenTest, BesideTheOtherArmsPendulumSwingsAWalksRepsAreGait) {
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan;
  for (int i = 0; i < 5; ++i) {
    plan.push_back({Side::kLeft, 2.4 + 1.1 * i, 1.1, 45.0});
    if (i < 4) plan.push_back({Side::kRight, 2.45 + 1.1 * i, 0.75, 45.0, /*swing=*/true});
  }
  plan.push_back({Side::kLeft, 9.4, 3.4, 44.0});  // picking the weights up
  plan.push_back({Side::kRight, 9.5, 3.4, 42.0});
  AddCurlsAfterTheWalk(plan);
  const std::vector<Rep> passed = Screen(screen, plan, 50.0);
  ExpectOnlyTheCurlsPassed(passed);
  EXPECT_EQ(screen.GaitCount(Side::kLeft), 5);
  EXPECT_EQ(screen.GaitCount(Side::kRight), 0);
  EXPECT_EQ(screen.counts().handling, 2);
}

// Walking, the right arm's detector took every other swing for a step (the sensor carried
// elsewhere by the walk) and the others for reps. A rep between two such movements, without rest
// and beside the left arm's pendulum swing, is the walk's: gait. (With no rep of its own side
// next to it, it passed.)
TEST(RepScreenTest, AWalksRepBetweenMovementsCarriedElsewhereIsGait) {
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan;
  for (int i = 0; i < 7; ++i) {
    plan.push_back({Side::kLeft, 2.4 + 1.1 * i, 0.75, 42.0, /*swing=*/true});
    Planned right = {Side::kRight, 2.45 + 1.1 * i, 0.9, 41.0};
    right.carried = i % 2 == 0;
    plan.push_back(right);
  }
  AddCurlsAfterTheWalk(plan);
  const std::vector<Rep> passed = Screen(screen, plan, 50.0);
  ExpectOnlyTheCurlsPassed(passed);
  EXPECT_EQ(screen.GaitCount(Side::kRight), 3);
}

// A lunge whose step in was lost in a burst: the stepping leg's rep begins with the step and
// turns around well before the back leg's knee, and the step back out follows it without rest.
// One movement carried elsewhere next to a rep is a lunge's step, not a walk: the rep counts.
TEST(RepScreenTest, AStepBackAfterARepIsNoWalk) {
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan;
  for (int i = 0; i < 5; ++i) {
    const double t = 2.0 + 5.9 * i;
    plan.push_back({Side::kLeft, t, 3.0, 25.0});            // step in, stance
    Planned step_back = {Side::kLeft, t + 3.1, 0.8, 30.0};  // step back
    step_back.carried = true;
    plan.push_back(step_back);
    plan.push_back({Side::kRight, t + 1.2, 2.4, 68.0});  // the back leg's knee
  }
  const std::vector<Rep> passed = Screen(screen, plan, 40.0);
  EXPECT_EQ(Count(passed, Side::kLeft), 5);
  EXPECT_EQ(Count(passed, Side::kRight), 5);
  EXPECT_EQ(screen.counts().gait, 0);
}

// Mid-set, a loss burst misplaced the return of one of the right arm's curls and its detector
// took it for a swing. The left curl beside it rested before it, as a set's reps do: it counts
// (gait goes on without rest).
TEST(RepScreenTest, MidSetARepBesideASwingTheOtherSideMadeOfALostRepCounts) {
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan;
  for (int i = 0; i < 6; ++i) {
    plan.push_back({Side::kLeft, 2.0 + 3.7 * i, 2.8, 140.0});
    plan.push_back({Side::kRight, 2.0 + 3.7 * i, i == 2 ? 2.5 : 2.8, 138.0, /*swing=*/i == 2});
  }
  const std::vector<Rep> passed = Screen(screen, plan, 40.0);
  EXPECT_EQ(Count(passed, Side::kLeft), 6);
  EXPECT_EQ(Count(passed, Side::kRight), 5);
  EXPECT_EQ(screen.counts().gait, 0);
}

// Eight 115 deg curls, then a second run of the same exercise; before its curls the forearm
// sways in hand (7 deg, a rise every 2.6 s, no rest between them) or, at a lower level, does
// reps of 'second_rom_deg'. Returns what the second run passed.
std::vector<Rep> SecondRunAfterCurls(RepScreen& screen, bool same_exercise,
                                     std::vector<Planned> second) {
  screen.StartRun(true, false);
  std::vector<Planned> first;
  for (int i = 0; i < 8; ++i) first.push_back({Side::kLeft, 2.0 + 4.0 * i, 3.0, 112.0 + i});
  EXPECT_EQ(Screen(screen, first, 40.0).size(), 8u);
  screen.StartRun(true, false, /*other_side_rests=*/false, same_exercise);
  return Screen(screen, std::move(second), 140.0);
}

TEST(RepScreenTest, ASwayInHandBetweenSetsIsNoRepOfTheNextSet) {
  RepScreen screen({});
  std::vector<Planned> second;
  for (int i = 0; i < 6; ++i) second.push_back({Side::kLeft, 70.0 + 2.6 * i, 2.35, 7.0});
  second.push_back({Side::kLeft, 87.0, 2.0, 44.0});  // the pick-up rule still judges the first
  for (int i = 0; i < 8; ++i) second.push_back({Side::kLeft, 92.0 + 4.0 * i, 3.0, 110.0 + i});
  const std::vector<Rep> passed = SecondRunAfterCurls(screen, /*same_exercise=*/true, second);
  ASSERT_EQ(passed.size(), 8u);
  for (const Rep& r : passed) EXPECT_GE(r.rom_deg, 110.0);
  EXPECT_EQ(screen.counts().handling, 7);
}

TEST(RepScreenTest, ASetOfTheSameExerciseAtALowerLevelCounts) {
  // Low-amplitude executions a third of the full ones: a set of its own, every rep counts.
  RepScreen screen({});
  std::vector<Planned> second;
  for (int i = 0; i < 8; ++i) second.push_back({Side::kLeft, 70.0 + 4.0 * i, 2.5, 38.0});
  EXPECT_EQ(SecondRunAfterCurls(screen, /*same_exercise=*/true, second).size(), 8u);
}

TEST(RepScreenTest, AfterAnotherExerciseSmallRepsAreASetOfTheirOwn) {
  // Wrist-sized reps after curls, the exercise changed: the curls are no reference.
  RepScreen screen({});
  std::vector<Planned> second;
  for (int i = 0; i < 8; ++i) second.push_back({Side::kLeft, 70.0 + 3.0 * i, 2.0, 9.0});
  EXPECT_EQ(SecondRunAfterCurls(screen, /*same_exercise=*/false, second).size(), 8u);
}

TEST(RepScreenTest, ARunOfSmallerRepsIsAChangeOfLevelAndCounts) {
  // Ten full reps, then ten low-amplitude ones (40 %): each is a rep of its own.
  RepScreen screen({});
  screen.StartRun(true, false);
  std::vector<Planned> plan;
  for (int i = 0; i < 10; ++i) plan.push_back({Side::kLeft, 1.0 + 3.0 * i, 2.0, 100.0});
  for (int i = 0; i < 10; ++i) plan.push_back({Side::kLeft, 31.0 + 3.0 * i, 2.0, 40.0});
  EXPECT_EQ(Screen(screen, plan, 70.0).size(), 20u);
}

TEST(RepScreenTest, AMovementAloneIsNotASet) {
  RepScreen screen({});
  screen.StartRun(true, false);
  EXPECT_TRUE(Screen(screen, {{Side::kLeft, 2.0, 2.0, 45.0}}, 40.0).empty());
  EXPECT_EQ(screen.counts().handling, 1);
}

TEST(RepScreenTest, AntiPhaseArmSwingIsGaitNotABilateralSet) {
  // Walking: 45 deg swings at 0.9 Hz, right half a period behind left.
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan;
  const double period_s = 1.0 / 0.9;
  for (int i = 0; i < 8; ++i) {
    plan.push_back({Side::kLeft, 1.0 + period_s * i, period_s, 45.0});
    plan.push_back({Side::kRight, 1.0 + period_s * (i + 0.5), period_s, 44.0});
  }
  EXPECT_TRUE(Screen(screen, plan, 40.0).empty());
  EXPECT_GE(screen.counts().gait, 14);
}

TEST(RepScreenTest, AntiPhaseRepsWithRestBetweenThemAreNotGait) {
  // Alternating reps that rest at the rest pose between them are exercise, not a swing.
  RepScreen screen({});
  screen.StartRun(true, true);
  std::vector<Planned> plan;
  for (int i = 0; i < 6; ++i) {
    plan.push_back({Side::kLeft, 1.0 + 3.0 * i, 1.5, 60.0});
    plan.push_back({Side::kRight, 1.75 + 3.0 * i, 1.5, 60.0});
  }
  std::sort(plan.begin(), plan.end(),
            [](const Planned& a, const Planned& b) { return a.start_s < b.start_s; });
  std::vector<Rep> passed;
  for (const Planned& p : plan) {
    const Rep rep = MakeRep(p.side, p.start_s, p.duration_s, p.rom_deg);
    screen.Add(p.side, rep);
    screen.AdvanceTime(Side::kLeft, rep.end);
    screen.AdvanceTime(Side::kRight, rep.end);
    while (auto r = screen.Pop()) passed.push_back(*r);
  }
  screen.EndRun();
  while (auto r = screen.Pop()) passed.push_back(*r);
  EXPECT_EQ(screen.counts().gait, 0);
  EXPECT_EQ(passed.size(), 12u);
}

TEST(RepScreenTest, HeldRepsWhoseFarthestPointsLieAtOppositeEndsOfTheHoldAreNotGait) {
  // Both legs raised together and held 0.65 s at the top, rep after rep without rest, the right
  // rising a little slower. Each side's farthest point may lie anywhere in its hold: here the
  // left's at its start, the right's at its end, 0.8 s apart (more than 0.3 of a 2.55 s rep),
  // turning together all the same.
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Rep> passed;
  for (int i = 0; i < 8; ++i) {
    const double start_s = 2.0 + 2.8 * i;
    for (const Side side : {Side::kLeft, Side::kRight}) {
      Rep rep = MakeRep(side, start_s, 2.55, 46.0);
      const bool left = side == Side::kLeft;
      rep.concentric_s = left ? 1.0 : 1.15;
      rep.pause_turnaround_s = 0.65;
      rep.eccentric_s = 2.55 - rep.concentric_s - rep.pause_turnaround_s;
      rep.turnaround = TimeFromSeconds(start_s + rep.concentric_s + (left ? 0.0 : 0.65));
      screen.Add(side, rep);
    }
    screen.AdvanceTime(Side::kLeft, TimeFromSeconds(start_s + 2.8));
    screen.AdvanceTime(Side::kRight, TimeFromSeconds(start_s + 2.8));
    while (auto r = screen.Pop()) passed.push_back(*r);
  }
  screen.EndRun();
  while (auto r = screen.Pop()) passed.push_back(*r);
  EXPECT_EQ(screen.counts().gait, 0);
  EXPECT_EQ(Count(passed, Side::kLeft), 8);
  EXPECT_EQ(Count(passed, Side::kRight), 8);
}

TEST(RepScreenTest, InPhaseBilateralRepsPassWithAClockOffset) {
  RepScreen screen({});
  screen.StartRun(true, true);
  std::vector<Planned> plan;
  for (int i = 0; i < 8; ++i) {
    plan.push_back({Side::kLeft, 2.0 + 3.5 * i, 2.5, 120.0});
    plan.push_back({Side::kRight, 2.4 + 3.5 * i, 2.5, 100.0});  // 0.4 s late, 17 % weaker
  }
  const std::vector<Rep> passed = Screen(screen, plan, 50.0);
  EXPECT_EQ(Count(passed, Side::kLeft), 8);
  EXPECT_EQ(Count(passed, Side::kRight), 8);
}

TEST(RepScreenTest, ALimbThatOnlyFollowsIsNotWorkingButAWeakSideIsCompared) {
  {
    // One-legged work: the right leg does 85 deg, the resting left leg rocks 5-12 deg with it.
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/false, true);
    std::vector<Planned> plan;
    for (int i = 0; i < 8; ++i) {
      plan.push_back({Side::kRight, 2.0 + 4.0 * i, 3.0, 85.0});
      plan.push_back({Side::kLeft, 2.3 + 4.0 * i, 2.4, 5.0 + i});
    }
    const std::vector<Rep> passed = Screen(screen, plan, 60.0);
    EXPECT_EQ(Count(passed, Side::kRight), 8);
    EXPECT_EQ(Count(passed, Side::kLeft), 0);
    EXPECT_TRUE(screen.NotWorking(Side::kLeft));
    EXPECT_FALSE(screen.NotWorking(Side::kRight));
  }
  {
    // A weak side doing half the other's range does reps of its own.
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/true, true);
    std::vector<Planned> plan;
    for (int i = 0; i < 8; ++i) {
      plan.push_back({Side::kRight, 2.0 + 4.0 * i, 3.0, 85.0});
      plan.push_back({Side::kLeft, 2.1 + 4.0 * i, 2.8, 42.0});
    }
    const std::vector<Rep> passed = Screen(screen, plan, 60.0);
    EXPECT_EQ(Count(passed, Side::kLeft), 8);
    EXPECT_FALSE(screen.NotWorking(Side::kLeft));
  }
}

TEST(RepScreenTest, WhereTheOtherSideRestsALargerRockIsStillTheBody) {
  // A unilateral straight-leg raise of 50 deg: the resting leg, rolled and tilted by the pelvis,
  // rocks 22-23 deg (0.45 of the rep) with every rep.
  std::vector<Planned> plan;
  for (int i = 0; i < 8; ++i) {
    plan.push_back({Side::kRight, 2.0 + 5.0 * i, 4.0, 50.0});
    plan.push_back({Side::kLeft, 2.3 + 5.0 * i, 3.6, 22.0 + 0.1 * i});
  }
  RepScreen resting({});
  resting.StartRun(/*bilateral=*/false, true, /*other_side_rests=*/true);
  const std::vector<Rep> passed = Screen(resting, plan, 60.0);
  EXPECT_EQ(Count(passed, Side::kRight), 8);
  EXPECT_EQ(Count(passed, Side::kLeft), 0);
  EXPECT_TRUE(resting.NotWorking(Side::kLeft));

  // The same motion in an exercise whose other side takes part (the back shank of a split
  // squat) is that side's reps.
  RepScreen moving({});
  moving.StartRun(/*bilateral=*/false, true, /*other_side_rests=*/false);
  EXPECT_EQ(Count(Screen(moving, plan, 60.0), Side::kLeft), 8);
  EXPECT_FALSE(moving.NotWorking(Side::kLeft));
}

TEST(RepScreenTest, ARockBetweenTheWorkingSidesRepsIsFollowingToo) {
  // The working leg's reps are 3 s every 5 s; the resting leg's rocks of 5-6 deg fall in the
  // pauses between them (none overlaps a working rep), yet the working side is mid-set.
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/false, true);
  std::vector<Planned> plan;
  for (int i = 0; i < 8; ++i) {
    plan.push_back({Side::kRight, 2.0 + 5.0 * i, 3.0, 60.0});
    if (i % 2 == 1) plan.push_back({Side::kLeft, 5.2 + 5.0 * i, 1.6, 5.0 + 0.2 * i});
  }
  const std::vector<Rep> passed = Screen(screen, plan, 70.0);
  EXPECT_EQ(Count(passed, Side::kRight), 8);
  EXPECT_EQ(Count(passed, Side::kLeft), 0);
  EXPECT_EQ(screen.counts().following, 4);
  EXPECT_TRUE(screen.NotWorking(Side::kLeft));

  // Alone (the other side resting longer than follower_near_s), a small movement is not
  // judged against the other side: it is the screen's size rules' to judge.
  RepScreen alone({});
  alone.StartRun(false, true);
  const std::vector<Rep> passed_alone = Screen(alone,
                                               {{Side::kRight, 2.0, 3.0, 60.0},
                                                {Side::kRight, 7.0, 3.0, 60.0},
                                                {Side::kLeft, 16.0, 2.0, 14.0},
                                                {Side::kLeft, 19.0, 2.0, 15.0},
                                                {Side::kLeft, 22.0, 2.0, 14.0}},
                                               60.0);
  EXPECT_EQ(Count(passed_alone, Side::kLeft), 3);
  EXPECT_EQ(alone.counts().following, 0);
}

TEST(RepScreenTest, AUnilateralSetTakesALargerRockForFollowingThanABilateralOne) {
  // A resting leg rolling with the pelvis: 18 deg beside a 50 deg raise (0.36 of it).
  for (const bool bilateral : {false, true}) {
    SCOPED_TRACE(bilateral ? "bilateral" : "unilateral");
    RepScreen screen({});
    screen.StartRun(bilateral, true);
    std::vector<Planned> plan;
    for (int i = 0; i < 6; ++i) {
      plan.push_back({Side::kRight, 2.0 + 5.0 * i, 3.0, 50.0});
      plan.push_back({Side::kLeft, 2.2 + 5.0 * i, 2.6, 18.0});
    }
    const std::vector<Rep> passed = Screen(screen, plan, 50.0);
    EXPECT_EQ(Count(passed, Side::kRight), 6);
    // In a bilateral set both sides work: 0.36 of the other side is a weak side, compared.
    EXPECT_EQ(Count(passed, Side::kLeft), bilateral ? 6 : 0);
  }
  // Alternating sides in a unilateral set (no overlap) at 0.36: each side's own reps.
  RepScreen screen({});
  screen.StartRun(false, true);
  std::vector<Planned> plan;
  for (int i = 0; i < 6; ++i) {
    plan.push_back({Side::kRight, 2.0 + 5.0 * i, 2.0, 50.0});
    plan.push_back({Side::kLeft, 4.5 + 5.0 * i, 2.0, 18.0});
  }
  const std::vector<Rep> passed = Screen(screen, plan, 50.0);
  EXPECT_EQ(Count(passed, Side::kLeft), 6);
}

TEST(RepScreenTest, ALegThatSteppedIntoItsRepIsWorkingWhateverItsShareOfTheOther) {
  // A forward lunge: the front shank tilts 25 deg over the planted foot while the rear one drops
  // 85 deg (0.29 of it). A limb that stepped carries the body; it does not follow it.
  for (const bool stepped : {true, false}) {
    SCOPED_TRACE(stepped ? "stepped" : "not stepped");
    RepScreen screen({});
    screen.StartRun(false, true);
    std::vector<Planned> plan;
    for (int i = 0; i < 6; ++i) {
      plan.push_back({Side::kLeft, 2.0 + 6.0 * i, 2.6, 85.0});
      plan.push_back({Side::kRight, 1.9 + 6.0 * i, 2.9, 25.0, false, stepped});
    }
    const std::vector<Rep> passed = Screen(screen, plan, 50.0);
    EXPECT_EQ(Count(passed, Side::kLeft), 6);
    EXPECT_EQ(Count(passed, Side::kRight), stepped ? 6 : 0);
  }
}

TEST(RepScreenTest, ARepWaitsForTheOtherSidesDataButNotForASilentSide) {
  RepScreen screen({});
  screen.StartRun(true, true);
  screen.AdvanceTime(Side::kRight, TimeFromSeconds(2.0));
  screen.StartRun(true, true);  // a new run keeps what it knows of the data time
  for (int i = 0; i < 2; ++i) screen.Add(Side::kLeft, MakeRep(Side::kLeft, 1.0 + 3 * i, 2, 90));
  screen.AdvanceTime(Side::kLeft, TimeFromSeconds(6.0));
  EXPECT_FALSE(screen.Pop());  // the right side's data is not there yet
  ASSERT_TRUE(screen.HeldFrom(Side::kLeft));
  EXPECT_DOUBLE_EQ(ToSeconds(*screen.HeldFrom(Side::kLeft)), 1.0);
  screen.AdvanceTime(Side::kLeft, TimeFromSeconds(6.0 + RepScreenParams{}.partner_silent_s));
  EXPECT_TRUE(screen.Pop());  // the right side fell silent
}

TEST(RepScreenTest, AFirstRepAboutAnotherAxisIsHandlingWhateverItsSize) {
  // Picking the weights up (42 deg about the flexion axis) before 30 deg lateral raises (about
  // the abduction axis, 90 deg from it): larger than the raises, but not a raise. About the
  // same axis it would be the set's first rep.
  const Vec3 flexion{0, 1, 0};
  const Vec3 abduction{1, 0, 0};
  for (const bool other_axis : {true, false}) {
    SCOPED_TRACE(other_axis ? "other axis" : "same axis");
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/true, /*two_sides=*/false);
    screen.Add(Side::kLeft, MakeRep(Side::kLeft, 1.0, 3.5, 42),
               RepRotation{other_axis ? flexion : abduction, {}});
    for (int i = 0; i < 4; ++i) {
      screen.Add(Side::kLeft, MakeRep(Side::kLeft, 6.0 + 3 * i, 2, 30), RepRotation{abduction, {}});
    }
    screen.EndRun();
    int passed = 0;
    while (screen.Pop()) ++passed;
    EXPECT_EQ(passed, other_axis ? 4 : 5);
    EXPECT_EQ(screen.counts().handling, other_axis ? 1 : 0);
  }
}

// Both hands pick the weights up together (54 and 55 deg) before curls of 91 deg on the weaker
// left and 121 deg on the right (the simulator's drawn seed 1769). The right's lift turned about
// a centre 0.5 m from the sensor, its curls 0.24 m, and it is handling. The left's read 0.35 m,
// its curls 0.25 m along nearly the same line, too near to tell; over half their size, alone it
// passed. Beside the right's pick-up, of a like size and first of its run, it is handling too.
// Beside a first curl of the right (121 deg, not alike) it is judged alone, and passes.
TEST(RepScreenTest, AFirstRepBesideTheOtherSidesPickUpOfALikeSizeIsHandling) {
  const Vec3 left_elbow_m{-0.08, 0.16, -0.17};
  const Vec3 right_elbow_m{-0.14, 0.02, 0.19};
  const Vec3 right_shoulder_m{-0.3, 0.06, 0.4};
  for (const double right_first_deg : {55.0, 121.0}) {
    SCOPED_TRACE(right_first_deg);
    const bool pick_up = right_first_deg < 100.0;
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
    std::vector<Planned> plan = {{.side = Side::kLeft,
                                  .start_s = 13.63,
                                  .duration_s = 3.24,
                                  .rom_deg = 54.0,
                                  .offset_m = {-0.13, 0.22, -0.24}},
                                 {.side = Side::kRight,
                                  .start_s = 13.64,
                                  .duration_s = 3.22,
                                  .rom_deg = right_first_deg,
                                  .offset_m = pick_up ? right_shoulder_m : right_elbow_m}};
    for (int i = 0; i < 4; ++i) {
      const double start_s = 17.45 + 4.0 * i;
      plan.push_back({.side = Side::kLeft,
                      .start_s = start_s,
                      .duration_s = 2.9,
                      .rom_deg = 91.0,
                      .offset_m = left_elbow_m});
      plan.push_back({.side = Side::kRight,
                      .start_s = start_s,
                      .duration_s = 2.9,
                      .rom_deg = 121.0,
                      .offset_m = right_elbow_m});
    }
    const std::vector<Rep> passed = Screen(screen, plan, 60.0);
    EXPECT_EQ(Count(passed, Side::kLeft), pick_up ? 4 : 5);
    EXPECT_EQ(Count(passed, Side::kRight), pick_up ? 4 : 5);
    EXPECT_EQ(screen.counts().handling, pick_up ? 2 : 0);
  }
}

// Both hands pick the weights up together, 52 and 51 deg, about the curls' own centres, before
// curls of 91 deg on the weaker left and 115 deg on the right (the simulator's drawn seed 1513).
// The left's lift is 0.57 of its next rep and passed by its size; the right's, 0.45 of its next,
// is a small first rep and passed beside the left's. Two first reps alike and both well under
// their sets' reps vouch for neither: both are handling. A first rep of its set's size (0.85 of
// the next) still vouches for a small one beside it
// (ASmallFirstRepBesideTheOtherSidesFirstRepIsARep).
TEST(RepScreenTest, TwoLikeFirstRepsWellUnderTheirSetsAreBothHandsPickUp) {
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/true);
  std::vector<Planned> plan = {{Side::kLeft, 11.08, 3.81, 51.9}, {Side::kRight, 11.09, 3.78, 51.2}};
  for (int i = 0; i < 4; ++i) {
    plan.push_back({Side::kLeft, 15.7 + 3.8 * i, 2.6, 90.8});
    plan.push_back({Side::kRight, 15.7 + 3.8 * i, 2.7, 114.6});
  }
  const std::vector<Rep> passed = Screen(screen, plan, 60.0);
  EXPECT_EQ(Count(passed, Side::kLeft), 4);
  EXPECT_EQ(Count(passed, Side::kRight), 4);
  EXPECT_EQ(screen.counts().handling, 2);
}

TEST(RepScreenTest, PickingUpAndPuttingDownAboutAnotherCentreIsHandlingAboveHalfTheSetsSize) {
  // A 50 deg pick-up and put-down before and after 85 deg curls (the weaker side of an
  // asymmetric set): over half the curls' size, but the whole arm turned about the shoulder
  // (the wrist sensor 0.55 m below it) where the curls turn the forearm about the elbow (0.25 m
  // below it). About the elbow the same movements are the set's first and last reps, partial
  // ones; with no centre known the size alone decides, as before. A leg swung up from the hip
  // before a knee extension: the hip is 0.45 m behind the knee, so the ankle sensor is 0.6 m
  // from it against 0.4 m from the knee, only 1.5 times as far, but in another direction.
  const Vec3 flexion{0, 1, 0};
  struct Case {
    const char* name;
    Vec3 edge_offset_m;
    Vec3 rep_offset_m;
    int passed;
  };
  for (const Case& c :
       {Case{"about the shoulder", {0, 0, -0.55}, {0, 0, -0.25}, 4},
        Case{"about the elbow", {0, 0, -0.26}, {0, 0, -0.25}, 6},
        Case{"about the hip", {0.45, 0, -0.4}, {0, 0, -0.4}, 4},
        Case{"about the knee, a little askew", {0.08, 0, -0.42}, {0, 0, -0.4}, 6},
        Case{"not known", {}, {0, 0, -0.25}, 6}, Case{"reps not known", {0, 0, -0.55}, {}, 6}}) {
    SCOPED_TRACE(c.name);
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/true, /*two_sides=*/false);
    screen.Add(Side::kLeft, MakeRep(Side::kLeft, 1.0, 3.5, 50),
               RepRotation{flexion, c.edge_offset_m});
    for (int i = 0; i < 4; ++i) {
      screen.Add(Side::kLeft, MakeRep(Side::kLeft, 6.0 + 3 * i, 2, 85),
                 RepRotation{flexion, c.rep_offset_m});
    }
    screen.Add(Side::kLeft, MakeRep(Side::kLeft, 20.0, 3.5, 50),
               RepRotation{flexion, c.edge_offset_m});
    // The put-down waits for a next rep that does not come.
    screen.AdvanceTime(Side::kLeft, TimeFromSeconds(24.0 + RepScreenParams{}.run_end_rest_s));
    screen.EndRun();
    int passed = 0;
    while (screen.Pop()) ++passed;
    EXPECT_EQ(passed, c.passed);
    EXPECT_EQ(screen.counts().handling, 6 - c.passed);
  }
}

TEST(RepScreenTest, APutDownAfterTheNextSetIsJudgedByTheCentreOfTheSetBefore) {
  // A detector that goes on from set to set measures the centre of its first reps only: the
  // second set of curls knows none of its own. Its put-down (52 deg, over half the curls, about
  // the shoulder) is judged by the first set's centre (the elbow) when the exercise is the same;
  // after another exercise nothing tells it from a partial last rep.
  const Vec3 flexion{0, 1, 0};
  for (const bool same_exercise : {true, false}) {
    SCOPED_TRACE(same_exercise ? "same exercise" : "another exercise");
    RepScreen screen({});
    screen.StartRun(/*bilateral=*/true, /*two_sides=*/false);
    for (int i = 0; i < 6; ++i) {
      const bool measured = i < 2;
      screen.Add(Side::kLeft, MakeRep(Side::kLeft, 1.0 + 3 * i, 2, 98),
                 RepRotation{flexion, measured ? Vec3{0, 0, -0.25} : Vec3{}});
    }
    screen.EndRun();
    while (screen.Pop()) {
    }
    screen.StartRun(/*bilateral=*/true, /*two_sides=*/false, /*other_side_rests=*/false,
                    same_exercise);
    for (int i = 0; i < 6; ++i) {
      screen.Add(Side::kLeft, MakeRep(Side::kLeft, 60.0 + 3 * i, 2, 100), RepRotation{flexion, {}});
    }
    screen.Add(Side::kLeft, MakeRep(Side::kLeft, 79.0, 3.2, 52),
               RepRotation{flexion, {0, 0, -0.55}});
    screen.AdvanceTime(Side::kLeft, TimeFromSeconds(83.0 + RepScreenParams{}.run_end_rest_s));
    screen.EndRun();
    int passed = 0;
    while (screen.Pop()) ++passed;
    EXPECT_EQ(passed, same_exercise ? 6 : 7);
  }
}

TEST(RepScreenTest, ASmallerRepAboutAnotherCentreInsideTheSetIsStillARep) {
  // A rep that turned about another centre but is followed by more reps of the set is inside
  // it (a partial rep, a change of grip), not at its edge.
  const Vec3 flexion{0, 1, 0};
  RepScreen screen({});
  screen.StartRun(/*bilateral=*/true, /*two_sides=*/false);
  for (int i = 0; i < 6; ++i) {
    const bool odd = i == 3;
    screen.Add(Side::kLeft, MakeRep(Side::kLeft, 1.0 + 3 * i, 2, odd ? 55 : 90),
               RepRotation{flexion, {0, 0, odd ? -0.5 : -0.25}});
  }
  screen.EndRun();
  int passed = 0;
  while (screen.Pop()) ++passed;
  EXPECT_EQ(passed, 6);
}

}  // namespace
}  // namespace ambi::fusion
