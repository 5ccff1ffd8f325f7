"""The real ambid reading two WitMotion BLE sensors through a fake BlueZ, seen by a real gRPC
client (ambi-watch).

A private bus carries python3-dbusmock's BlueZ with the left and right wrist sensors of one
athlete. ambid is configured with both as transport "ble" and started with that bus as its
system bus. This script then plays biceps curls in real time: each sensor turns about its x axis
by angle(t) = ROM/2 * (1 - cos(2 pi t / T)), so the accelerometer sees gravity rotated by the
angle and the gyro reads d(angle)/dt; samples are encoded as 20-byte 0x55 0x61 frames and pushed
as GATT notifications, some frames split over two notifications and some pairs joined in one.
The left side moves through 15 % less ROM.

Checked: reps of both sides and a rep pair naming the left side weaker arrive over gRPC; ambi-watch
devices lists both sensors connected; the rate command reached each sensor; after the left
sensor's link drops, a SensorStatus LOST event comes, ambid connects again by itself (StartNotify
called a second time), a BACK event follows and the left side's samples and reps keep coming;
SIGTERM ends ambid with status 0.

Run by ctest as ambid_ble_e2e; by hand:
  /usr/bin/python3 tests/ble/ambid_ble_e2e.py --ambid build/x/daemon/app/ambid \\
      --watch build/x/clients/watch/ambi-watch --catalog data/exercises.toml
"""

import argparse
import json
import math
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_bluez  # noqa: E402

LEFT_ADDRESS = "C4:7F:0E:00:00:01"
RIGHT_ADDRESS = "C4:7F:0E:00:00:02"
ATHLETE = "alice"
RATE_HZ = 50
GRAVITY_M_S2 = 9.80665
# WitMotion full scales: +-16 g and +-2000 deg/s over int16.
ACCEL_M_S2_PER_COUNT = 16.0 * GRAVITY_M_S2 / 32768.0
GYRO_DEG_S_PER_COUNT = 2000.0 / 32768.0

RIGHT_ROM_DEG = 110.0
LEFT_ROM_DEG = RIGHT_ROM_DEG * 0.85
REP_PERIOD_S = 2.0   # up and down, one cosine period
REP_PAUSE_S = 0.6    # still at the bottom between reps
FIRST_REPS = 5
LATER_REPS = 3
DEADLINE_S = 75.0    # below ctest's TIMEOUT, so a hang ends here with a message and a cleanup


def log(message):
    print(f"ambid_ble_e2e: {message}", flush=True)


def _clamp_i16(value):
    return max(-32768, min(32767, int(round(value))))


def witmotion_ble_frame(accel_m_s2, gyro_deg_s, angle_deg):
    """A 20-byte WitMotion BLE data frame: 55 61, then accel, gyro and Euler angles as int16 LE."""
    accel = [_clamp_i16(a / ACCEL_M_S2_PER_COUNT) for a in accel_m_s2]
    gyro = [_clamp_i16(g / GYRO_DEG_S_PER_COUNT) for g in gyro_deg_s]
    euler = [_clamp_i16(a / 180.0 * 32768.0) for a in angle_deg]
    return bytes([0x55, 0x61]) + struct.pack("<9h", *accel, *gyro, *euler)


class CurlSensor:
    """One wrist sensor's motion: rest, then the reps queued on it, about the sensor's x axis."""

    def __init__(self, device, rom_deg, seed):
        self.device = device
        self.rom_deg = rom_deg
        self.reps = []  # start times (monotonic seconds) of queued reps
        self.noise = random.Random(seed)
        self.connected = True
        self.frames_pushed = 0  # frames made, including one held back and then dropped
        self.frames_sent = 0  # frames whose bytes all went out in notifications

    def angle(self, t):
        """Angle (deg) and its rate (deg/s) at monotonic time t."""
        for start in self.reps:
            phase = (t - start) / REP_PERIOD_S
            if 0.0 <= phase < 1.0:
                w = 2.0 * math.pi / REP_PERIOD_S
                return (self.rom_deg / 2.0 * (1.0 - math.cos(w * (t - start))),
                        self.rom_deg / 2.0 * w * math.sin(w * (t - start)))
        return 0.0, 0.0

    def frame(self, t):
        angle_deg, rate_deg_s = self.angle(t)
        theta = math.radians(angle_deg)
        # The earth's up (what an accelerometer at rest reads) in a sensor turned by theta about x.
        accel = [0.0, GRAVITY_M_S2 * math.sin(theta), GRAVITY_M_S2 * math.cos(theta)]
        accel = [a + self.noise.gauss(0.0, 0.03) for a in accel]
        gyro = [rate_deg_s + self.noise.gauss(0.0, 0.3), self.noise.gauss(0.0, 0.3),
                self.noise.gauss(0.0, 0.3)]
        return witmotion_ble_frame(accel, gyro, (angle_deg, 0.0, 0.0))


