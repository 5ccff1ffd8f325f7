#!/usr/bin/python3
"""Watch live: one line per rep pair (left/right segment ROM, the difference, its band) and
every cue, from ambid.

    watch_live.py [--connect ADDR] [--athlete NAME] [--count N]
"""

import argparse
import sys

from ambi_client import AmbidUnreachable, Client, events_pb2


def describe(live):
    event = live.event
    kind = event.WhichOneof("kind")
    if kind == "rep_pair":
        pair = event.rep_pair
        rom = next((m for m in pair.metrics if m.metric == events_pb2.METRIC_ROM),
                   None)
        band = events_pb2.Band.Name(rom.band).removeprefix("BAND_").lower() \
            if rom else "n/a"
        gap = f"{rom.percent_difference:.1f} %" if rom else "-"
        return (f"{event.athlete}  set {pair.set_index} rep {pair.pair_index}  "
                f"L {pair.left.rom_deg:.1f}°  R {pair.right.rom_deg:.1f}°  diff {gap} [{band}]")
    if kind == "cue":
        return f"{event.athlete}  CUE  {event.cue.message}"
    if kind == "set_summary":
        summary = event.set_summary
        return (f"{event.athlete}  set {summary.set_index} done  reps L {summary.left.rep_count}"
                f" / R {summary.right.rep_count}")
    return None


def main():
    parser = argparse.ArgumentParser(description="Watch ambid's live rep pairs and cues.")
    parser.add_argument("--connect", help="ambid address (unix:/path, a path, or host:port)")
    parser.add_argument("--token-file", help="file holding ambid's bearer token (TCP)")
    parser.add_argument("--tls-ca", help="PEM file of the CA of ambid's certificate (TLS)")
    parser.add_argument("--athlete", action="append", default=[], help="only this athlete")
    parser.add_argument("--count", type=int, default=0, help="stop after N lines")
    parser.add_argument("--wait-for-server", type=float, default=0.0, metavar="S")
    args = parser.parse_args()
    printed = 0
    with Client(args.connect, token_file=args.token_file, tls_ca=args.tls_ca) as ambid:
        try:
            if args.wait_for_server:
                ambid.wait_for_server(args.wait_for_server)
            for live in ambid.watch(athletes=args.athlete):
                line = describe(live)
                if line is None:
                    continue
                print(line, flush=True)
                printed += 1
                if args.count and printed >= args.count:
                    return 0
        except AmbidUnreachable as error:
            print(f"watch_live: {error} (use --connect ADDR)", file=sys.stderr)
            return 1
    return 0 if not args.count else 1


if __name__ == "__main__":
    sys.exit(main())
