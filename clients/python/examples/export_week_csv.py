#!/usr/bin/python3
"""Export this week to CSV: every rep of every session since Monday 00:00 UTC, one row per rep
(the columns of `ambictl export`, docs/export.md, version 1, for the columns it fills).

    export_week_csv.py [--connect ADDR] [--athlete NAME] [-o FILE]
"""

import argparse
import csv
import datetime
import sys

from ambi_client import AmbidUnreachable, Client, common_pb2, events_pb2, iso_week_start

COLUMNS = ["export_version", "session_id", "athlete", "session_start_utc", "set_index",
           "exercise", "mode", "limb", "side", "rep_index", "pair_index", "start_s", "end_s",
           "rom_deg", "concentric_s", "eccentric_s", "peak_speed_deg_s",
           "rom_percent_difference", "rom_symmetry_index_pct", "rom_band", "weaker_side",
           "lead_ms"]


def word(enum_name, prefix):
    return "" if enum_name.endswith("UNSPECIFIED") else enum_name.removeprefix(prefix).lower()


def rows_of(response):
    events = events_pb2
    common = common_pb2
    info = response.session
    start = datetime.datetime.fromtimestamp(info.start_unix_ns // 1_000_000_000,
                                            datetime.timezone.utc)
    sets = {s.set_index: s for s in response.sets}
    # Every rep: those of each pair, then those without a partner (every rep of a unilateral
    # set), whose pair columns stay empty.
    reps = [(rep, pair) for pair in response.rep_pairs for rep in (pair.left, pair.right)]
    reps += [(unpaired.rep, None) for unpaired in response.unpaired_reps]
    for rep, pair in reps:
        rom = next((m for m in pair.metrics if m.metric == events.METRIC_ROM), None) \
            if pair else None
        summary = sets.get(rep.set_index)
        yield {
            "export_version": 1, "session_id": info.session_id, "athlete": info.athlete,
            "session_start_utc": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "set_index": rep.set_index,
            "exercise": summary.exercise if summary else "",
            "mode": word(common.SetMode.Name(summary.mode), "SET_MODE_") if summary else "",
            "limb": word(common.Limb.Name(rep.limb), "LIMB_"),
            "side": word(common.Side.Name(rep.side), "SIDE_"),
            "rep_index": rep.index, "pair_index": pair.pair_index if pair else "",
            "start_s": f"{rep.start_s:.4f}", "end_s": f"{rep.end_s:.4f}",
            "rom_deg": f"{rep.rom_deg:.4f}", "concentric_s": f"{rep.concentric_s:.4f}",
            "eccentric_s": f"{rep.eccentric_s:.4f}",
            "peak_speed_deg_s": f"{rep.peak_speed_deg_s:.4f}",
            "rom_percent_difference": f"{rom.percent_difference:.4f}" if rom else "",
            "rom_symmetry_index_pct": f"{rom.symmetry_index_pct:.4f}" if rom else "",
            "rom_band": word(events.Band.Name(rom.band), "BAND_") if rom else "",
            "weaker_side": word(common.Side.Name(rom.weaker_side), "SIDE_") if rom else "",
            "lead_ms": f"{pair.lead_ms:.4f}" if pair else "",
        }


def main():
    parser = argparse.ArgumentParser(description="Export this week's reps to CSV.")
    parser.add_argument("--connect", help="ambid address (unix:/path, a path, or host:port)")
    parser.add_argument("--token-file", help="file holding ambid's bearer token (TCP)")
    parser.add_argument("--tls-ca", help="PEM file of the CA of ambid's certificate (TLS)")
    parser.add_argument("--athlete", default="", help="only this athlete")
    parser.add_argument("-o", "--output", help="CSV file (default: stdout)")
    args = parser.parse_args()
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        with Client(args.connect, token_file=args.token_file, tls_ca=args.tls_ca) as ambid:
            sessions = ambid.sessions(athlete=args.athlete, since=iso_week_start(), limit=1000)
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            for info in reversed(sessions):  # oldest first
                writer.writerows(rows_of(ambid.session(info.session_id)))
    except AmbidUnreachable as error:
        print(f"export_week_csv: {error} (use --connect ADDR)", file=sys.stderr)
        return 1
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