class Streamer(threading.Thread):
    """Pushes both sensors' frames at RATE_HZ in real time. Frames come one per notification,
    except that every 7th is split across two notifications and every 5th goes out joined with
    the next one (as a BLE stack that coalesces notifications does)."""

    def __init__(self, sensors):
        super().__init__(daemon=True)
        self.sensors = sensors
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.error = None
        self.behind_s = 0.0

    def queue_reps(self, count):
        """Queues 'count' reps on both sides, starting together after what is queued; returns
        the time the last one ends."""
        with self.lock:
            now = time.monotonic() + 0.2
            start = max([now] + [s.reps[-1] + REP_PERIOD_S + REP_PAUSE_S
                                 for s in self.sensors if s.reps])
            for i in range(count):
                for sensor in self.sensors:
                    sensor.reps.append(start + i * (REP_PERIOD_S + REP_PAUSE_S))
            return start + count * (REP_PERIOD_S + REP_PAUSE_S)

    def set_connected(self, sensor, connected):
        with self.lock:
            sensor.connected = connected

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the main thread
            self.error = e

    def _run(self):
        start = time.monotonic()
        held = {id(s): b"" for s in self.sensors}  # a frame kept back to be joined
        tick = 0
        while not self.stop_event.is_set():
            due = start + tick / RATE_HZ
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                self.behind_s = max(self.behind_s, -delay)
            with self.lock:
                for sensor in self.sensors:
                    if not sensor.connected:
                        held[id(sensor)] = b""
                        continue
                    frame = sensor.frame(due)
                    sensor.frames_pushed += 1
                    if tick % 5 == 0:
                        held[id(sensor)] = frame
                        continue
                    data = held[id(sensor)] + frame
                    held[id(sensor)] = b""
                    if tick % 7 == 0:
                        sensor.device.push(data[:9])
                        sensor.device.push(data[9:])
                    else:
                        sensor.device.push(data)
                    sensor.frames_sent += len(data) // len(frame)
            tick += 1


