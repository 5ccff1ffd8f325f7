#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

Run with Debian's python3 (it has protobuf) from the repository root:
  /usr/bin/python3 tests/fuzz/make_seeds.py
Seeds are small valid inputs (and a few typical broken ones) from which libFuzzer mutates. The
frames follow fusion/decode/wire_format.h; the files come from data/ and tests/golden/.
"""
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def wit_serial(frame_type, values):
    body = bytes([0x55, frame_type]) + struct.pack("<4h", *values)
    return body + bytes([sum(body) & 0xFF])


def wit_ble(values):
    return bytes([0x55, 0x61]) + struct.pack("<9h", *values)


def fletcher16(data):
    sum1 = sum2 = 0
    for byte in data:
        sum1 = (sum1 + byte) % 255
        sum2 = (sum2 + sum1) % 255
    return sum1 | (sum2 << 8)


def ambi_sample(t_ns, values):
    has_mag = len(values) == 9
    payload = struct.pack("<q", t_ns) + struct.pack("<%dd" % len(values), *values)
    frame = bytes([0xA5, 0x5A, 1, 1 if has_mag else 0, len(payload)]) + payload
    check = fletcher16(frame[2:])
    return frame + bytes([check & 0xFF, check >> 8])


def decoder_seeds():
    # First byte of every input picks the read sizes (see decoder_fuzz.cc).
    cycle = (wit_serial(0x51, [100, -200, 2048, 3000]) + wit_serial(0x52, [10, -20, 30, 3000]) +
             wit_serial(0x53, [1000, 2000, -3000, 0]) + wit_serial(0x54, [300, -100, 50, 0]))
    put("decoder_witmotion_serial_fuzz", "cycles", b"\x03" + cycle * 3)
    put("decoder_witmotion_serial_fuzz", "garbage_then_cycle", b"\x10" + b"\x55\x00\x55" + cycle)
    ble = wit_ble([100, -200, 2048, 10, -20, 30, 1000, 2000, -3000])
    put("decoder_witmotion_ble_fuzz", "frames", b"\x05" + ble * 3)
    put("decoder_witmotion_ble_fuzz", "register_reply",
        b"\x07" + bytes([0x55, 0x71]) + bytes(18) + ble)
    six = ambi_sample(10_000_000, [0.1, -9.8, 0.3, 0.01, -0.02, 0.03])
    nine = ambi_sample(20_000_000, [0.1, -9.8, 0.3, 0.01, -0.02, 0.03, 40.0, -5.0, -28.0])
    put("decoder_ambi_sample_fuzz", "six_and_nine_axis", b"\x02" + six + nine)
    put("decoder_ambi_sample_fuzz", "cut_frame", b"\x09" + six + nine[:30])


def file_seeds():
    golden = os.path.join(ROOT, "tests", "golden", "curl_asym10.capture")
    with open(golden, "rb") as f:
        head = f.read(3000)
    put("capture_reader_fuzz", "golden_head", head)  # header and whole records, then a cut one
    put("capture_reader_fuzz", "empty", b"")
    csv = os.path.join(ROOT, "..", "shared", "data", "real", "pt_s1_e1_test", "u1.csv")
    if os.path.exists(csv):
        with open(csv, "rb") as f:
            put("csv_samples_fuzz", "pt_s1_e1_u1_head", b"".join(f.readlines()[:12]))
    put("csv_samples_fuzz", "nine_axis",
        b"t_s,ax,ay,az,gx,gy,gz,mx,my,mz\n0,0,0,9.81,0,0,0,44.8,-5.9,-28.9\n"
        b"0.01,0,0,9.81,0,0,0.1,44.8,-5.9,-28.9\n")
    put("csv_samples_fuzz", "backwards", b"t_s,ax,ay,az,gx,gy,gz\n1,0,0,0,0,0,0\n0.5,0,0,0,0,0,0\n")
    with open(os.path.join(ROOT, "data", "ambid.toml"), "rb") as f:
        put("daemon_config_fuzz", "ambid.toml", f.read())
    put("daemon_config_fuzz", "minimal",
        b'[[athletes]]\nname = "ana"\n[[athletes.devices]]\nplacement = "left_wrist"\n'
        b'transport = "serial"\npath = "/dev/ttyUSB0"\n[[athletes.devices]]\n'
        b'placement = "right_wrist"\ntransport = "ble"\naddress = "AA:BB:CC:DD:EE:FF"\n')
    with open(os.path.join(ROOT, "data", "exercises.toml"), "rb") as f:
        put("exercise_catalog_fuzz", "exercises.toml", f.read())


def event_seeds():
    # Binary Event messages from the golden event logs, through protoc's Python output.
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["protoc", "-I", os.path.join(ROOT, "proto"), "--python_out", out,
                        "ambi/v1/common.proto", "ambi/v1/events.proto"], check=True)
        sys.path.insert(0, out)
        from ambi.v1 import events_pb2  # noqa: E402
        from google.protobuf import json_format  # noqa: E402
        kinds = {}
        with open(os.path.join(ROOT, "tests", "golden", "curl_dropouts.events.jsonl")) as f:
            for line in f:
                event = json_format.Parse(line, events_pb2.Event())
                kinds.setdefault(event.WhichOneof("kind"), event)
        for kind, event in sorted(kinds.items()):
            put("event_json_fuzz", kind, event.SerializeToString())


def http_seeds():
    # Requests as ambi-web's page and a coach's tablet send them.
    host = "Host: gym.local:8080\r\n"
    origin = "Origin: http://gym.local:8080\r\n"
    cookie = "Cookie: theme=dark; ambi_session=0123456789abcdef\r\n"
    requests = {
        "index": "GET / HTTP/1.1\r\n" + host + "\r\n",
        "events": "GET /events HTTP/1.1\r\n" + host + cookie + "Last-Event-ID: 42\r\n\r\n",
        "start_set": ("POST /api/set/start HTTP/1.1\r\n" + host + origin + cookie +
                      "Content-Type: application/json\r\nContent-Length: 37\r\n\r\n"
                      '{"athlete":"alice","exercise":"curl"}'),
        "pair": ("POST /api/pair HTTP/1.1\r\n" + host + origin +
                 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n"
                 "\r\ncode=ABC234"),
        "report": "GET /report/athlete/ali%63e?weeks=8 HTTP/1.1\r\n" + host + cookie + "\r\n",
        "chunked": ("POST /api/set/end HTTP/1.1\r\n" + host + origin +
                    "Transfer-Encoding: chunked\r\n\r\n11\r\n{\"athlete\":\"bob\"}\r\n0\r\n\r\n"),
    }
    for name, text in requests.items():
        put("http_request_fuzz", name, text.encode())


if __name__ == "__main__":
    decoder_seeds()
    file_seeds()
    event_seeds()
    http_seeds()
