#!/usr/bin/env python3
"""Each rep recorded on its own: simulated sessions cut to one clip per rep, counted by ambi-replay.

Some datasets ship one file per repetition (the CMU recordings in ../shared/data/real are such
files put back together), so the rests between reps are not in the data and each file may begin
or end while the limb moves. This sweep makes that situation from the simulator, where the truth
is known: `ambi-sim --format csv` writes a session, the rows outside [rep start + lead, rep end +
tail] of every rep of the first side (one cut for both sensors, as a dataset cut by one signal)
are removed, and `ambi-replay --sensor` counts the reps of each side. A session is exact when
both sides' counts are the truth's.

    /usr/bin/python3 tools/eval/rep_clips.py --build build/release \
        --first-seed 300 --seeds 40 --lead -0.3 0.3 --tail -0.3 0.3

Per seed and exercise the rate (25, 50 or 100 Hz), lead and tail are drawn from --draw-seed.
docs/accuracy.md (fifteenth round) has the figures.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

EXERCISES = ["curl", "lateral-raise", "knee-extension", "squat", "straight-leg-raise"]


def clip_session(build, work, exercise, seed, rate_hz, lead_s, tail_s):
    """Simulates, cuts to clips and counts; returns (truth, detected) rep counts per side."""
    out = os.path.join(work, f"{exercise}_{seed}_{rate_hz}")
    subprocess.run([os.path.join(build, "tools/sim/ambi-sim"), "--exercise", exercise,
                    "--format", "csv", "--out", out, "--seed", str(seed),
                    "--rate-hz", str(rate_hz)], check=True, capture_output=True)
    with open(os.path.join(out, "ground_truth.json")) as f:
        truth = json.load(f)
    # One segmentation for every sensor, from the first side's reps, as a dataset cut by one
    # signal: the other side's rep may end later than its file.
    windows = [(rep["start_s"] + lead_s, rep["end_s"] + tail_s)
               for rep in truth["sides"][0]["reps"]]
    args = []
    for side in truth["sides"]:
        placement = side["placement"]
        with open(os.path.join(out, placement + ".csv")) as f:
            lines = f.read().splitlines()
        kept = [lines[0]] + [line for line in lines[1:]
                             if any(a <= float(line.split(",", 1)[0]) <= b for a, b in windows)]
        clipped = os.path.join(out, placement + ".clips.csv")
        with open(clipped, "w") as f:
            f.write("\n".join(kept) + "\n")
        args += ["--sensor", f"{placement}={clipped}"]
    exercise_name = truth.get("catalog_exercise") or truth["exercise"]
    replay = subprocess.run([os.path.join(build, "tools/replay/ambi-replay"), *args,
                             "--exercise", exercise_name, "--format", "json"],
                            check=True, capture_output=True, text=True)
    detected = {}
    for line in replay.stdout.splitlines():
        event = json.loads(line)
        if "rep" in event:
            side = event["rep"]["side"].replace("SIDE_", "").lower()
            detected[side] = detected.get(side, 0) + 1
    expected = {side["placement"].split("_")[0]: side["rep_count"] for side in truth["sides"]}
    return expected, {side: detected.get(side, 0) for side in expected}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build/release", help="build folder with the tools")
    parser.add_argument("--exercises", default=",".join(EXERCISES))
    parser.add_argument("--first-seed", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--lead", type=float, nargs=2, default=[-0.3, 0.3],
                        help="range of the time each clip starts after its rep (s)")
    parser.add_argument("--tail", type=float, nargs=2, default=[-0.3, 0.3],
                        help="range of the time each clip ends after its rep (s)")
    parser.add_argument("--draw-seed", type=int, default=None,
                        help="seed of the rate, lead and tail draws (default: --first-seed)")
    options = parser.parse_args()
    draw = random.Random(options.first_seed if options.draw_seed is None else options.draw_seed)
    wrong = 0
    total = 0
    with tempfile.TemporaryDirectory(prefix="ambi-rep-clips-") as work:
        for seed in range(options.first_seed, options.first_seed + options.seeds):
            for exercise in options.exercises.split(","):
                rate_hz = draw.choice([25, 50, 100])
                lead_s = draw.uniform(*options.lead)
                tail_s = draw.uniform(*options.tail)
                expected, detected = clip_session(options.build, work, exercise, seed, rate_hz,
                                                  lead_s, tail_s)
                total += 1
                if detected != expected:
                    wrong += 1
                    print(f"{exercise} seed {seed} {rate_hz} Hz lead {lead_s:.2f} s "
                          f"tail {tail_s:.2f} s: true {expected}, counted {detected}", flush=True)
    print(f"not exact: {wrong} of {total} sessions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