class Watcher:
    """ambi-watch --json as a child process; its events are read on a thread."""

    def __init__(self, watch_path, address, timeout_s):
        self.process = subprocess.Popen(
            [watch_path, "--connect", address, "--wait-for-server", "10", "--json",
             "--timeout-s", str(timeout_s)],
            stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
            preexec_fn=fake_bluez._die_with_parent)
        self.events = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            try:
                event = json.loads(line)["event"]
            except (json.JSONDecodeError, KeyError) as e:
                event = {"garbage": line, "error": str(e)}
            with self.changed:
                self.events.append(event)
                self.changed.notify_all()

    def wait_for(self, predicate, what, timeout_s, after=0):
        """The first event from index 'after' on that satisfies 'predicate', and its index."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                for i in range(after, len(self.events)):
                    if predicate(self.events[i]):
                        return i, self.events[i]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    kinds = [k for e in self.events[-15:] for k in e if k != "athlete"]
                    raise AssertionError(f"no {what} within {timeout_s} s; "
                                         f"{len(self.events)} events, the last kinds: {kinds}")
                self.changed.wait(remaining)

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def stop(self):
        return fake_bluez.stop_process(self.process)


def is_rep(side):
    return lambda e: "rep" in e and e["rep"]["side"] == side


def is_status(side, kind):
    return lambda e: ("sensor_status" in e and e["sensor_status"]["side"] == side
                      and e["sensor_status"]["kind"] == kind)


def list_devices(watch_path, address):
    out = subprocess.run([watch_path, "--connect", address, "--timeout-s", "5", "--json",
                          "devices"], capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        raise AssertionError(f"ambi-watch devices exited {out.returncode}: {out.stderr}")
    devices = json.loads(out.stdout)["devices"]
    return {d["address"]: d for d in devices}


def wait_devices(watch_path, address, condition, what, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        devices = list_devices(watch_path, address)
        if condition(devices):
            return devices
        if time.monotonic() > deadline:
            raise AssertionError(f"devices never {what} within {timeout_s} s: {devices}")
        time.sleep(0.2)


def write_config(path, socket_path, data_dir, catalog):
    devices = ""
    for placement, address in (("left_wrist", LEFT_ADDRESS), ("right_wrist", RIGHT_ADDRESS)):
        devices += (f'\n[[athletes.devices]]\nplacement = "{placement}"\ntransport = "ble"\n'
                    f'address = "{address}"\nadapter = "hci0"\nrate_hz = {RATE_HZ}\n'
                    f'configure = true\n')
    with open(path, "w") as f:
        f.write(f'[daemon]\nlisten = ["unix:{socket_path}"]\ndata_dir = "{data_dir}"\n'
                f'catalog = "{catalog}"\nlog_level = "info"\n'
                f'\n[[athletes]]\nname = "{ATHLETE}"\nexercise = "biceps_curl"\n{devices}')


def rom_metric(pair):
    for metric in pair["metrics"]:
        if metric["metric"] == "METRIC_ROM":
            return metric
    raise AssertionError(f"rep pair without a ROM comparison: {pair}")


def run(args, work_dir):
    socket_path = os.path.join(work_dir, "ambid.sock")
    address = "unix:" + socket_path
    config_path = os.path.join(work_dir, "ambid.toml")
    write_config(config_path, socket_path, os.path.join(work_dir, "data"), args.catalog)
    ambid_log_path = os.path.join(work_dir, "ambid.log")

    with fake_bluez.FakeBluez(log=subprocess.DEVNULL) as bluez:
        left_device = bluez.add_device(LEFT_ADDRESS, name="WT901BLE67-L")
        right_device = bluez.add_device(RIGHT_ADDRESS, name="WT901BLE67-R")
        ambid_log = open(ambid_log_path, "w")
        ambid = subprocess.Popen([args.ambid, "--config", config_path], env=bluez.env(),
                                 stdout=ambid_log, stderr=ambid_log,
                                 preexec_fn=fake_bluez._die_with_parent)
        watcher = None
        streamer = None
        try:
            for device in (left_device, right_device):
                device.wait_for_call("StartNotify", path=device.notify_path)
            watcher = Watcher(args.watch, address, DEADLINE_S)
            devices = wait_devices(args.watch, address,
                                   lambda d: len(d) == 2 and all(
                                       x["state"] == "STATE_CONNECTED" for x in d.values()),
                                   "both connected", 10)
            for device in devices.values():
                assert device["transport"] == "ble", device
            # configure = true, rate_hz = 50: unlock, then rate register 0x03 = 0x08.
            rate_commands = [bytes.fromhex("ffaa6988b5"), bytes.fromhex("ffaa030800")]
            for device in (left_device, right_device):
                device.wait_for_call("WriteValue", count=2, path=device.write_path)
                assert device.written_values() == rate_commands, device.written_values()

            # Let the subscription settle before the first rep, so that no event is missed.
            time.sleep(0.5)
            left = CurlSensor(left_device, LEFT_ROM_DEG, seed=1)
            right = CurlSensor(right_device, RIGHT_ROM_DEG, seed=2)
            streamer = Streamer([left, right])
            streamer.start()
            time.sleep(1.5)  # at rest first, as an athlete picking up the dumbbells
            reps_end = streamer.queue_reps(FIRST_REPS)

            # Both sides' reps, and a pair that names the left side weaker in ROM.
            _, left_rep = watcher.wait_for(is_rep("SIDE_LEFT"), "left rep",
                                           reps_end - time.monotonic() + 5)
            watcher.wait_for(is_rep("SIDE_RIGHT"), "right rep", 5)
            _, pair = watcher.wait_for(lambda e: "rep_pair" in e, "rep pair",
                                       reps_end - time.monotonic() + 5)
            pair = pair["rep_pair"]
            rom = rom_metric(pair)
            assert rom["weaker_side"] == "SIDE_LEFT", f"ROM comparison {rom}"
            assert pair["left"]["rom_deg"] < pair["right"]["rom_deg"], pair
            ratio = pair["left"]["rom_deg"] / pair["right"]["rom_deg"]
            assert 0.75 < ratio < 0.95, f"left/right ROM {ratio:.2f}, played 0.85: {pair}"
            assert abs(pair["right"]["rom_deg"] - RIGHT_ROM_DEG) < 0.15 * RIGHT_ROM_DEG, pair
            log(f"rep pair: left {pair['left']['rom_deg']:.1f} deg, right "
                f"{pair['right']['rom_deg']:.1f} deg, ROM difference "
                f"{rom['percent_difference']:.1f} % ({rom['band']})")

            time.sleep(max(0.0, reps_end - time.monotonic()) + 1.0)
            devices = list_devices(args.watch, address)
            for addr in (LEFT_ADDRESS, RIGHT_ADDRESS):
                assert devices[addr]["state"] == "STATE_CONNECTED", devices[addr]
                assert int(devices[addr]["samples"]) > 0, devices[addr]
                # The rate is whatever the Python pusher managed (it falls behind on a busy
                # machine); the exact sample count is checked against the frames sent at the end.
                assert devices[addr]["measured_rate_hz"] > 0, devices[addr]
            left_reps_before = sum(1 for e in watcher.snapshot() if is_rep("SIDE_LEFT")(e))
            assert left_reps_before >= FIRST_REPS - 1, f"{left_reps_before} left reps"

            # The left link drops (the sensor goes quiet); ambid reports it and reconnects.
            mark = len(watcher.snapshot())
            streamer.set_connected(left, False)
            left_device.disconnect()
            lost_at, lost = watcher.wait_for(is_status("SIDE_LEFT", "KIND_LOST"), "LOST event",
                                             5, after=mark)
            log(f"lost: {json.dumps(lost['sensor_status'])}")
            left_device.wait_for_call("StartNotify", count=2, path=left_device.notify_path,
                                      timeout_s=15)
            streamer.set_connected(left, True)
            back_at, _ = watcher.wait_for(is_status("SIDE_LEFT", "KIND_BACK"), "BACK event", 5,
                                          after=lost_at)
            assert left_device.calls("Connect") == 2, left_device.calls("Connect")
            assert right_device.notify_calls("StartNotify") == 1, "the right sensor reconnected"
            devices = wait_devices(args.watch, address,
                                   lambda d: d[LEFT_ADDRESS]["state"] == "STATE_CONNECTED",
                                   "left connected again", 5)
            assert int(devices[LEFT_ADDRESS]["reconnects"]) == 1, devices[LEFT_ADDRESS]
            samples_after_back = int(devices[LEFT_ADDRESS]["samples"])

            # Data flows again: more left reps, and the sample count grows.
            reps_end = streamer.queue_reps(LATER_REPS)
            watcher.wait_for(is_rep("SIDE_LEFT"), "left rep after the reconnect",
                             reps_end - time.monotonic() + 5, after=back_at)
            devices = list_devices(args.watch, address)
            assert int(devices[LEFT_ADDRESS]["samples"]) > samples_after_back, devices
            streamer.stop_event.set()
            streamer.join(timeout=5)
            if streamer.error:
                raise AssertionError(f"pushing notifications failed: {streamer.error!r}")
            # Every frame sent is one sample, whether it went out whole, split in two or joined
            # with the next: the right link never dropped, so its count is exact once the last
            # notifications are in. The left one lost what was in flight when it dropped.
            devices = wait_devices(args.watch, address,
                                   lambda d: int(d[RIGHT_ADDRESS]["samples"]) >= right.frames_sent,
                                   f"right samples at the {right.frames_sent} frames sent", 5)
            assert int(devices[RIGHT_ADDRESS]["samples"]) == right.frames_sent, (
                devices[RIGHT_ADDRESS], right.frames_sent)
            assert int(devices[LEFT_ADDRESS]["samples"]) <= left.frames_sent, (
                devices[LEFT_ADDRESS], left.frames_sent)

            # SIGTERM: a clean exit, and the watcher sees the stream end.
            ambid.send_signal(signal.SIGTERM)
            code = ambid.wait(timeout=10)
            assert code == 0, f"ambid exited with {code} after SIGTERM"
            watch_code = watcher.stop()
            assert watch_code == 0, f"ambi-watch exited with {watch_code}"

            events = watcher.snapshot()
            count = {side: sum(1 for e in events if is_rep(side)(e))
                     for side in ("SIDE_LEFT", "SIDE_RIGHT")}
            pairs = sum(1 for e in events if "rep_pair" in e)
            log(f"OK: {count['SIDE_LEFT']} left and {count['SIDE_RIGHT']} right reps, {pairs} "
                f"pairs, left sensor lost and back, {left.frames_pushed + right.frames_pushed} "
                f"frames pushed (at most {streamer.behind_s * 1000:.0f} ms behind)")
        except BaseException:
            ambid_log.flush()
            with open(ambid_log_path) as f:
                sys.stderr.write("---- ambid log ----\n" + f.read()[-8000:] + "----\n")
            if watcher is not None:
                sys.stderr.write(f"events: {json.dumps(watcher.snapshot()[-20:])}\n")
            raise
        finally:
            if streamer is not None:
                streamer.stop_event.set()
            fake_bluez.stop_process(ambid, signal.SIGKILL)
            if watcher is not None:
                watcher.stop()
            ambid_log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ambid", required=True, help="path of the ambid binary")
    parser.add_argument("--watch", required=True, help="path of the ambi-watch binary")
    parser.add_argument("--catalog", required=True, help="the exercise catalog (TOML)")
    args = parser.parse_args()
    fake_bluez.install_deadline(DEADLINE_S, "ambid_ble_e2e")
    with tempfile.TemporaryDirectory(prefix="ambid_ble_e2e.") as work_dir:
        run(args, work_dir)


if __name__ == "__main__":
    main()
