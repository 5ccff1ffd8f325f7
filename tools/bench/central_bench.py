#!/usr/bin/python3
"""Shipping to a central PostgreSQL database under the ambi-load scenario, against baselines
measured in the same run (a tool, not a test: the numbers depend on the machine).

1. ambi-load without [central]: ambid's CPU (the baseline).
2. ambi-load with [central] (--central-url) on a real PostgreSQL server started here: ambid's CPU
   again (ratio to 1), rows shipped per second (= the rate the scenario produces them, when the
   copy keeps up), and how far the copy fell behind live.
3. Catch-up: the store recorded in 2 shipped again from scratch as another box (its outbox
   rebuilt, as after a long outage): rows per second, and the ratio to the live rate of 2, which
   is how many times faster than live a box catches up after an outage.
4. Growth: the committed test captures (tests/ctl/captures, real pipeline output of simulated
   sets) replayed by one box, twice over; the database size after the second round less the
   size after the first, per set and per rep, so the fixed size of empty tables and indexes does
   not count. (--growth-only runs this step alone.)

  central_bench.py --ambi-load build/release/tools/load/ambi-load \
                   --ambid build/release/daemon/app/ambid \
                   --ambictl build/release/clients/ctl/ambictl [--athletes 32 --duration-s 60]
  central_bench.py --catch-up-only --baseline-ambid OLD_AMBID --ambid NEW_AMBID ... (step 3 only:
                   two ambid builds shipping the same store, alternately; the ratio)
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "central"))
from pg_server import PgServer  # noqa: E402


def run_load(args, work_dir, central_url=None):
    command = [args.ambi_load, "--ambid", args.ambid, "--athletes", str(args.athletes),
               "--subscribers", str(args.subscribers), "--rate-hz", str(args.rate_hz),
               "--duration-s", str(args.duration_s), "--warmup-s", str(args.warmup_s),
               "--work-dir", work_dir, "--quiet"]
    if central_url:
        command += ["--central-url", central_url]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=args.duration_s + args.warmup_s + 120)
    if result.returncode != 0:
        raise SystemExit(f"ambi-load failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = float(re.search(r"^ambid: cpu ([0-9.]+) % mean", result.stdout, re.M).group(1))
    central = re.search(r"^central: (\d+) rows shipped in ([0-9.]+) s \(([0-9.]+) rows/s\); "
                        r"behind live: mean ([0-9.]+) s, max ([0-9.]+) s; backlog max (\d+) rows, "
                        r"(\d+) at the end; (.*)$", result.stdout, re.M)
    return cpu, central, result.stdout


def catch_up(args, pg, store_copy_dir, root, ambid=None, box_id="catch-up"):
    """Ships a whole store again as box 'box_id'; rows and rows per second."""
    store = os.path.join(store_copy_dir, "ambi.sqlite")
    with sqlite3.connect(store) as db:
        triggers = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'central_%'")]
        for name in triggers:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE IF EXISTS central_outbox")
        db.execute("DROP TABLE IF EXISTS central_cursor")
    config = os.path.join(root, "catch-up.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f'[central]\nurl = "{pg.url}"\nbox_id = "{box_id}"\n')
    socket = os.path.join(root, "catch-up.sock")
    process = subprocess.Popen([ambid or args.ambid, "--config", config, "--data-dir", store_copy_dir,
                                "--listen", "unix:" + socket, "--log-level", "warn"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = None
        while True:
            result = subprocess.run([args.ambictl, "--connect", "unix:" + socket, "status",
                                     "--json"], capture_output=True, text=True, timeout=30)
            now = time.monotonic()
            if result.returncode == 0:
                central = json.loads(result.stdout)["central"]
                if first is None and central["shipped_rows"] > 0:
                    first = (now, central["shipped_rows"])
                if first and central["backlog_rows"] == 0:
                    rows = central["shipped_rows"] - first[1]
                    return central["shipped_rows"], rows / max(now - first[0], 1e-9)
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(timeout=30)


CAPTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "ctl",
                        "captures")


def replayed_store(args, root, rounds):
    """A store of 'rounds' replays of every test capture, recorded without [central]."""
    data = os.path.join(root, "replayed")
    os.makedirs(data)
    captures = sorted(os.path.join(CAPTURES, name) for name in os.listdir(CAPTURES))
    day = 1
    for _ in range(rounds):
        for capture in captures:
            subprocess.run([args.ambid, "--data-dir", data, "--listen",
                            "unix:" + os.path.join(root, "replayed.sock"), "--replay", capture,
                            "--pace", "0", "--replay-start", f"2026-10-{day:02d}T09:00",
                            "--exit-after-replay", "--log-level", "warn"],
                           check=True, capture_output=True, timeout=120)
            day = day % 28 + 1
    return data


def amplify(data, copies):
    """Adds 'copies' copies of every session of the store at 'data' (new session ids "ID~k",
    row ids offset by k x 10^7), so a catch-up has enough rows to time; rows as replayed."""
    offset = 10_000_000
    with sqlite3.connect(os.path.join(data, "ambi.sqlite")) as db:
        def columns(table):
            return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]

        def copy(table, changed, where):
            names = columns(table)
            exprs = [changed.get(name, name) for name in names]
            db.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} "
                       f"FROM {table} WHERE {where}")

        for k in range(1, copies + 1):
            suffix = f"'~{k}'"
            copy("sessions", {"id": f"id || {suffix}"}, "instr(id, '~') = 0")
            copy("sets", {"session_id": f"session_id || {suffix}"}, "instr(session_id, '~') = 0")
            for table in ("reps", "rep_pairs", "cues", "events"):
                copy(table, {"session_id": f"session_id || {suffix}", "id": f"id + {k * offset}"},
                     f"id < {offset}")
            metrics = columns("rep_pair_metrics")
            changed = {"rep_pair_id": f"rep_pair_id + {k * offset}"}
            if "id" in metrics:
                changed["id"] = "NULL"
            copy("rep_pair_metrics", changed, f"rep_pair_id < {offset}")


def catch_up_ratio(args, pg, root):
    """Catch-up rows/s of --baseline-ambid and of --ambid shipping the same store, alternately
    (baseline, new, baseline, new, ...), each as a box of its own into the same server."""
    store = replayed_store(args, root, args.rounds)
    amplify(store, args.copies)
    rates = {"baseline": [], "new": []}
    rows = 0
    for run in range(args.repeats):
        for label, ambid in (("baseline", args.baseline_ambid), ("new", args.ambid)):
            copy_dir = os.path.join(root, f"copy-{label}-{run}")
            shutil.copytree(store, copy_dir, ignore=shutil.ignore_patterns("captures"))
            rows, rate = catch_up(args, pg, copy_dir, root, ambid, f"{label}-{run}")
            rates[label].append(rate)
            print(f"catch-up {label} run {run + 1}: {rows} rows at {rate:.0f} rows/s", flush=True)
    base = sorted(rates["baseline"])[len(rates["baseline"]) // 2]
    new = sorted(rates["new"])[len(rates["new"]) // 2]
    print(f"catch-up of {rows} rows (median of {args.repeats}): baseline {base:.0f} rows/s, "
          f"new {new:.0f} rows/s: ratio {new / base:.1f}")


def database_bytes(pg):
    return int(pg.scalar(
        "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND "
        "c.relname LIKE 'ambi_%'"))


def growth(args, pg, root, rounds=6):
    """Bytes per set and per rep the central database grows by, at the margin."""
    data = os.path.join(root, "growth")
    os.makedirs(data)
    config = os.path.join(root, "growth.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(f'[central]\nurl = "{pg.url}"\nbox_id = "growth"\n')
    captures = sorted(os.path.join(CAPTURES, name) for name in os.listdir(CAPTURES))
    marks = []
    day = 1
    for half in range(2):
        for _ in range(rounds):
            for capture in captures:
                subprocess.run([args.ambid, "--config", config, "--data-dir", data, "--listen",
                                "unix:" + os.path.join(root, "growth.sock"), "--replay", capture,
                                "--pace", "0", "--replay-start", f"2026-10-{day:02d}T09:00",
                                "--exit-after-replay", "--log-level", "warn"],
                               check=True, capture_output=True, timeout=120)
                day = day % 28 + 1
        pg.query("VACUUM ANALYZE")
        counts = pg.query("SELECT (SELECT COUNT(*) FROM ambi_sets), (SELECT COUNT(*) FROM "
                          "ambi_reps), (SELECT COUNT(*) FROM ambi_sessions)")[0]
        marks.append((database_bytes(pg), *(int(c) for c in counts)))
    (bytes0, sets0, reps0, sessions0), (bytes1, sets1, reps1, sessions1) = marks
    return {"sessions": sessions1 - sessions0, "sets": sets1 - sets0, "reps": reps1 - reps0,
            "bytes": bytes1 - bytes0, "first_half_bytes": bytes0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ambi-load", dest="ambi_load")
    parser.add_argument("--ambid", required=True)
    parser.add_argument("--ambictl", required=True)
    parser.add_argument("--athletes", type=int, default=32)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--rate-hz", dest="rate_hz", type=float, default=200.0)
    parser.add_argument("--duration-s", dest="duration_s", type=float, default=60.0)
    parser.add_argument("--warmup-s", dest="warmup_s", type=float, default=10.0)
    parser.add_argument("--growth-only", dest="growth_only", action="store_true")
    parser.add_argument("--catch-up-only", dest="catch_up_only", action="store_true",
                        help="compare catch-up rows/s of --baseline-ambid and --ambid alone")
    parser.add_argument("--baseline-ambid", dest="baseline_ambid")
    parser.add_argument("--rounds", type=int, default=4,
                        help="--catch-up-only: replays of the test captures in the store")
    parser.add_argument("--copies", type=int, default=20,
                        help="--catch-up-only: copies of the replayed sessions added by SQL")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="ambi-central-bench-")
    try:
        if args.catch_up_only:
            if not args.baseline_ambid:
                raise SystemExit("--catch-up-only needs --baseline-ambid (the ambid to compare)")
            with PgServer() as pg:
                catch_up_ratio(args, pg, root)
            return
        if args.growth_only:
            with PgServer() as pg:
                g = growth(args, pg, root)
            print_growth(g)
            return
        if not args.ambi_load:
            raise SystemExit("--ambi-load is needed (except with --growth-only, --catch-up-only)")
        with PgServer() as pg:
            base_cpu, _, _ = run_load(args, os.path.join(root, "baseline"))
            run_dir = os.path.join(root, "central")
            cpu, central, text = run_load(args, run_dir, pg.url)
            if central is None:
                raise SystemExit("ambi-load printed no central line:\n" + text)
            shipped, window_s, live_rate, mean_behind, max_behind, max_backlog, end_backlog, \
                connected = central.groups()
            live_rate = float(live_rate)
            sizes = pg.query(
                "SELECT (SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN "
                "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
                "c.relkind = 'r' AND c.relname LIKE 'ambi_%'), "
                "(SELECT COUNT(*) FROM ambi_sets WHERE box_id = 'load'), "
                "(SELECT COUNT(*) FROM ambi_reps WHERE box_id = 'load'), "
                "(SELECT COUNT(*) FROM ambi_sessions WHERE box_id = 'load')")[0]
            total_bytes, sets, reps, sessions = (int(v) for v in sizes)
            copy_dir = os.path.join(root, "catch-up-data")
            shutil.copytree(os.path.join(run_dir, "data"), copy_dir,
                            ignore=shutil.ignore_patterns("captures"))
            total_rows, catch_up_rate = catch_up(args, pg, copy_dir, root)
            g = growth(args, pg, root)
        print(f"scenario: {args.athletes * 2} sensors x {args.rate_hz:g} Hz, "
              f"{args.subscribers} subscribers, {args.duration_s:g} s window")
        print(f"ambid cpu: {base_cpu:.1f} % without central, {cpu:.1f} % shipping "
              f"(ratio {cpu / base_cpu:.2f})")
        print(f"live: {shipped} rows shipped in {float(window_s):.1f} s = {live_rate:.1f} rows/s; "
              f"behind live mean {mean_behind} s, max {max_behind} s; backlog max {max_backlog} "
              f"rows, {end_backlog} at the end; {connected}")
        print(f"catch-up: {total_rows} rows at {catch_up_rate:.0f} rows/s = "
              f"{catch_up_rate / live_rate:.0f} x the live rate")
        print(f"central size: {total_bytes / 1024:.0f} KiB for {sessions} sessions, {sets} sets, "
              f"{reps} reps (both copies: box 'load' and 'catch-up'): "
              f"{total_bytes / 2 / max(sets, 1) / 1024:.1f} KiB per set, "
              f"{total_bytes / 2 / max(reps, 1):.0f} bytes per rep")
        print_growth(g)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def print_growth(g):
    print(f"growth: +{g['bytes'] / 1024:.0f} KiB for {g['sessions']} sessions, {g['sets']} sets, "
          f"{g['reps']} reps (one side each): {g['bytes'] / max(g['sets'], 1) / 1024:.1f} KiB per "
          f"set, {g['bytes'] / max(g['reps'], 1):.0f} bytes per rep "
          f"(first half, with the empty tables: {g['first_half_bytes'] / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
