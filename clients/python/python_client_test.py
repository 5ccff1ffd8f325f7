#!/usr/bin/python3
"""The Python client's examples against the real ambid.

ambid replays a committed capture at twice the recorded speed (a live session of this week);
examples/watch_live.py, started at once, must print rep-pair lines whose numbers equal the
events; when the replay is done, examples/export_week_csv.py must export this week's reps, one
row per rep, equal to the events the offline replay tool (ambi-replay) gives for the capture. Without a
daemon, both examples must fail with one line saying so.
"""

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 120
ROUNDING_DEG = 0.0001  # CSV cells carry four decimals
LINE_ROUNDING_DEG = 0.051  # watch lines show 0.1°


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ambid", required=True)
    parser.add_argument("--python-path", required=True, help="folder with ambi/ and ambi_client/")
    parser.add_argument("--examples", required=True)
    parser.add_argument("--capture", required=True)
    parser.add_argument("--ambi-replay", required=True)
    parser.add_argument("--catalog", required=True)
    args = parser.parse_args()

    replayed = subprocess.run([args.ambi_replay, args.capture], capture_output=True, text=True,
                              env=dict(os.environ, AMBI_CATALOG=args.catalog), timeout=TIMEOUT_S,
                              check=True)
    events = [json.loads(line) for line in replayed.stdout.splitlines() if line.strip()]
    pairs = [e["rep_pair"] for e in events if "rep_pair" in e]
    reps = [e["rep"] for e in events if "rep" in e]
    work = tempfile.mkdtemp(prefix="ambi-python-e2e-")
    socket = os.path.join(work, "ambid.sock")
    env = dict(os.environ, PYTHONPATH=args.python_path, AMBI_CATALOG=args.catalog)
    env.pop("JOURNAL_STREAM", None)
    failures = []

    def example(name, *extra):
        return [sys.executable, os.path.join(args.examples, name), "--connect", socket, *extra]

    daemon = None
    try:
        for name in ("watch_live.py", "export_week_csv.py"):
            result = subprocess.run(example(name), capture_output=True, text=True, env=env,
                                    timeout=TIMEOUT_S)
            lines = result.stderr.strip().splitlines()
            if result.returncode != 1 or len(lines) != 1 or "cannot reach ambid" not in lines[0]:
                failures.append(f"{name} without a daemon: exit {result.returncode}, "
                                f"stderr {result.stderr!r}")

        daemon = subprocess.Popen(
            [args.ambid, "--replay", args.capture, "--pace", "2", "--data-dir",
             os.path.join(work, "data"), "--listen", "unix:" + socket, "--log-level", "warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        watched = subprocess.run(example("watch_live.py", "--count", "3", "--wait-for-server", "20"),
                                 capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
        if watched.returncode != 0:
            failures.append(f"watch_live.py exited {watched.returncode}: {watched.stderr!r}")
        pair_lines = [line for line in watched.stdout.splitlines() if " rep " in line]
        if not pair_lines:
            failures.append(f"watch_live.py printed no rep pair: {watched.stdout!r}")
        by_index = {(p["set_index"], p["pair_index"]): p for p in pairs}
        for line in pair_lines:
            # "sim  set 1 rep 2  L 131.2°  R 118.5°  diff 9.7 % [green]"
            words = line.split()
            pair = by_index.get((int(words[2]), int(words[4])))
            got_left = float(line.split("L ")[1].split("°")[0])
            got_right = float(line.split("R ")[1].split("°")[0])
            if pair is None or abs(got_left - pair["left"]["rom_deg"]) > LINE_ROUNDING_DEG or \
                    abs(got_right - pair["right"]["rom_deg"]) > LINE_ROUNDING_DEG:
                failures.append(f"watch_live.py line {line!r} does not match the events "
                                f"({pair and (pair['left']['rom_deg'], pair['right']['rom_deg'])})")

        # Wait until the replayed session has ended (the daemon keeps serving).
        sys.path.insert(0, args.python_path)
        from ambi_client import Client  # noqa: E402 (generated at build time)
        deadline = time.monotonic() + TIMEOUT_S
        with Client(socket) as ambid:
            while time.monotonic() < deadline:
                sessions = ambid.sessions()
                if sessions and all(s.end_unix_ns for s in sessions):
                    break
                time.sleep(0.2)
        exported = subprocess.run(example("export_week_csv.py"), capture_output=True, text=True,
                                  env=env, timeout=TIMEOUT_S)
        if exported.returncode != 0:
            failures.append(f"export_week_csv.py exited {exported.returncode}: "
                            f"{exported.stderr!r}")
        rows = list(csv.DictReader(io.StringIO(exported.stdout)))
        if len(rows) != len(reps):
            failures.append(f"export: {len(rows)} rows, want {len(reps)} (one per rep)")
        by_key = {(int(r["set_index"]), r["side"], int(r["rep_index"])): r for r in rows}
        for pair in pairs:
            for side in ("left", "right"):
                rep = pair[side]
                row = by_key.get((rep["set_index"], side, rep["index"]))
                if row is None or abs(float(row["rom_deg"]) - rep["rom_deg"]) > ROUNDING_DEG:
                    failures.append(f"export set {rep['set_index']} {side} rep {rep['index']}: "
                                    f"{row and row['rom_deg']} vs {rep['rom_deg']}")
    finally:
        if daemon is not None:
            daemon.terminate()
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    print("python client e2e:", "failed" if failures else f"ok ({len(reps)} rows)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
