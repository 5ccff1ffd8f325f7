#!/usr/bin/python3
"""Smoke test of ambi-load: a short real run (4 sensors, 4 subscribers) delivers events to every
subscriber and drops none. No timing thresholds: the machine may be busy."""

import json
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: load_smoke_test.py AMBI_LOAD AMBID")
    ambi_load, ambid = sys.argv[1], sys.argv[2]
    command = [ambi_load, "--ambid", ambid, "--athletes", "2", "--subscribers", "4",
               "--warmup-s", "2", "--duration-s", "6", "--rest-s", "2", "--json", "--quiet"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=50)
    sys.stderr.write(run.stderr)
    if run.returncode != 0:
        sys.exit(f"ambi-load exited with {run.returncode}:\n{run.stdout}")
    report = json.loads(run.stdout)
    print(json.dumps(report, indent=1))
    failures = []
    if report["sensors"] != 4 or report["subscribers"] != 4:
        failures.append("expected 4 sensors and 4 subscribers")
    if report["events"]["delivered_total"] <= 0:
        failures.append("no event was delivered")
    if report["streams"]["started"] != 4:
        failures.append(f"{report['streams']['started']} of 4 streams received events")
    if report["streams"]["dropped"] != 0:
        failures.append(f"ambid dropped {report['streams']['dropped']} subscribers: "
                        f"{report['streams']['dropped_statuses']}")
    if report["events"]["missing_by_sequence"] != 0:
        failures.append(f"{report['events']['missing_by_sequence']} events lost (sequence gaps)")
    if report["ambid_died"]:
        failures.append("ambid ended during the run: " + report["ambid_exit"])
    if report["devices"]["connected"] != 4:
        failures.append(f"{report['devices']['connected']} of 4 devices connected")
    if failures:
        sys.exit("load_smoke failed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
