"""What the end-to-end scripts share to run the real ambid: the command of a replaying daemon,
a replay that must exit cleanly, bounded waits, and the check list that reports failures.

  sys.path.insert(0, <tests folder>); from ambid_rig import Checker, ...
"""

import subprocess
import time


class Checker:
    """Collects failed checks instead of stopping at the first, and counts every check."""

    def __init__(self):
        self.failures = []
        self.checks = 0

    def equal(self, got, want, what):
        self.checks += 1
        if got != want:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def near(self, got, want, tolerance, what):
        self.checks += 1
        if got is None or want is None or abs(got - want) > tolerance:
            self.failures.append(f"{what}: got {got!r}, want {want!r} (±{tolerance})")

    def true(self, condition, what):
        self.checks += 1
        if not condition:
            self.failures.append(what)


def wait_until(predicate, what, timeout_s, error=AssertionError):
    """The predicate's first true value; 'error' after timeout_s (a bound: never a pass)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


def ambid_command(ambid, data_dir, socket, capture=None, start=None, pace="0", exit_after=False,
                  config=None, log_level="warn"):
    """ambid on a unix socket and data folder; with 'capture', replaying it from date 'start'
    (None: dated when the daemon starts)."""
    command = [ambid]
    if config:
        command += ["--config", config]
    command += ["--data-dir", data_dir, "--listen", "unix:" + socket, "--log-level", log_level]
    if capture:
        command += ["--replay", capture, "--pace", pace]
        if start:
            command += ["--replay-start", start]
    if exit_after:
        command.append("--exit-after-replay")
    return command


def replay_and_exit(command, timeout_s, log=None, env=None, error=AssertionError):
    """Runs a replaying ambid (ambid_command(..., exit_after=True)) to its end; 'error' naming
    the capture and the end of its log when it does not exit 0. 'log': an open file for its
    output (else kept in memory for the message)."""
    result = subprocess.run(command, stdout=log or subprocess.PIPE, stderr=log or subprocess.PIPE,
                            text=True, env=env, timeout=timeout_s)
    if result.returncode != 0:
        capture = command[command.index("--replay") + 1] if "--replay" in command else "?"
        detail = result.stderr[-2000:] if log is None else "see its log"
        raise error(f"ambid --replay {capture} exited {result.returncode}: {detail}")
