#!/usr/bin/python3
"""Several ambid boxes share one history in a real PostgreSQL server (started here, see
pg_server.py); every check compares the central database with the boxes' own stores.

1. Two boxes replay different captures (athletes alex and kim at one box each, sam at both) and
   ship to one database: every row of each box's SQLite store is there once; `ambictl --store`
   lists every session, shows a session as its box does, and sam's weekly balance counts the
   sets and reps of both boxes (each box's own balance, added up).
2. A box is killed with SIGKILL while it ships, then restarted: no row lost, none twice.
3. The server stops in the middle of a session and starts again after --outage-s seconds (the
   ctest `central_outage` runs this one alone with a minute's outage): the box says it is not
   connected meanwhile, and afterwards every row is there once.
4. The server is not reachable when a box starts: the box starts, records its session, says so
   in its log and status, and ships everything once the server is up.
5. A database whose schema is newer than the box knows: the box ships nothing there, keeps
   working, and says which versions.
6. One ambi-web shows two live boxes (each replaying a session of an athlete named sam) and
   reads its reports from the central database: its Server-Sent Events stream carries every rep
   of both boxes, each tagged with its box; a stream cut in the middle and resumed with
   Last-Event-ID gets exactly what it missed (event ids contiguous, none twice); set control
   goes to the box named; and its reports are the central history's (the same pages as
   `ambictl --store ... report`, the weekly one counting both boxes).

  central_e2e.py --ambid AMBID --ambictl AMBICTL --ambi-sim AMBI_SIM [--ambi-web AMBI_WEB]
                 [--only SCENARIO | --skip SCENARIO] [--outage-s S]
"""

import argparse
import datetime
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ambid_rig import Checker, ambid_command, replay_and_exit  # noqa: E402
from ambid_rig import wait_until as wait_for  # noqa: E402
from pg_server import PgServer  # noqa: E402

TIMEOUT_S = 60  # a bound on every wait: reaching it is a failure, never a pass
TABLES = ["sessions", "sets", "reps", "rep_pairs", "rep_pair_metrics", "cues", "events"]
# Keys of a row in the box's store and in the central database (rows with a seq).
KEYED = {"reps": "id", "rep_pairs": "id", "cues": "id", "events": "id"}
UNTIL = "2026-11-08"


class Failure(Exception):
    pass


def wait_until(predicate, what, timeout_s=TIMEOUT_S):
    return wait_for(predicate, what, timeout_s, error=Failure)


RUNNING = []  # boxes serving, ended if a scenario fails


