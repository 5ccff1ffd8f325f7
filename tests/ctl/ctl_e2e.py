#!/usr/bin/python3
"""End-to-end test of ambictl against the real ambid, over several simulated weeks.

The committed captures (tests/ctl/captures, made by make_captures.sh with ambi-sim; their headers
name the exercise and mode) are replayed through the real daemon (`ambid --replay --replay-start
DATE`) into one data folder, each at a chosen date, so the store holds sessions spread over four
ISO weeks. The last replay keeps the daemon serving. Then ambictl's sessions, show, export (CSV
parsed back), balance and report are checked against the events the offline replay tool
(ambi-replay) gives for the same captures, and its error messages against a missing socket, an
unknown session and a bad date.

Writes the reports and the stored values they must show to OUT_DIR (for the browser test).

  ctl_e2e.py --ambid build/x/daemon/app/ambid --ambictl build/x/clients/ctl/ambictl \
             --ambi-replay build/x/tools/replay/ambi-replay --captures tests/ctl/captures \
             --catalog data/exercises.toml --out build/x/ctl-reports
"""

import argparse
import calendar
import csv
import datetime
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ambid_rig import Checker, ambid_command, replay_and_exit  # noqa: E402

# (capture, UTC start): two sessions in each of four ISO weeks, 2026-W45 .. 2026-W48.
SCHEDULE = [
    ("curl_asym10", "2026-11-03T09:00"),
    ("squat_asym15", "2026-11-05T18:30"),
    ("curl_dropouts", "2026-11-10T09:00"),
    ("squat_asym15", "2026-11-12T18:30"),
    ("unilateral_curl", "2026-11-17T09:00"),
    ("curl_asym10", "2026-11-19T18:30"),
    ("squat_asym15", "2026-11-24T09:00"),
    ("curl_asym10", "2026-11-26T18:30"),  # replayed by the daemon that keeps serving
]
UNTIL = "2026-11-29"
WEEKS = ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
# The export and the JSON carry the stored doubles; CSV cells have four decimals.
ROUNDING_DEG = 0.0001
ROUNDING_PCT = 0.0001
ROUNDING_S = 0.0001
TIMEOUT_S = 120


