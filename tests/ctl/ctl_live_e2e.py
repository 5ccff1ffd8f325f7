#!/usr/bin/python3
"""ambictl's live subcommands, and ambi-watch (its older command line), against the real ambid.

ambid runs its simulated athletes (`--simulate`: alice curls, bob leg extensions, serial bytes
through pseudo-terminals). Checked:
- `devices --json`: every sensor connected with a measured rate; the table has the same rows;
  `ambi-watch devices --json` is the daemon's response with the same devices;
- `set start` (exercise, unilateral side) and `set end`: the set_started and set_summary events
  that `watch --json` receives name that set, exercise and side, and the reps in between;
- `watch` as plain text (a pipe): one line per rep pair with the ROM of the events, no colour;
- `watch --every-event` and `ambi-watch`: one line per event, the same events as `watch --json`;
- `session end` / `session start`: the ended session is listed with its end, the new one live;
- errors: an unknown athlete, a missing --athlete: one line, the exit code, no gRPC words.

  ctl_live_e2e.py --ambid build/x/daemon/app/ambid --ambictl build/x/clients/ctl/ambictl \
                  --ambi-watch build/x/clients/watch/ambi-watch --catalog data/exercises.toml
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE_S = 120  # for anything the simulated athletes must do (a set is ~30 s, rest 25 s)


class Lines:
    """A child process whose stdout lines are collected on a thread."""

    def __init__(self, command, env):
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env)
        self.lines = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, predicate, what, timeout_s=DEADLINE_S):
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {what} within {timeout_s} s; last lines: "
                                         f"{self.lines[-5:]}")
                self.changed.wait(remaining)

    def snapshot(self):
        with self.changed:
            return list(self.lines)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class JsonEvents(Lines):
    def events(self):
        return [json.loads(line)["event"] for line in self.snapshot() if line.startswith("{")]

    def wait_event(self, predicate, what, timeout_s=DEADLINE_S):
        line = self.wait_for(lambda l: l.startswith("{") and predicate(json.loads(l)["event"]),
                             what, timeout_s)
        return json.loads(line)


def run(command, env, expect=0):
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    if result.returncode != expect:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}, want {expect}: "
                             f"{result.stdout[-1000:]} {result.stderr[-1000:]}")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ambid", required=True)
    parser.add_argument("--ambictl", required=True)
    parser.add_argument("--ambi-watch", required=True)
    parser.add_argument("--catalog", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ambictl-live-")
    socket = os.path.join(work, "ambid.sock")
    # XDG_RUNTIME_DIR: the simulated sensors link into this test's folder, not the one other
    # tests' simulators share (they would take over each other's ambi-sim-* links).
    env = {**os.environ, "AMBI_CATALOG": args.catalog, "NO_COLOR": "", "XDG_RUNTIME_DIR": work}
    env.pop("AMBI_ADDRESS", None)
    ctl = [args.ambictl, "--connect", socket]  # a bare path: a unix socket
    watch_cmd = [args.ambi_watch, "--connect", "unix:" + socket]
    children = []
    ambid = subprocess.Popen([args.ambid, "--simulate", "--data-dir", os.path.join(work, "data"),
                              "--listen", "unix:" + socket],
                             stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(work, "ambid.log"), "w"), env=env)
    checks = 0
    try:
        # devices: every sensor connected, with a rate.
        run(ctl + ["--wait-for-server", "20", "devices"], env)
        deadline = time.monotonic() + DEADLINE_S
        while True:
            devices = [json.loads(l) for l in
                       run(ctl + ["devices", "--json"], env).stdout.splitlines() if l]
            if devices and all(d["state"] == "connected" and d["measured_rate_hz"] > 0
                               for d in devices):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"devices never all connected: {devices}")
            time.sleep(0.5)
        assert len(devices) == 4, devices
        assert {d["athlete"] for d in devices} == {"alice", "bob"}, devices
        assert sorted((d["athlete"], d["side"]) for d in devices) == [
            ("alice", "left"), ("alice", "right"), ("bob", "left"), ("bob", "right")], devices
        table = run(ctl + ["devices"], env).stdout.splitlines()
        assert table[0].split()[:3] == ["DEVICE", "ATHLETE", "PLACEMENT"], table
        assert sorted(l.split()[0] for l in table[1:]) == sorted(d["name"] for d in devices), table
        legacy = json.loads(run(watch_cmd + ["--json", "devices"], env).stdout)["devices"]
        assert sorted(d["name"] for d in legacy) == sorted(d["name"] for d in devices), legacy
        assert all(d["state"] == "STATE_CONNECTED" for d in legacy), legacy
        checks += 5
        print(f"ok devices: {len(devices)} connected, table and ambi-watch agree")

        # Watchers: JSON, plain text, every event, and ambi-watch (JSON and text).
        watchers = {
            "json": JsonEvents(ctl + ["watch", "--json"], env),
            "text": Lines(ctl + ["watch"], env),
            "every": Lines(ctl + ["watch", "--every-event", "--athlete", "alice"], env),
            "legacy_json": JsonEvents(watch_cmd + ["--json", "--athlete", "alice"], env),
            "legacy_text": Lines(watch_cmd + ["--athlete", "alice"], env),
        }
        children.extend(watchers.values())
        events = watchers["json"]
        events.wait_for(lambda l: True, "a first event")

        # set start: a unilateral set of alice's left side, of a chosen exercise.
        started = json.loads(run(ctl + ["set", "start", "--athlete", "alice", "--exercise",
                                        "hammer_curl", "--mode", "unilateral", "--side", "left",
                                        "--json"], env).stdout)
        set_index = started["set_index"]
        assert started["athlete"] == "alice" and set_index >= 1, started
        live = events.wait_event(lambda e: e.get("athlete") == "alice" and "set_started" in e
                                 and e["set_started"]["set_index"] == set_index,
                                 f"alice's set_started {set_index}")
        s = live["event"]["set_started"]
        assert s["exercise"] == "hammer_curl", s
        assert s["mode"] == "SET_MODE_UNILATERAL" and s["side"] == "SIDE_LEFT", s
        assert not s.get("automatic", False), s
        checks += 4
        # Reps of the set, then set end: its summary counts them.
        events.wait_event(lambda e: e.get("athlete") == "alice" and "rep" in e
                          and e["rep"]["set_index"] == set_index, f"a rep in set {set_index}")
        run(ctl + ["set", "end", "--athlete", "alice"], env)
        summary = events.wait_event(lambda e: e.get("athlete") == "alice" and "set_summary" in e
                                    and e["set_summary"]["set_index"] == set_index,
                                    f"alice's set {set_index} summary")["event"]["set_summary"]
        reps = [e["rep"] for e in events.events() if e.get("athlete") == "alice" and "rep" in e
                and e["rep"]["set_index"] == set_index]
        left = sum(1 for r in reps if r["side"] == "SIDE_LEFT")
        right = sum(1 for r in reps if r["side"] == "SIDE_RIGHT")
        assert summary["exercise"] == "hammer_curl", summary
        # The summary counts each side's published reps: the working side's, and the other
        # side's own (alice curls with both arms; sides taken in turn, both legs of a lunge),
        # reported as done and never as 0. How many of the right's come within the set depends
        # on when the set started against the simulated reps.
        assert summary.get("working_side") == "SIDE_LEFT", summary
        assert summary.get("left", {}).get("rep_count", 0) == left, (summary, left)
        assert summary.get("right", {}).get("rep_count", 0) == right, (summary, right)
        assert left >= 1, reps
        assert all(r["side"] in ("SIDE_LEFT", "SIDE_RIGHT") for r in reps), reps
        checks += 6
        # The store has the set's reps: `show` lists them (GetSession carries a unilateral set's
        # reps), as many as the summary counts, with the ROM of the events.
        session_id = live["session_id"]
        deadline = time.monotonic() + 20
        while True:
            shown = [json.loads(l) for l in
                     run(ctl + ["show", session_id, "--json"], env).stdout.splitlines() if l]
            stored = [r for r in shown if r["record"] == "rep" and r["set_index"] == set_index]
            if len(stored) >= len(reps) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert sorted((r["side"], r["rep_index"], round(r["rom_deg"], 6)) for r in stored) == \
            sorted((r["side"].removeprefix("SIDE_").lower(), r["index"], round(r["rom_deg"], 6))
                   for r in reps), (stored, reps)
        text = run(ctl + ["show", session_id], env).stdout
        assert f"set {set_index}  left  {left:2d} reps:" in text, text
        checks += 2
        print(f"ok set start/end: set {set_index} hammer_curl unilateral left, "
              f"{left} left reps in its summary, {right} right reps published")

        # A bilateral set through ambi-watch's command line, ended by it.
        legacy_start = json.loads(run(watch_cmd + ["--json", "--athlete", "alice", "start-set",
                                                   "--exercise", "biceps_curl"], env).stdout)
        legacy_index = legacy_start["set_index"]
        assert legacy_index > set_index, legacy_start
        pair = events.wait_event(lambda e: e.get("athlete") == "alice" and "rep_pair" in e
                                 and e["rep_pair"]["set_index"] == legacy_index,
                                 f"a rep pair in set {legacy_index}")["event"]["rep_pair"]
        run(watch_cmd + ["--athlete", "alice", "end-set"], env)
        events.wait_event(lambda e: e.get("athlete") == "alice" and "set_summary" in e
                          and e["set_summary"]["set_index"] == legacy_index,
                          f"alice's set {legacy_index} summary")
        checks += 2

        # The text view: the pair's line with the event's ROM, and no escape codes in a pipe.
        left_rom, right_rom = pair["left"]["rom_deg"], pair["right"]["rom_deg"]
        line = watchers["text"].wait_for(
            lambda l: l.startswith("alice  set %d rep %d " % (legacy_index, pair["pair_index"])),
            "the rep pair's text line", 10)
        assert "L %5.1f°" % left_rom in line and "R %5.1f°" % right_rom in line, (line, pair)
        assert "forearm ROM" in line, line  # a segment angle, not a joint angle
        assert not any("\033" in l for l in watchers["text"].snapshot()), "colour in a pipe"
        checks += 3
        print(f"ok watch text: {line}")

        # Every event as one line (ambictl --every-event and ambi-watch): from the set's start to
        # its summary, as many lines as ambi-watch --json has events (all three watched alice
        # since before the set started).
        started_text = f"alice  set {legacy_index} started"
        done_text = f"alice  set {legacy_index} done"
        for name in ["every", "legacy_text"]:
            watchers[name].wait_for(lambda l: l.startswith(done_text), f"{name}: the summary", 10)
        watchers["legacy_json"].wait_event(lambda e: "set_summary" in e and
                                           e["set_summary"]["set_index"] == legacy_index,
                                           "ambi-watch --json: the summary", 10)

        def window(items, is_start, is_end):
            start = next(i for i, x in enumerate(items) if is_start(x))
            end = next(i for i, x in enumerate(items) if i >= start and is_end(x))
            return items[start:end + 1]

        alice_json = window(watchers["legacy_json"].events(),
                            lambda e: e.get("set_started", {}).get("set_index") == legacy_index,
                            lambda e: e.get("set_summary", {}).get("set_index") == legacy_index)
        for name in ["every", "legacy_text"]:
            lines = window(watchers[name].snapshot(), lambda l: l.startswith(started_text),
                           lambda l: l.startswith(done_text))
            assert len(lines) == len(alice_json), (name, len(lines), len(alice_json), lines)
            checks += 1
        print(f"ok every event: set {legacy_index} in {len(alice_json)} lines from ambictl "
              f"--every-event, ambi-watch text and JSON alike")

        # Sessions.
        ended = json.loads(run(ctl + ["session", "end", "--athlete", "bob", "--json"],
                               env).stdout)
        assert ended["athlete"] == "bob" and ended["end_unix_ns"] > 0, ended
        fresh = json.loads(run(ctl + ["session", "start", "--athlete", "bob", "--json"],
                               env).stdout)
        assert fresh["session_id"] != ended["session_id"] and fresh["end_unix_ns"] == 0, fresh
        listed = {s["session_id"]: s for s in
                  (json.loads(l) for l in run(ctl + ["sessions", "--athlete", "bob", "--json"],
                                              env).stdout.splitlines() if l)}
        # Ended: not live, an end after its start; the history has the start, end and counts
        # that EndSession answered (one end, stamped once).
        old = listed[ended["session_id"]]
        assert not old["live"] and old["end_unix_ns"] >= old["start_unix_ns"] > 0, (old, ended)
        for key in ("start_unix_ns", "end_unix_ns", "set_count", "rep_count"):
            assert old[key] == ended[key], (key, old, ended)
        assert listed[fresh["session_id"]]["end_unix_ns"] == 0, listed
        checks += 5
        print(f"ok session end/start: {ended['session_id']} ended, {fresh['session_id']} live")

        # Errors: one line saying what is wrong, the exit code, no gRPC internals.
        # (command, exit code, text, from the daemon: one line). A bad exercise is a usage
        # error (2), an unknown athlete a refusal (1).
        for command, code, text, from_daemon in [
                (ctl + ["set", "start", "--athlete", "zed"], 1, "zed", True),
                (ctl + ["set", "end"], 2, "--athlete", False),
                (watch_cmd + ["end-set"], 2, "needs exactly one --athlete", True),
                (ctl + ["set", "start", "--athlete", "alice", "--exercise", "no_such"], 2,
                 "no_such", True)]:
            result = run(command, env, expect=code)
            lines = result.stderr.strip().splitlines()
            assert text in result.stderr, (command, result.stderr)
            if from_daemon:
                assert len(lines) == 1, (command, lines)
                assert "StatusCode" not in result.stderr and "grpc" not in result.stderr.lower()
            checks += 1
        print("ok errors")

        # --count: ambi-watch and ambictl watch stop after N events with exit 0.
        for command in [watch_cmd + ["--json", "--count", "3"],
                        ctl + ["watch", "--json", "--count", "3"]]:
            result = run(command, env)
            assert len(result.stdout.splitlines()) == 3, result.stdout
            checks += 1
        print(f"ok {checks} checks")
        return 0
    finally:
        for child in children:
            child.stop()
        ambid.terminate()
        try:
            ambid.wait(timeout=20)
        except subprocess.TimeoutExpired:
            ambid.kill()
        if sys.exc_info()[0] is not None:
            with open(os.path.join(work, "ambid.log")) as log:
                print("ambid log tail:\n" + log.read()[-3000:], file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
