"""BleSource end to end against a fake BlueZ: connect, rate command written, split and joined
notifications decoded by the real decoder, disconnect reported and recovered (StartNotify called
again), clean stop; loss of BlueZ and of the bus; devices BlueZ does not know yet found by LE
discovery (one, two sharing the adapter's discovery, and one that never shows up).

Run by ctest as ble_e2e; by hand: /usr/bin/python3 tests/ble/ble_e2e.py --probe build/.../ble_probe
"""

import argparse
import json
import math
import os
import queue
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_bluez  # noqa: E402

ADDRESS = "C4:7F:0E:12:34:56"
SECOND_ADDRESS = "C4:7F:0E:65:43:21"
GRAVITY_M_S2 = 9.80665
DEADLINE_S = 45.0  # below ctest's TIMEOUT, so a hang ends here with a message and a cleanup


def witmotion_ble_frame(accel_raw, gyro_raw, angle_raw=(0, 0, 0)):
    """A 20-byte WitMotion BLE data frame: 55 61 and nine int16 LE."""
    return bytes([0x55, 0x61]) + struct.pack("<9h", *accel_raw, *gyro_raw, *angle_raw)


def expected_sample(accel_raw, gyro_raw):
    accel = [r / 32768.0 * 16.0 * GRAVITY_M_S2 for r in accel_raw]
    gyro = [math.radians(r / 32768.0 * 2000.0) for r in gyro_raw]
    return accel, gyro