def unix_ns(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M")) * 1_000_000_000


def iso_week(ns):
    moment = datetime.datetime.fromtimestamp(ns // 1_000_000_000, datetime.timezone.utc)
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def replay_events(ambi_replay, capture, env):
    """The events of a capture from the offline replay tool (the daemon's path is independent)."""
    result = subprocess.run([ambi_replay, capture], capture_output=True, text=True, env=env,
                            timeout=TIMEOUT_S)
    if result.returncode != 0:
        raise AssertionError(f"ambi-replay {capture} exited {result.returncode}: "
                             f"{result.stderr[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


class Ctl:
    def __init__(self, binary, address):
        self.binary = binary
        self.address = address

    def run(self, *args, connect=True):
        command = [self.binary] + (["--connect", self.address] if connect else []) + list(args)
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)

    def ok(self, *args):
        result = self.run(*args)
        if result.returncode != 0:
            raise AssertionError(f"ambictl {' '.join(args)} exited {result.returncode}: "
                                 f"{result.stderr.strip()}")
        return result.stdout

    def json_lines(self, *args):
        return [json.loads(line) for line in self.ok(*args, "--json").splitlines() if line]


def replay(ambid, capture, start, data_dir, socket, env, serve):
    command = ambid_command(ambid, data_dir, socket, capture, start, exit_after=not serve)
    if not serve:
        replay_and_exit(command, TIMEOUT_S, env=env)
        return None
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=env)


def expected_sets(events):
    """set_index -> (summary, rep pairs, cues) from an event list."""
    sets = {}
    for e in events:
        for kind in ("set_summary", "rep_pair", "cue"):
            if kind in e:
                index = e[kind]["set_index"]
                entry = sets.setdefault(index, {"summary": None, "pairs": [], "cues": []})
                if kind == "set_summary":
                    entry["summary"] = e[kind]
                elif kind == "rep_pair":
                    entry["pairs"].append(e[kind])
                else:
                    entry["cues"].append(e[kind])
    return sets


def band_word(band):
    """ambictl's word for a Band enum name: BAND_AMBER -> amber, BAND_NOT_APPLICABLE -> n/a."""
    word = band.removeprefix("BAND_").lower()
    return "n/a" if word in ("not_applicable", "unspecified") else word


def metric(metrics, name):
    for m in metrics or []:
        if m.get("metric") == name:
            return m
    return None


def side_word(side):
    """ambictl's word for a Side enum name: SIDE_LEFT -> left."""
    return side.removeprefix("SIDE_").lower()


def check_session(check, ctl, session, events, name):
    shown = ctl.json_lines("show", session["session_id"])
    head = shown[0]
    check.equal(head["record"], "session", f"{name}: first record")
    check.equal(head["session_id"], session["session_id"], f"{name}: session id")
    text = ctl.ok("show", session["session_id"])
    sets = [r for r in shown if r["record"] == "set"]
    cues = [r for r in shown if r["record"] == "cue"]
    quality = [r for r in shown if r["record"] == "data_quality"]
    want = expected_sets(events)
    check.equal(sorted(s["set_index"] for s in sets),
                sorted(i for i, e in want.items() if e["summary"]), f"{name}: set indexes")
    for s in sets:
        summary = want.get(s["set_index"], {}).get("summary")
        if summary is None:
            continue
        what = f"{name} set {s['set_index']}"
        check.equal(s["exercise"], summary["exercise"], f"{what}: exercise")
        check.equal(s["left_reps"], summary.get("left", {}).get("rep_count", 0), f"{what}: left reps")
        check.equal(s["right_reps"], summary.get("right", {}).get("rep_count", 0), f"{what}: right reps")
        check.near(s["left_mean_rom_deg"], summary.get("left", {}).get("mean_rom_deg", 0.0),
                   ROUNDING_DEG, f"{what}: left mean ROM")
        rom = metric(summary.get("metrics"), "METRIC_ROM")
        if rom is not None:
            check.near(s["rom_percent_difference"], rom.get("percent_difference", 0.0),
                       ROUNDING_PCT, f"{what}: ROM difference")
            check.equal(s["rom_band"], band_word(rom["band"]),
                        f"{what}: ROM band")
    check.equal(len(cues), sum(len(e["cues"]) for e in want.values()), f"{name}: cue count")
    gaps = [e for e in events if "sensor_status" in e]
    check.equal(len(quality), len(gaps), f"{name}: data-quality notes")

    # The text view prints the same numbers.
    for s in sets:
        check.true(f"{s['left_mean_rom_deg']:.1f}°" in text,
                   f"{name}: show prints the left mean ROM {s['left_mean_rom_deg']:.1f}°")

    # Every rep of the session is shown, a unilateral set's too: per set and side, the reps of
    # the events with their ROM, as "rep" records and in the text's reps section.
    rep_events = [e["rep"] for e in events if "rep" in e]
    shown_reps = [r for r in shown if r["record"] == "rep"]
    check.equal(sorted((r["set_index"], r["side"], r["rep_index"]) for r in shown_reps),
                sorted((r["set_index"], side_word(r["side"]), r["index"]) for r in rep_events),
                f"{name}: show lists every rep of the events")
    rom_by_key = {(r["set_index"], side_word(r["side"]), r["index"]): r["rom_deg"]
                  for r in rep_events}
    for r in shown_reps:
        check.near(r["rom_deg"], rom_by_key.get((r["set_index"], r["side"], r["rep_index"])),
                   ROUNDING_DEG, f"{name}: shown ROM of set {r['set_index']} {r['side']} rep "
                   f"{r['rep_index']}")
    for s in sets:
        for side in ("left", "right"):
            count = s[f"{side}_reps"]
            if count:
                check.true(f"set {s['set_index']}  {side:<5} {count:2d} reps:" in text,
                           f"{name}: show's reps section has set {s['set_index']} {side}: "
                           f"{count} reps")
    # Reps without a partner are data-quality notes only where a partner was expected.
    unilateral_sets = {s["set_index"] for s in sets if s["mode"] == "unilateral"}
    check.true(not any(r["record"] == "unpaired_rep" and r["set_index"] in unilateral_sets
                       for r in shown), f"{name}: a unilateral set's reps are not 'unpaired'")

    # Export: one row per rep, equal to the events.
    exported = list(csv.DictReader(io.StringIO(ctl.ok("export", session["session_id"]))))
    pairs = [p for e in want.values() for p in e["pairs"]]
    check.equal(len(exported), len(rep_events), f"{name}: exported rows (every rep)")
    by_key = {(int(r["set_index"]), r["side"], int(r["rep_index"])): r for r in exported}
    for rep in rep_events:
        row = by_key.get((rep["set_index"], side_word(rep["side"]), rep["index"]))
        what = f"{name} export set {rep['set_index']} {rep['side']} rep {rep['index']}"
        check.true(row is not None, f"{what}: exported")
        if row is not None:
            check.near(float(row["rom_deg"]), rep["rom_deg"], ROUNDING_DEG, f"{what}: ROM")
    for p in pairs:
        for side in ("left", "right"):
            rep = p[side]
            row = by_key.get((rep["set_index"], side, rep["index"]))
            what = f"{name} export set {rep['set_index']} {side} rep {rep['index']}"
            if row is None:
                check.true(False, f"{what}: missing")
                continue
            check.equal(row["export_version"], "1", f"{what}: version")
            check.near(float(row["rom_deg"]), rep["rom_deg"], ROUNDING_DEG, f"{what}: ROM")
            check.near(float(row["concentric_s"]), rep["concentric_s"], ROUNDING_S,
                       f"{what}: concentric")
            check.near(float(row["lead_ms"]), p.get("lead_ms", 0.0), ROUNDING_S * 1000, f"{what}: lead")
            rom = metric(p.get("metrics"), "METRIC_ROM")
            check.equal(row["rom_band"], band_word(rom["band"]),
                        f"{what}: band")
    per_set = list(csv.DictReader(io.StringIO(ctl.ok("export", session["session_id"],
                                                     "--per", "set", "--format", "csv"))))
    check.equal(len(per_set), len(sets), f"{name}: exported sets")
    as_json = [json.loads(line) for line in
               ctl.ok("export", session["session_id"], "--format", "json").splitlines()]
    check.equal(len(as_json), len(exported), f"{name}: JSON export rows")
    return shown, exported


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ambid", required=True)
    parser.add_argument("--ambictl", required=True)
    parser.add_argument("--ambi-replay", required=True)
    parser.add_argument("--captures", required=True, help="folder of the committed captures")
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--out", required=True, help="folder for the reports and their values")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="ambictl-e2e-")
    data_dir = os.path.join(work, "data")
    socket = os.path.join(work, "ambid.sock")
    env = dict(os.environ, AMBI_CATALOG=args.catalog)
    env.pop("JOURNAL_STREAM", None)
    ctl = Ctl(args.ambictl, socket)  # a bare path: a unix socket
    check = Checker()
    server = None
    try:
        # Before any daemon runs: the connection error says what to do, in one line.
        missing = ctl.run("sessions")
        check.equal(missing.returncode, 1, "no daemon: exit status")
        check.equal(missing.stderr.strip(),
                    f"ambictl: cannot reach ambid at unix:{socket} (no such file): is ambid "
                    "running? use --connect ADDR", "no daemon: message")

        # A replay without a date is dated when the daemon starts and lasts as long as it was
        # recorded, however fast it was replayed: its end is not the wall time the replay took.
        undated = os.path.join(work, "undated")
        replay_and_exit(ambid_command(args.ambid, undated, os.path.join(work, "undated.sock"),
                                      os.path.join(args.captures, "curl_asym10.capture"), None,
                                      exit_after=True), TIMEOUT_S, env=env)
        with sqlite3.connect(f"file:{undated}/ambi.sqlite?mode=ro", uri=True) as db:
            (start_ns, end_ns), = db.execute("SELECT start_unix_ns, end_unix_ns FROM sessions")
            last_set_end_s, last_set_ns = db.execute(
                "SELECT MAX(end_s), MAX(end_unix_ns) FROM sets").fetchone()
        duration_s = (end_ns - start_ns) / 1e9
        check.true(last_set_end_s <= duration_s <= last_set_end_s + 30,
                   f"undated replay: the session lasts {duration_s:.1f} s, its data "
                   f"{last_set_end_s:.1f} s and a rest at most")
        check.true(start_ns <= last_set_ns <= end_ns,
                   "undated replay: its set ends within the session")

        for i, (name, start) in enumerate(SCHEDULE):
            capture = os.path.join(args.captures, name + ".capture")
            last = i == len(SCHEDULE) - 1
            # Each replaying daemon has its own socket; the last one serves on the test's.
            listen = socket if last else f"{socket}.{i}"
            server = replay(args.ambid, capture, start, data_dir, listen, env, serve=last)
        # Wait for the serving daemon to finish its replay (its session ends).
        deadline = time.monotonic() + TIMEOUT_S
        sessions = []
        while time.monotonic() < deadline:
            result = ctl.run("sessions", "--json")
            if result.returncode == 0:
                sessions = [json.loads(line) for line in result.stdout.splitlines() if line]
                if len(sessions) == len(SCHEDULE) and all(s["end_unix_ns"] for s in sessions):
                    break
            if server.poll() is not None:
                raise AssertionError(f"ambid exited {server.returncode}: "
                                     f"{server.stderr.read()[-2000:]}")
            time.sleep(0.2)
        check.equal(len(sessions), len(SCHEDULE), "sessions listed")

        # sessions: newest first, the chosen dates kept, stable JSON fields.
        starts = sorted((unix_ns(start) for _, start in SCHEDULE), reverse=True)
        check.equal([s["start_unix_ns"] for s in sessions], starts, "session start times")
        for s in sessions:
            check.equal(sorted(s), sorted(["session_id", "athlete", "start_unix_ns",
                                           "end_unix_ns", "start_utc", "end_utc", "live",
                                           "set_count", "rep_count", "capture_path"]),
                        "session JSON fields")
            check.equal(s["athlete"], "sim", "athlete")
        window = ctl.json_lines("sessions", "--since", "2026-11-10", "--until", "2026-11-17")
        check.equal(len(window), 3, "sessions --since 2026-11-10 --until 2026-11-17")
        table = ctl.ok("sessions", "--athlete", "sim").splitlines()
        check.true(table[0].split()[:2] == ["SESSION", "ATHLETE"], "sessions table header")
        check.equal(len(table), 1 + len(SCHEDULE), "sessions table rows")

        # show and export of every session against the replayed events.
        events_by_session = {}
        reports = []
        ordered = sorted(sessions, key=lambda s: s["start_unix_ns"])
        for (name, _), session in zip(SCHEDULE, ordered):
            events = replay_events(args.ambi_replay,
                                   os.path.join(args.captures, name + ".capture"), env)
            events_by_session[session["session_id"]] = (name, events)
            shown, exported = check_session(check, ctl, session, events,
                                            f"{name}@{session['start_utc']}")
            reports.append((session, name, shown, exported))

        # balance: per week, the rep totals and per-exercise ROM per side equal the events.
        balance = ctl.json_lines("balance", "--athlete", "sim", "--weeks", "4", "--until", UNTIL)
        weeks = [r for r in balance if r["record"] == "week"]
        check.equal([w["week"] for w in weeks], WEEKS, "balance weeks")
        for w in weeks:
            week_events = [events_by_session[s["session_id"]][1] for s in sessions
                           if iso_week(s["start_unix_ns"]) == w["week"]]
            summaries = [e["set_summary"] for ev in week_events for e in ev if "set_summary" in e]
            check.equal(w["left_reps"], sum(s.get("left", {}).get("rep_count", 0) for s in summaries),
                        f"{w['week']}: left reps")
            check.equal(w["right_reps"], sum(s.get("right", {}).get("rep_count", 0) for s in summaries),
                        f"{w['week']}: right reps")
            check.equal(w["pull_aim_sets"], 2 * w["push_sets"], f"{w['week']}: 2:1 aim")
            for exercise in [r for r in balance
                             if r["record"] == "exercise" and r["week"] == w["week"]]:
                sets = [s for s in summaries if s["exercise"] == exercise["exercise"]]
                check.equal(exercise["sets"], len(sets),
                            f"{w['week']} {exercise['exercise']}: sets")
                # Per set, the mean of that side's reps; then the mean over sets.
                for side, key in (("SIDE_LEFT", "mean_left_rom_deg"),
                                  ("SIDE_RIGHT", "mean_right_rom_deg")):
                    per_set = []
                    for ev in week_events:
                        for s in [e["set_summary"] for e in ev if "set_summary" in e
                                  and e["set_summary"]["exercise"] == exercise["exercise"]]:
                            roms = [e["rep"]["rom_deg"] for e in ev if "rep" in e
                                    and e["rep"]["set_index"] == s["set_index"]
                                    and e["rep"]["side"] == side]
                            if roms:
                                per_set.append(sum(roms) / len(roms))
                    want = sum(per_set) / len(per_set) if per_set else None
                    check.near(exercise[key], want, ROUNDING_DEG,
                               f"{w['week']} {exercise['exercise']}: {key}")
        curl_weeks = [r for r in balance if r["record"] == "exercise"
                      and r["exercise"] == "biceps_curl" and r["compared_sets"]]
        check.true(len(curl_weeks) >= 3, "biceps curl compared in three weeks or more")
        check.true(all(r["baseline_week"] == curl_weeks[0]["week"] for r in curl_weeks),
                   "biceps curl baseline is its first compared week")
        text = ctl.ok("balance", "--athlete", "sim", "--weeks", "4", "--until", UNTIL)
        check.true("PULL AIM 2:1" in text and "summary" in text, "balance text sections")

        # Errors: unknown session, bad date, unknown athlete: one line, non-zero, no gRPC words.
        for arguments, status, phrase in [
                (("show", "no-such-session"), 1, "unknown session id 'no-such-session'"),
                (("sessions", "--since", "2026-13-45"), 2, "bad date '2026-13-45' for --since"),
                (("balance", "--athlete", "nobody"), 1, "nobody"),
                (("--connect", "/nonexistent/ambid.sock", "devices"), 1,
                 "cannot reach ambid at unix:/nonexistent/ambid.sock (no such file)")]:
            connect = arguments[0] != "--connect"
            result = ctl.run(*arguments, connect=connect)
            what = "ambictl " + " ".join(arguments)
            check.equal(result.returncode, status, f"{what}: exit status")
            lines = result.stderr.strip().splitlines()
            check.equal(len(lines), 1, f"{what}: one line ({result.stderr!r})")
            check.true(phrase in result.stderr, f"{what}: says {phrase!r} ({result.stderr!r})")
            for word in ("StatusCode", "UNAVAILABLE", "NOT_FOUND", "grpc", "code 14"):
                check.true(word not in result.stderr, f"{what}: no gRPC internals ({word})")
            # An answer from ambid names the request id it has for the call (x-request-id).
            # (An unknown session or athlete is ambid's answer; a bad date never leaves ambictl.)
            answered = arguments[0] in ("show", "balance")
            check.equal("[ambid request " in result.stderr, answered,
                        f"{what}: request id shown only when ambid answered ({result.stderr!r})")

        os.makedirs(args.out, exist_ok=True)
        # Reports for the browser test: the session with most rep pairs (ties: most sets).
        session, name, shown, exported = max(
            reports, key=lambda r: (sum(1 for x in r[3] if x["pair_index"]),
                                    sum(1 for x in r[2] if x["record"] == "set")))
        session_html = os.path.join(args.out, "session-report.html")
        weekly_html = os.path.join(args.out, "weekly-report.html")
        ctl.ok("report", session["session_id"], "-o", session_html)
        ctl.ok("report", "--athlete", "sim", "--weeks", "4", "--until", UNTIL, "-o", weekly_html)
        expected = {
            "session": {
                "file": session_html,
                "capture": name,
                "sets": sum(1 for x in shown if x["record"] == "set"),
                "reps": [{"set": int(r["set_index"]), "pair": int(r["pair_index"]),
                          "side": r["side"], "rom_deg": float(r["rom_deg"]),
                          "concentric_s": float(r["concentric_s"]),
                          "eccentric_s": float(r["eccentric_s"])}
                         for r in exported if r["pair_index"]],
            },
            "weekly": {
                "file": weekly_html,
                "weeks": WEEKS,
                "exercises": [r for r in balance if r["record"] == "exercise"],
                "weeks_detail": weeks,
            },
        }

        # A unilateral session's report draws each side's reps, from the stored reps.
        session, name, shown, exported = next(r for r in reports if r[1] == "unilateral_curl")
        unilateral_html = os.path.join(args.out, "unilateral-report.html")
        ctl.ok("report", session["session_id"], "-o", unilateral_html)
        with open(unilateral_html, encoding="utf-8") as f:
            html = f.read()
        bars = re.findall(r'<rect class="rom-bar unilateral" data-set="(\d+)" data-rep="(\d+)" '
                          r'data-side="(\w+)" data-rom-deg="([-0-9.e+]+)"', html)
        # Set 2 (right) is drawn with set 1 (left), the set it was compared with.
        drawn = {(int(s), int(r), side): float(rom) for s, r, side, rom in bars}
        rep_events = [e["rep"] for e in events_by_session[session["session_id"]][1] if "rep" in e]
        want = {(r["set_index"], r["index"], side_word(r["side"])): r["rom_deg"]
                for r in rep_events}
        check.equal(sorted(drawn), sorted(want),
                    "unilateral report: a bar per rep of the events, both sets")
        for key, rom in drawn.items():
            check.near(rom, want.get(key), ROUNDING_DEG, f"unilateral report: ROM of {key}")
        expected["unilateral"] = {
            "file": unilateral_html,
            "sets": sum(1 for x in shown if x["record"] == "set"),
            "reps": [{"set": r["set_index"], "rep": r["rep_index"], "side": r["side"],
                      "rom_deg": r["rom_deg"], "concentric_s": r["concentric_s"],
                      "eccentric_s": r["eccentric_s"]}
                     for r in shown if r["record"] == "rep"],
        }
        with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
            json.dump(expected, f, indent=1)
        check.true("compared set against set (the tables above), not rep by rep" not in html,
                   "unilateral report: the reps are drawn, not only the set-against-set tables")
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)

    for failure in check.failures:
        print("FAIL:", failure)
    print(f"{check.checks - len(check.failures)} of {check.checks} checks passed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