class Box:
    """One ambid box: a data folder, a socket, a config with [central]."""

    def __init__(self, args, root, box_id, url):
        self.args = args
        self.box_id = box_id
        self.dir = os.path.join(root, box_id)
        os.makedirs(self.dir)
        self.socket = os.path.join(self.dir, "ambid.sock")
        self.config = os.path.join(self.dir, "ambid.toml")
        self.log = os.path.join(self.dir, "ambid.log")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(f'[central]\nurl = "{url}"\nbox_id = "{box_id}"\nretry_longest_s = 0.5\n')
        self.process = None

    def command(self, capture=None, start=None, pace="0", exit_after=False):
        return ambid_command(self.args.ambid, self.dir, self.socket, capture, start, pace,
                             exit_after, config=self.config, log_level="info")

    def replay_and_exit(self, capture, start):
        try:
            with open(self.log, "a", encoding="utf-8") as log:
                replay_and_exit(self.command(capture, start, exit_after=True), TIMEOUT_S, log=log,
                                error=Failure)
        except Failure as failure:
            raise Failure(f"{self.box_id}: {failure}: {self.log_text()[-2000:]}") from None

    def serve(self, capture=None, start=None, pace="0"):
        log = open(self.log, "a", encoding="utf-8")
        self.process = subprocess.Popen(self.command(capture, start, pace), stdout=log,
                                        stderr=log)
        log.close()
        RUNNING.append(self)
        wait_until(lambda: self.ctl_result("status", "--json").returncode == 0,
                   f"{self.box_id} to serve")

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        self.process.wait(timeout=TIMEOUT_S)
        self.process = None
        RUNNING.remove(self)
        if os.path.exists(self.socket) and sig == signal.SIGKILL:
            os.unlink(self.socket)

    def ctl_result(self, *args):
        return subprocess.run([self.args.ambictl, "--connect", "unix:" + self.socket, *args],
                              capture_output=True, text=True, timeout=TIMEOUT_S)

    def ctl_json(self, *args):
        result = self.ctl_result(*args, "--json")
        if result.returncode != 0:
            raise Failure(f"{self.box_id}: ambictl {' '.join(args)}: {result.stderr.strip()}")
        return [json.loads(line) for line in result.stdout.splitlines() if line]

    def central(self):
        return self.ctl_json("status")[0]["central"]

    def log_text(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def store(self):
        return sqlite3.connect(f"file:{self.dir}/ambi.sqlite?mode=ro", uri=True)


def make_capture(args, folder, name, preset, athlete, protocol="witmotion-serial"):
    path = os.path.join(folder, name + ".capture")
    result = subprocess.run([args.ambi_sim, "--preset", preset, "--athlete", athlete,
                             "--protocol", protocol, "--format", "capture", "--force",
                             "--out", path], capture_output=True, text=True, timeout=TIMEOUT_S)
    if result.returncode != 0:
        raise Failure(f"ambi-sim --preset {preset}: {result.stderr.strip()}")
    return path


def check_box_shipped(check, pg, box):
    """Every row of the box's store is in the central database, once."""
    with box.store() as db:
        for table in TABLES:
            local = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            central = int(pg.scalar(
                f"SELECT COUNT(*) FROM ambi_{table} WHERE box_id = '{box.box_id}'"))
            check.equal(central, local, f"{box.box_id}: rows of {table} centrally vs locally")
        for table, key in KEYED.items():
            local = sorted((s, int(k)) for s, k in db.execute(f"SELECT session_id, {key} FROM {table}"))
            central = sorted((s, int(k)) for s, k in pg.query(
                f"SELECT session_id, seq FROM ambi_{table} WHERE box_id = '{box.box_id}'"))
            check.equal(central, local, f"{box.box_id}: keys of {table}")
        local_sessions = sorted((s, int(e)) for s, e in db.execute(
            "SELECT id, end_unix_ns FROM sessions"))
        central_sessions = sorted((s, int(e)) for s, e in pg.query(
            f"SELECT session_id, end_unix_ns FROM ambi_sessions WHERE box_id = '{box.box_id}'"))
        check.equal(central_sessions, local_sessions, f"{box.box_id}: sessions and their ends")
        local_summaries = db.execute("SELECT COUNT(summary) FROM sets").fetchone()[0]
        central_summaries = int(pg.scalar(
            f"SELECT COUNT(summary) FROM ambi_sets WHERE box_id = '{box.box_id}'"))
        check.equal(central_summaries, local_summaries, f"{box.box_id}: set summaries")
    with box.store() as db:
        reps = db.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    check.true(reps > 0, f"{box.box_id}: the box recorded reps (the comparison means something)")


def central_reps(pg, box):
    return int(pg.scalar(f"SELECT COUNT(*) FROM ambi_reps WHERE box_id = '{box.box_id}'"))


def wait_shipped(box):
    wait_until(lambda: (lambda c: c["connected"] and c["backlog_rows"] == 0)(box.central()),
               f"{box.box_id} to ship its backlog")


def ctl_store(args, pg, *command):
    # --store reads the central database only: ambictl makes no channel to ambid, so ambid's
    # TLS CA and token files are not even opened (a missing one would be refused otherwise).
    result = subprocess.run([args.ambictl, "--store", pg.url, "--tls-ca", "/nonexistent/ca.pem",
                             "--token-file", "/nonexistent/token", *command, "--json"],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    if result.returncode != 0:
        raise Failure(f"ambictl --store {' '.join(command)}: {result.stderr.strip()}")
    return [json.loads(line) for line in result.stdout.splitlines() if line]


WEEK_COUNTERS = ["push_sets", "pull_sets", "quadriceps_sets", "hamstrings_sets", "reaching_sets",
                 "left_reps", "right_reps"]


def two_boxes(args, check, pg, root, captures):
    boxes = {name: Box(args, root, name, pg.url) for name in ("floor-a", "floor-b")}
    plan = {"floor-a": [("alex_curl", "2026-11-03T09:00"), ("sam_squat", "2026-11-03T18:00")],
            "floor-b": [("sam_curl", "2026-11-05T09:00"), ("kim_squat", "2026-11-05T18:00")]}
    for name, replays in plan.items():
        for capture, start in replays:
            boxes[name].replay_and_exit(captures[capture], start)
    # The last replay drained on exit; each box serves its own history for the comparison.
    for box in boxes.values():
        box.serve()
        wait_shipped(box)
        check_box_shipped(check, pg, box)

    listed = ctl_store(args, pg, "sessions")
    local = {}
    for name, box in boxes.items():
        for s in box.ctl_json("sessions"):
            local[s["session_id"]] = (name, s)
    check.equal(sorted(s["session_id"] for s in listed), sorted(local),
                "ambictl --store sessions lists every session of both boxes")
    for s in listed:
        box_name, own = local.get(s["session_id"], (None, {}))
        check.equal(s.get("box_id"), box_name, f"session {s['session_id']}: box")
        for field in ("athlete", "start_unix_ns", "end_unix_ns", "set_count", "rep_count"):
            check.equal(s[field], own.get(field), f"session {s['session_id']}: {field}")
    check.equal(sorted({s["athlete"] for s in listed}), ["alex", "kim", "sam"], "athletes")

    # show: the central record of a session is its box's record.
    for session_id, (box_name, _) in sorted(local.items())[:2]:
        central = ctl_store(args, pg, "show", session_id)
        own = boxes[box_name].ctl_json("show", session_id)
        for record in central:
            record.pop("box_id", None)
        check.equal(central, own, f"show {session_id} centrally vs at {box_name}")
    exported = subprocess.run([args.ambictl, "--store", pg.url, "export", "--athlete", "sam"],
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    check.equal(exported.returncode, 0, "export --athlete sam from the central database")
    per_box_rows = 0
    for box in boxes.values():
        result = box.ctl_result("export", "--athlete", "sam")
        per_box_rows += len(result.stdout.splitlines()) - 1
    check.equal(len(exported.stdout.splitlines()) - 1, per_box_rows,
                "sam's exported reps: both boxes")

    # The shared athlete's week counts both boxes.
    central_weeks = [r for r in ctl_store(args, pg, "balance", "--athlete", "sam", "--until",
                                          UNTIL, "--weeks", "1") if r["record"] == "week"]
    want = {k: 0 for k in WEEK_COUNTERS}
    box_reps = []
    for box in boxes.values():
        weeks = [r for r in box.ctl_json("balance", "--athlete", "sam", "--until", UNTIL,
                                         "--weeks", "1") if r["record"] == "week"]
        for k in WEEK_COUNTERS:
            want[k] += weeks[0][k]
        box_reps.append(weeks[0]["left_reps"] + weeks[0]["right_reps"])
    check.true(all(r > 0 for r in box_reps), f"sam trained at both boxes this week: {box_reps}")
    check.equal(len(central_weeks), 1, "one week of balance")
    if central_weeks:
        for k in WEEK_COUNTERS:
            check.equal(central_weeks[0][k], want[k], f"sam's central balance: {k}")
    # And the HTML report reads the same history.
    report = os.path.join(root, "sam.html")
    result = subprocess.run([args.ambictl, "--store", pg.url, "report", "--athlete", "sam",
                             "--until", UNTIL, "--weeks", "1", "-o", report],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    check.equal(result.returncode, 0, f"report from the central database: {result.stderr}")
    for box in boxes.values():
        box.stop()


def killed_while_shipping(args, check, pg, root, captures):
    box = Box(args, root, "floor-killed", pg.url)
    box.serve(captures["alex_curl"], "2026-11-10T09:00", pace="8")
    wait_until(lambda: central_reps(pg, box) > 0, "floor-killed to ship its first reps")
    check.true(any(s["live"] for s in box.ctl_json("sessions")), "killed in the middle of the "
               "session")
    box.stop(signal.SIGKILL)
    box.serve()  # the same store, no replay: ends the abandoned session and ships the rest
    wait_shipped(box)
    check_box_shipped(check, pg, box)
    with box.store() as db:
        open_sessions = db.execute("SELECT COUNT(*) FROM sessions WHERE end_unix_ns = 0")
        check.equal(open_sessions.fetchone()[0], 0, "the killed session was ended at restart")
    box.stop()


def capture_duration_s(capture):
    with open(capture + ".truth.json", encoding="utf-8") as f:
        return float(json.load(f)["duration_s"])


def server_stopped_mid_session(args, check, pg, root, captures):
    box = Box(args, root, "floor-outage", pg.url)
    # Paced so that the session outlasts the outage by ~25 s: rows are recorded during all of it
    # and after it, while the box reconnects. With a short outage the first reps are shipped
    # before the server stops; with a long one the session's first rows (the session itself).
    pace = min(6.0, capture_duration_s(captures["kim_squat"]) / (args.outage_s + 30.0))
    box.serve(captures["kim_squat"], "2026-11-11T09:00", pace=f"{pace:.4f}")
    if args.outage_s < 10:
        wait_until(lambda: central_reps(pg, box) > 0, "floor-outage to ship its first reps")
    else:
        wait_until(lambda: int(pg.scalar("SELECT COUNT(*) FROM ambi_sessions WHERE box_id = "
                                         "'floor-outage'")) > 0,
                   "floor-outage to ship its session's first rows")
    pg.stop()
    check.true(any(s["live"] for s in box.ctl_json("sessions")), "the server stopped in the "
               "middle of the session")
    down = wait_until(lambda: (lambda c: c if not c["connected"] else None)(box.central()),
                      "floor-outage to notice the server is gone")
    check.true(down["last_error"] != "", "the status says why the box is not connected")
    wait_until(lambda: box.central()["backlog_rows"] > 0, "rows waiting during the outage")
    stopped = time.monotonic()
    time.sleep(args.outage_s)  # the outage: part of the session recorded with no server
    check.true(any(s["live"] for s in box.ctl_json("sessions")),
               f"the session still runs when the server returns after {args.outage_s:g} s")
    pg.start()
    print(f"server_stopped_mid_session: the server was stopped {time.monotonic() - stopped:.1f} s; "
          f"{box.central()['backlog_rows']} rows waiting when it returned")
    wait_until(lambda: all(not s["live"] for s in box.ctl_json("sessions")),
               "the replayed session to end", timeout_s=TIMEOUT_S + args.outage_s)
    wait_shipped(box)
    check_box_shipped(check, pg, box)
    # Idle now (nothing to ship): it still notices when the server goes, and when it returns.
    pg.stop()
    wait_until(lambda: not box.central()["connected"], "the idle box to notice the server left")
    pg.start()
    wait_until(lambda: box.central()["connected"], "the idle box to reconnect")
    box.stop()


def unreachable_at_start(args, check, pg, root, captures):
    pg.stop()
    box = Box(args, root, "floor-late", pg.url)
    box.serve(captures["sam_curl"], "2026-11-12T09:00")
    wait_until(lambda: all(not s["live"] for s in box.ctl_json("sessions")),
               "floor-late to record its session without a server")
    # The shipper refreshes its backlog once per reconnection attempt (retry_longest_s apart), so
    # the session's last rows may reach the status a moment after the session ended.
    wait_until(lambda: box.central()["backlog_rows"] > 0, "floor-late: status counts the rows "
               "waiting")
    status = box.central()
    check.equal(status["connected"], False, "floor-late: status says not connected")
    check.true(status["backlog_rows"] > 0, "floor-late: status counts the rows waiting")
    check.true(status["last_error"] != "", "floor-late: status says why")
    check.true("not connected" in box.log_text(), "floor-late: the log says the box is not "
               "connected to the database")
    pg.start()
    wait_shipped(box)
    check_box_shipped(check, pg, box)
    box.stop()


def newer_schema_refused(args, check, pg, root, captures):
    pg.query("CREATE DATABASE ambi_newer")
    pg.query("CREATE TABLE ambi_schema_version (version integer PRIMARY KEY, file_name text "
             "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO "
             "ambi_schema_version VALUES (1, '001_initial.sql'), (99, '099_future.sql')",
             database="ambi_newer")
    box = Box(args, root, "floor-old", pg.url.replace("/ambi?", "/ambi_newer?"))
    box.serve(captures["alex_curl"], "2026-11-13T09:00")
    wait_until(lambda: all(not s["live"] for s in box.ctl_json("sessions")),
               "floor-old to record its session")
    status = wait_until(lambda: (lambda c: c if "newer" in c["last_error"] else None)(
        box.central()), "floor-old to report the newer schema")
    check.equal(status["connected"], False, "floor-old: not connected to a newer schema")
    check.true("99" in status["last_error"] and "1 this ambid" in status["last_error"],
               f"the error names both versions: {status['last_error']}")
    tables = pg.query("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'ambi_%' AND "
                      "tablename <> 'ambi_schema_version'", database="ambi_newer")
    check.equal(tables[0][0], "0", "nothing was created in the newer database")
    box.stop()


class SseReader:
    """One Server-Sent Events connection to ambi-web, read on a thread: the (id, data) of every
    event frame, in order. close() cuts it as a dropped Wi-Fi would."""

    def __init__(self, port, last_event_id=None):
        self.events = []
        self.lock = threading.Lock()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", "/events", headers=headers)
        self.response = self.connection.getresponse()
        if self.response.status != 200:
            raise Failure(f"GET /events: HTTP {self.response.status}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        frame = {}
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line == "":
                    if "data" in frame:
                        with self.lock:
                            self.events.append((frame.get("event"), frame.get("id"),
                                                frame["data"]))
                    frame = {}
                elif not line.startswith(":") and ":" in line:
                    key, _, value = line.partition(":")
                    frame[key] = value[1:] if value.startswith(" ") else value
        except (OSError, ValueError, http.client.HTTPException):
            pass  # cut by close()

    def live_events(self):
        """[(id, LiveEvent dict)] of the event frames (no 'event:' name)."""
        with self.lock:
            return [(int(i), json.loads(d)) for name, i, d in self.events
                    if name is None and i is not None]

    def named(self, name):
        with self.lock:
            return [json.loads(d) for n, _, d in self.events if n == name]

    def close(self):
        try:
            self.response.fp.raw._sock.shutdown(2)  # noqa: SLF001 (the socket under the stream)
        except (AttributeError, OSError):
            pass
        self.connection.close()
        self.thread.join(timeout=TIMEOUT_S)


def web_request(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    headers = {}
    if body is not None:
        headers = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"}
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8")
    connection.close()
    return response.status, text


SIDES = {"SIDE_LEFT": 1, "SIDE_RIGHT": 2}


def reps_seen(events, box_id):
    """(session, set, side, rep) of every rep event of 'box_id' on the stream."""
    out = []
    for _, live in events:
        rep = live.get("event", {}).get("rep")
        if rep is not None and live.get("box") == box_id:
            out.append((live.get("session_id", ""), int(rep.get("set_index", 0)),
                        SIDES.get(rep.get("side"), 0), int(rep.get("index", 0))))
    return out


def reps_stored(box):
    with box.store() as db:
        return sorted((s, int(t), int(d), int(i)) for s, t, d, i in db.execute(
            "SELECT session_id, set_index, side, rep_index FROM reps"))


def web_two_boxes(args, check, pg, root, captures):
    if not args.ambi_web:
        raise Failure("web_two_boxes needs --ambi-web")
    boxes = {name: Box(args, root, name, pg.url) for name in ("web-a", "web-b")}
    log_path = os.path.join(root, "ambi-web.log")
    log = open(log_path, "w", encoding="utf-8")
    # ambi-web first: it waits for the boxes (re-subscribing every 0.5 s) and so sees their
    # sessions from the start.
    web = subprocess.Popen([args.ambi_web, "--listen", "127.0.0.1:0",
                            *[a for name, box in boxes.items()
                              for a in ("--connect", f"{name}=unix:{box.socket}")],
                            "--store", pg.url], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = web.stdout.readline()
        found = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            raise Failure(f"ambi-web did not say where it serves: {line!r}")
        port = int(found.group(1))
        check.true("web-a ambid at" in line and "web-b ambid at" in line and "central" in line,
                   f"ambi-web names both boxes and the central history: {line.strip()}")
        first = SseReader(port)
        today = datetime.date.today().isoformat()
        # Both boxes record an athlete named sam (different exercises): two athletes on the page.
        boxes["web-a"].serve(captures["sam_curl"], today + "T09:00", pace="4")
        boxes["web-b"].serve(captures["kim_squat_as_sam"], today + "T10:00", pace="4")
        wait_until(lambda: all(reps_seen(first.live_events(), b) for b in boxes),
                   "live reps of both boxes on the stream")

        # Set control goes to the box named; without one ambi-web cannot know whose sam it is.
        status, text = web_request(port, "POST", "/api/set/end", {"athlete": "sam"})
        check.equal(status, 400, f"set control without a box: {text}")
        check.true("web-a" in text and "web-b" in text, f"the refusal names the boxes: {text}")
        status, text = web_request(port, "POST", "/api/set/end",
                                   {"athlete": "sam", "box": "floor-z"})
        check.equal(status, 404, f"set control for an unknown box: {text}")
        status, text = web_request(port, "POST", "/api/set/end",
                                   {"athlete": "nobody", "box": "web-b"})
        check.true(status in (404, 409) and "nobody" in text,
                   f"set control reached box web-b, which answered for 'nobody': {status} {text}")

        # The stream is cut in the middle of both sessions; events go on; it resumes.
        check.true(any(s["live"] for b in boxes.values() for s in b.ctl_json("sessions")),
                   "the stream is cut while the boxes record")
        first.close()
        before = first.live_events()
        last_id = before[-1][0]
        reps_at_cut = {b: len(reps_seen(before, b)) for b in boxes}
        wait_until(lambda: sum(len(reps_stored(b)) for b in boxes.values()) >
                   sum(reps_at_cut.values()) + 4, "reps recorded while the stream is cut")
        second = SseReader(port, last_event_id=last_id)
        for box in boxes.values():
            wait_until(lambda: all(not s["live"] for s in box.ctl_json("sessions")),
                       f"{box.box_id}'s replayed session to end")

        def complete():
            seen = before + second.live_events()
            return all(sorted(reps_seen(seen, b)) == reps_stored(box) for b, box in boxes.items())
        try:
            wait_until(complete, "every stored rep of both boxes on the stream", timeout_s=20)
        except Failure:
            pass  # the comparison below says what differs
        after = second.live_events()
        second.close()
        check.true(len(after) > 0 and after[0][0] == last_id + 1,
                   f"the resumed stream starts right after {last_id}: "
                   f"{after[0][0] if after else None}")
        check.true(not any(name == "reset" for name, _, _ in second.events),
                   "the resumed stream needed no reset")
        ids = [i for i, _ in before + after]
        check.equal(len(ids), len(set(ids)), "no event id twice across the cut")
        check.equal(ids, list(range(ids[0], ids[0] + len(ids))),
                    "event ids contiguous across the cut: none missing")
        keys = [(live.get("box"), live["sequence"]) for _, live in before + after]
        check.equal(len(keys), len(set(keys)), "no box's event twice")
        check.true(all(live.get("box") in boxes for _, live in before + after),
                   "every event names its box")
        for name, box in boxes.items():
            seen = sorted(reps_seen(before + after, name))
            check.equal(seen, reps_stored(box), f"{name}: the stream carried each stored rep once")
            check.true(reps_at_cut[name] > 0 and len(seen) > reps_at_cut[name],
                       f"{name}: reps both before ({reps_at_cut[name]}) and after the cut")
        print(f"web_two_boxes: {len(before)} events before the cut, {len(after)} after; reps "
              + ", ".join(f"{n} {len(reps_stored(b))}" for n, b in boxes.items()))
        check.equal(sorted({live["event"]["athlete"] for _, live in before + after
                            if live.get("event", {}).get("rep")}), ["sam"],
                    "one athlete name at both boxes")
        links = first.named("upstream") + second.named("upstream")
        check.true(any(f["connected"] and {b["box"] for b in f.get("boxes", [])} == set(boxes)
                       for f in links), f"the link state lists both boxes: {links[-2:]}")

        # Reports from the central database: the boxes ship, then ambi-web reads what ambictl
        # --store reads.
        for box in boxes.values():
            wait_shipped(box)
        status, page = web_request(port, "GET", "/report/athlete/sam?weeks=1")
        check.equal(status, 200, "ambi-web's weekly report of sam from the central history")
        want_path = os.path.join(root, "web-sam.html")
        result = subprocess.run([args.ambictl, "--store", pg.url, "report", "--athlete", "sam",
                                 "--weeks", "1", "-o", want_path], capture_output=True,
                                text=True, timeout=TIMEOUT_S)
        check.equal(result.returncode, 0, f"ambictl --store report: {result.stderr}")
        with open(want_path, encoding="utf-8") as f:
            check.equal(page, f.read(), "ambi-web's weekly report is ambictl --store's")
        week = [r for r in ctl_store(args, pg, "balance", "--athlete", "sam", "--weeks", "1")
                if r["record"] == "week"][-1]
        stored = sum(len(reps_stored(b)) for b in boxes.values())
        check.equal(week["left_reps"] + week["right_reps"], stored,
                    "the central week counts the reps of both boxes")
        for name, box in boxes.items():
            session_id = box.ctl_json("sessions")[0]["session_id"]
            status, page = web_request(port, "GET", f"/report/session/{session_id}")
            check.equal(status, 200, f"{name}: session report from the central history")
            path = os.path.join(root, f"{session_id}.html")
            subprocess.run([args.ambictl, "--store", pg.url, "report", session_id, "-o", path],
                           check=True, capture_output=True, timeout=TIMEOUT_S)
            with open(path, encoding="utf-8") as f:
                check.equal(page, f.read(), f"{name}: ambi-web's session report is the central one")
        status, text = web_request(port, "GET", "/report/athlete/nobody?weeks=1")
        check.equal(status, 404, f"an athlete no box recorded: {text.strip()}")
        for box in boxes.values():
            box.stop()
    finally:
        web.terminate()
        try:
            web.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            web.kill()
        log.close()
        if check.failures:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                print(f"--- ambi-web log (end)\n{f.read()[-3000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ambid", required=True)
    parser.add_argument("--ambictl", required=True)
    parser.add_argument("--ambi-sim", dest="ambi_sim", required=True)
    parser.add_argument("--ambi-web", dest="ambi_web")
    parser.add_argument("--only", help="run one scenario (a function name)")
    parser.add_argument("--skip", action="append", default=[],
                        help="leave a scenario out (run by another ctest test)")
    parser.add_argument("--outage-s", dest="outage_s", type=float, default=3.0,
                        help="how long the server is stopped in the middle of a session")
    args = parser.parse_args()
    check = Checker()
    scenarios = [two_boxes, killed_while_shipping, server_stopped_mid_session,
                 unreachable_at_start, newer_schema_refused, web_two_boxes]
    with tempfile.TemporaryDirectory(prefix="ambi-central-") as root, PgServer() as pg:
        captures = {
            "alex_curl": make_capture(args, root, "alex_curl", "curl-asym10", "alex"),
            "sam_squat": make_capture(args, root, "sam_squat", "squat-asym15", "sam"),
            "sam_curl": make_capture(args, root, "sam_curl", "curl-dropouts", "sam"),
            "kim_squat": make_capture(args, root, "kim_squat", "squat-asym15", "kim"),
            "kim_squat_as_sam": make_capture(args, root, "sam_squat_b", "squat-asym15", "sam"),
        }
        for scenario in scenarios:
            if (args.only and scenario.__name__ != args.only) or scenario.__name__ in args.skip:
                continue
            started = time.monotonic()
            try:
                scenario(args, check, pg, root, captures)
            except Failure as failure:
                check.failures.append(f"{scenario.__name__}: {failure}")
                for box_dir in sorted(os.listdir(root)):
                    log = os.path.join(root, box_dir, "ambid.log")
                    if os.path.isfile(log):
                        with open(log, encoding="utf-8", errors="replace") as f:
                            print(f"--- {box_dir} log (end)\n{f.read()[-3000:]}")
                print(f"--- postgres log (end)\n{pg.server_log()[-2000:]}")
                break
            finally:
                for box in list(RUNNING):
                    box.stop(signal.SIGKILL)
            print(f"{scenario.__name__}: done in {time.monotonic() - started:.1f} s")
    for failure in check.failures:
        print("FAIL", failure)
    print(f"{check.checks} checks, {len(check.failures)} failures")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