class Probe:
    """ble_probe as a child process whose JSON lines are read on a thread."""

    def __init__(self, path, env, addresses=(ADDRESS,), extra_args=()):
        command = [path, "--rate-hz", "100", "--backoff-initial-s", "0.05",
                   "--backoff-max-s", "0.2", "--services-timeout-s", "10", *extra_args]
        for address in addresses:
            command += ["--address", address]
        self.process = subprocess.Popen(
            command,
            env=env, stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
            preexec_fn=fake_bluez._die_with_parent)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                self.events.put({"event": "garbage", "line": line})
        self.events.put({"event": "exited"})

    def next(self, wanted, timeout_s=10.0):
        """The next event of kind 'wanted'; 'error' events are kept for messages, others must
        not come in between (a stray sample or loss is a failure)."""
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no '{wanted}' event within {timeout_s} s; "
                                     f"events so far: {self.seen[-10:]}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if event["event"] == wanted:
                return event
            if event["event"] != "error":
                raise AssertionError(f"expected '{wanted}', got {event}")

    def wait_error(self, fragment, timeout_s=10.0):
        """Skips events until an 'error' whose last_error contains 'fragment'."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(event)
            if event["event"] == "error" and fragment in event["last_error"]:
                return event
        raise AssertionError(f"no error containing '{fragment}' within {timeout_s} s; "
                             f"events so far: {self.seen[-10:]}")

    def stop(self):
        return fake_bluez.stop_process(self.process)


def check_sample(event, accel_raw, gyro_raw):
    accel, gyro = expected_sample(accel_raw, gyro_raw)
    for name, got, want in (("accel_m_s2", event["accel_m_s2"], accel),
                            ("gyro_rad_s", event["gyro_rad_s"], gyro)):
        for g, w in zip(got, want):
            if abs(g - w) > 1e-6 * max(1.0, abs(w)):
                raise AssertionError(f"{name} {got} != expected {want} for raw {accel_raw} "
                                     f"{gyro_raw}")


def run(probe_path):
    frames = [((100 * i, -200 * i, 2048 + i), (10 * i, 20 * i, -30 * i)) for i in range(1, 8)]
    encoded = [witmotion_ble_frame(a, g) for a, g in frames]

    with fake_bluez.FakeBluez() as bluez:
        # First connection: ServicesResolved comes after Connect(), as BlueZ does after discovery.
        device = bluez.add_device(ADDRESS, resolve_services_on_connect=False)
        probe = Probe(probe_path, bluez.env())
        try:
            device.wait_for_call("Connect")
            device.resolve_services()
            probe.next("connected")
            assert device.notify_calls("StartNotify") == 1, "StartNotify not called once"
            # --rate-hz 100: unlock, then rate register 0x03 = 0x09, on the write characteristic.
            rate_commands = [bytes.fromhex("ffaa6988b5"), bytes.fromhex("ffaa030900")]
            device.wait_for_call("WriteValue", count=2, path=device.write_path)
            assert device.written_values() == rate_commands, device.written_values()

            # Whole, split across two notifications, two joined in one, whole.
            device.push(encoded[0])
            device.push(encoded[1][:7])
            device.push(encoded[1][7:])
            device.push(encoded[2] + encoded[3])
            device.push(encoded[4])
            for i in range(5):
                check_sample(probe.next("sample"), *frames[i])

            # The link drops; the source reports it and reconnects by itself.
            device.set_connect_behaviour(resolve_services=True)
            device.push(encoded[5][:9])  # half a frame in flight when the link dies
            device.disconnect()
            lost = probe.next("lost")
            assert "Connected=false" in lost["reason"], lost
            probe.next("connected")
            assert device.calls("Connect") == 2, f"Connect calls: {device.calls('Connect')}"
            assert device.notify_calls("StartNotify") == 2, "StartNotify not called again"
            device.wait_for_call("WriteValue", count=4, path=device.write_path)
            assert device.written_values() == rate_commands * 2, device.written_values()

            device.push(encoded[6])
            check_sample(probe.next("sample"), *frames[6])

            # Stop: notifications are turned off and the probe exits cleanly.
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
            probe.next("stopped", timeout_s=2)
            device.wait_for_call("StopNotify", path=device.notify_path, timeout_s=5)
        finally:
            probe.stop()


def run_service_loss(probe_path):
    """bluetoothd stopping is a loss although BlueZ sends nothing; the bus itself dying leaves
    the source retrying with a clear error, and the program still stops cleanly."""
    with fake_bluez.FakeBluez() as bluez:
        bluez.add_device(ADDRESS)
        probe = Probe(probe_path, bluez.env())
        try:
            probe.next("connected")
            bluez.stop_bluez()
            lost = probe.next("lost")
            assert "org.bluez" in lost["reason"], lost
            bluez.stop()
            probe.wait_error("system D-Bus")
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
        finally:
            probe.stop()


def discovery_calls(bluez):
    return {method: len(bluez.adapter_calls(method))
            for method in ("SetDiscoveryFilter", "StartDiscovery", "StopDiscovery")}


def check_le_filter(bluez):
    filters = bluez.adapter_calls("SetDiscoveryFilter")
    assert filters and all(dict(f[0]) == {"Transport": "le"} for f in filters), filters


def run_discovery(probe_path):
    """A device BlueZ has never seen: the source discovers it, stops discovering once it is
    there, connects and streams; after a drop the now known device is reconnected directly."""
    frame = ((1, 2, 3), (4, 5, 6))
    with fake_bluez.FakeBluez() as bluez:
        device = bluez.add_device(ADDRESS, discoverable_only=True, appear_after_s=0.3)
        probe = Probe(probe_path, bluez.env())
        try:
            probe.next("connected")
            assert device.appeared(), "connected to a device that was not discovered"
            check_le_filter(bluez)
            # Released as soon as the device appeared, before Connect() even.
            bluez.wait_for_adapter_call("StopDiscovery", timeout_s=5)
            calls = discovery_calls(bluez)
            assert calls == {"SetDiscoveryFilter": 1, "StartDiscovery": 1,
                             "StopDiscovery": 1}, calls
            assert not bluez.discovering()
            device.push(witmotion_ble_frame(*frame))
            check_sample(probe.next("sample"), *frame)

            device.set_connect_behaviour(resolve_services=True)
            device.disconnect()
            probe.next("lost")
            probe.next("connected")
            calls = discovery_calls(bluez)
            assert calls["StartDiscovery"] == 1, f"known device discovered again: {calls}"
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
        finally:
            probe.stop()


def run_forgotten_before_connect(probe_path):
    """BlueZ lists the device but has forgotten it by the time Connect() arrives: the same
    attempt turns to discovery instead of failing, and connects once the device reappears."""
    with fake_bluez.FakeBluez() as bluez:
        known = bluez.add_device(ADDRESS)
        known.forget_on_connect()
        found = bluez.add_device(ADDRESS, discoverable_only=True, appear_after_s=0.2)
        probe = Probe(probe_path, bluez.env())
        try:
            probe.next("connected")
            assert found.appeared(), "connected to a device that was not discovered again"
            calls = discovery_calls(bluez)
            assert calls["StartDiscovery"] == 1, calls
            # (An error before the bus connection is up is normal at start.)
            errors = [e["last_error"] for e in probe.seen if e["event"] == "error" and
                      "UnknownObject" in e["last_error"]]
            assert not errors, f"the attempt failed instead of discovering: {errors}"
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
        finally:
            probe.stop()


def run_shared_discovery(probe_path):
    """Two unknown devices on one adapter: one discovery for both, not stopped when the first
    appears (the fake only reveals a device while discovery runs without a break)."""
    with fake_bluez.FakeBluez() as bluez:
        first = bluez.add_device(ADDRESS, discoverable_only=True, appear_after_s=0.2)
        second = bluez.add_device(SECOND_ADDRESS, discoverable_only=True, appear_after_s=1.0)
        probe = Probe(probe_path, bluez.env(), addresses=(ADDRESS, SECOND_ADDRESS))
        try:
            connected = [probe.next("connected")["address"], probe.next("connected")["address"]]
            assert sorted(connected) == sorted([ADDRESS, SECOND_ADDRESS]), connected
            assert first.appeared() and second.appeared()
            assert connected[0] == ADDRESS, f"the later device connected first: {connected}"
            check_le_filter(bluez)
            bluez.wait_for_adapter_call("StopDiscovery", timeout_s=5)
            calls = discovery_calls(bluez)
            assert calls["StartDiscovery"] == 1 and calls["StopDiscovery"] == 1, calls
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
        finally:
            probe.stop()


def run_discovery_timeout(probe_path):
    """A device that is not there: each attempt's discovery times out with an error naming the
    address, the adapter and the reason, is stopped, and is tried again after the backoff; a
    device that shows up later is then found."""
    with fake_bluez.FakeBluez() as bluez:
        probe = Probe(probe_path, bluez.env(), extra_args=("--discovery-timeout-s", "0.3"))
        try:
            error = probe.wait_error("not found")["last_error"]
            for fragment in (ADDRESS, "hci0", "discovery timed out after 0.3",
                             "/org/bluez/hci0/dev_C4_7F_0E_12_34_56"):
                assert fragment in error, f"'{fragment}' not in: {error}"
            bluez.wait_for_adapter_call("StartDiscovery", count=3, timeout_s=10)
            bluez.wait_for_adapter_call("StopDiscovery", count=2, timeout_s=5)
            calls = discovery_calls(bluez)
            # Stopped after each try: never a second StartDiscovery while one runs (which the
            # fake, like BlueZ, refuses with InProgress).
            assert calls["StartDiscovery"] - calls["StopDiscovery"] in (0, 1), calls
            assert probe.process.poll() is None, "ble_probe died while retrying"

            device = bluez.add_device(ADDRESS, discoverable_only=True, appear_after_s=0.05)
            probe.next("connected", timeout_s=10)
            assert device.appeared()
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
        finally:
            probe.stop()


def run_bluez_gone_during_discovery(probe_path):
    """bluetoothd stopping while the source waits for its device ends that wait at once (not
    after the 20 s discovery timeout) with BlueZ's departure as the reason."""
    with fake_bluez.FakeBluez() as bluez:
        probe = Probe(probe_path, bluez.env())
        try:
            bluez.wait_for_adapter_call("StartDiscovery")
            bluez.stop_bluez()
            probe.wait_error("org.bluez", timeout_s=5)
            assert probe.process.poll() is None, "ble_probe died"
            code = probe.stop()
            assert code == 0, f"ble_probe exited with {code}"
        finally:
            probe.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True, help="path of the ble_probe binary")
    args = parser.parse_args()
    fake_bluez.install_deadline(DEADLINE_S, "ble_e2e")
    run(args.probe)
    run_service_loss(args.probe)
    run_discovery(args.probe)
    run_forgotten_before_connect(args.probe)
    run_shared_discovery(args.probe)
    run_discovery_timeout(args.probe)
    run_bluez_gone_during_discovery(args.probe)
    print("ble_e2e: OK (7 samples, disconnect recovered, BlueZ and bus loss survived, "
          "unknown devices discovered, shared discovery, discovery timeout retried, BlueZ gone "
          "during discovery)")


if __name__ == "__main__":
    main()
