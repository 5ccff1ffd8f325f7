"""A fake BlueZ on a private D-Bus, for end-to-end tests of BLE transports without a radio.

It starts a private dbus-daemon, runs Debian's python3-dbusmock 'bluez5' template on it as the
system bus, and adds WitMotion-like devices with a GATT service, a notify characteristic and a
write characteristic. Programs under test find it through DBUS_SYSTEM_BUS_ADDRESS (see env()).

The template's quirks are worked around here so that a device behaves like BlueZ does:
Device1.Connect() is replaced by one that updates the Connected property (and, if asked,
ServicesResolved), and notifications are pushed as PropertiesChanged of "Value".

Typical use:

    with FakeBluez() as bluez:
        device = bluez.add_device("AA:BB:CC:DD:EE:FF")
        subprocess.Popen([...], env=bluez.env())
        device.wait_for_call("StartNotify")
        device.push(b"\\x55\\x61...")
        device.disconnect()

Every child process gets SIGTERM when this process dies, so nothing is left behind even when
the test runner kills the test.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

import dbus

BLUEZ = "org.bluez"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
BLUEZ_MOCK_IFACE = "org.bluez.Mock"
DEVICE_IFACE = "org.bluez.Device1"
SERVICE_IFACE = "org.bluez.GattService1"
CHAR_IFACE = "org.bluez.GattCharacteristic1"

WITMOTION_SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
WITMOTION_NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WITMOTION_WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM when the process that started it dies."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process, how=signal.SIGTERM, grace_s=5.0):
    """Sends 'how' to a child still running, kills it after 'grace_s'; its exit status."""
    if process.poll() is None:
        process.send_signal(how)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return process.returncode


def install_deadline(deadline_s, test_name):
    """Ends the test with SIGTERM after 'deadline_s' (below the runner's timeout, so a hang ends
    with a message), and turns SIGTERM, ours or the runner's, into SystemExit: it unwinds through
    the finally blocks that stop the children."""
    timer = threading.Timer(deadline_s, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(
        f"{test_name}: terminated (deadline {deadline_s} s or runner)"))


def _wait_until(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")


class FakeDevice:
    """One device of a FakeBluez: its Device1 object and its WitMotion GATT objects."""

    def __init__(self, bluez, adapter, address, path):
        self.bluez = bluez
        self.adapter = adapter
        self.address = address
        self.path = path
        self.service_path = path + "/service0010"
        self.notify_path = self.service_path + "/char0011"
        self.write_path = self.service_path + "/char0013"

    def _mock(self, path):
        return self.bluez.mock_interface(path)

    def set_connect_behaviour(self, resolve_services):
        """Replaces the template's Device1.Connect(), which leaves the Connected property false,
        by one that sets it (and ServicesResolved too when 'resolve_services'), like BlueZ."""
        props = "{'Connected': dbus.Boolean(True)"
        if resolve_services:
            props += ", 'ServicesResolved': dbus.Boolean(True)"
        props += "}"
        self._mock(self.path).AddMethod(
            DEVICE_IFACE, "Connect", "", "", f"self.UpdateProperties('{DEVICE_IFACE}', {props})")

    def resolve_services(self):
        """BlueZ finished service discovery: ServicesResolved becomes true (with its signal)."""
        self._mock(self.path).UpdateProperties(
            DEVICE_IFACE, {"ServicesResolved": dbus.Boolean(True)})

    def disconnect(self):
        """The link drops: Connected and ServicesResolved become false, notifications stop."""
        self._mock(self.notify_path).UpdateProperties(CHAR_IFACE, {"Notifying": dbus.Boolean(False)})
        self._mock(self.path).UpdateProperties(
            DEVICE_IFACE,
            {"Connected": dbus.Boolean(False), "ServicesResolved": dbus.Boolean(False)})

    def push(self, data):
        """One notification carrying 'data' (bytes) on the notify characteristic."""
        value = dbus.Array([dbus.Byte(b) for b in data], signature="y")
        self._mock(self.notify_path).UpdateProperties(CHAR_IFACE, {"Value": value})

    def calls(self, method, path=None):
        """How many times 'method' was called on the device (or on 'path')."""
        return len(self._mock(path or self.path).GetMethodCalls(method))

    def notify_calls(self, method):
        """Calls of 'method' (StartNotify, StopNotify) on the notify characteristic."""
        return self.calls(method, self.notify_path)

    def written_values(self):
        """The byte strings written to the write characteristic, in order."""
        return [bytes(args[0]) for _, args in
                self._mock(self.write_path).GetMethodCalls("WriteValue")]

    def wait_for_call(self, method, count=1, path=None, timeout_s=10.0):
        _wait_until(lambda: self.calls(method, path) >= count, timeout_s,
                    f"{method} call #{count} on {path or self.path}")


class FakeBluez:
    """A private bus with a mock org.bluez on it, and one adapter."""

    def __init__(self, adapter="hci0", log=sys.stderr):
        self.adapter = adapter
        self.log = log
        self.bus_address = None
        self._bus_process = None
        self._mock_process = None
        self._bus = None

    # ---- lifetime ----
    def start(self, timeout_s=10.0):
        self._bus_process = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=self.log, preexec_fn=_die_with_parent, text=True)
        self.bus_address = self._bus_process.stdout.readline().strip()
        if not self.bus_address:
            raise RuntimeError("dbus-daemon printed no address")
        env = self.env()
        self._mock_process = subprocess.Popen(
            [sys.executable, "-m", "dbusmock", "--system", "--template", "bluez5"],
            env=env, stdout=self.log, stderr=self.log, preexec_fn=_die_with_parent)
        self._bus = dbus.bus.BusConnection(self.bus_address)
        _wait_until(lambda: self._bus.name_has_owner(BLUEZ), timeout_s, "the mock org.bluez")
        dbus.Interface(self._bus.get_object(BLUEZ, "/"), BLUEZ_MOCK_IFACE).AddAdapter(
            self.adapter, "ambi-test")
        return self

    def stop_bluez(self):
        """bluetoothd goes away (org.bluez leaves the bus, no signal from it); the bus stays."""
        if self._mock_process is not None and self._mock_process.poll() is None:
            self._mock_process.terminate()
            self._mock_process.wait(timeout=5)

    def stop(self):
        """Ends the mock and the bus; safe to call twice or after a failed start."""
        for process in (self._mock_process, self._bus_process):
            if process is not None:
                stop_process(process)
        if self._bus_process is not None and self._bus_process.stdout:
            self._bus_process.stdout.close()
        self._mock_process = None
        self._bus_process = None
        self._bus = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self, base=None):
        """An environment in which the system (and session) bus is the private one."""
        env = dict(os.environ if base is None else base)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        return env

    # ---- objects ----
    def mock_interface(self, path):
        return dbus.Interface(self._bus.get_object(BLUEZ, path), MOCK_IFACE)

    def add_device(self, address, name="WT901BLE67", resolve_services_on_connect=True,
                   notify_uuid=WITMOTION_NOTIFY_UUID, write_uuid=WITMOTION_WRITE_UUID):
        """A device with the WitMotion GATT layout. AddObject does not emit InterfacesAdded:
        clients find the objects through GetManagedObjects, as after a reconnect."""
        path = str(dbus.Interface(self._bus.get_object(BLUEZ, "/"), BLUEZ_MOCK_IFACE)
                   .AddDevice(self.adapter, address, name))
        device = FakeDevice(self, self.adapter, address, path)
        root = self.mock_interface("/")
        root.AddObject(device.service_path, SERVICE_IFACE, {
            "UUID": dbus.String(WITMOTION_SERVICE_UUID),
            "Primary": dbus.Boolean(True),
            "Device": dbus.ObjectPath(path),
        }, [])
        root.AddObject(device.notify_path, CHAR_IFACE, {
            "UUID": dbus.String(notify_uuid),
            "Service": dbus.ObjectPath(device.service_path),
            "Value": dbus.Array([], signature="y"),
            "Notifying": dbus.Boolean(False),
            "Flags": dbus.Array(["notify"], signature="s"),
        }, [
            ("StartNotify", "", "",
             f"self.UpdateProperties('{CHAR_IFACE}', {{'Notifying': dbus.Boolean(True)}})"),
            ("StopNotify", "", "",
             f"self.UpdateProperties('{CHAR_IFACE}', {{'Notifying': dbus.Boolean(False)}})"),
            ("ReadValue", "a{sv}", "ay", f"ret = self.props['{CHAR_IFACE}']['Value']"),
        ])
        root.AddObject(device.write_path, CHAR_IFACE, {
            "UUID": dbus.String(write_uuid),
            "Service": dbus.ObjectPath(device.service_path),
            "Value": dbus.Array([], signature="y"),
            "Notifying": dbus.Boolean(False),
            "Flags": dbus.Array(["write-without-response", "write"], signature="s"),
        }, [
            ("WriteValue", "aya{sv}", "", ""),
        ])
        device.set_connect_behaviour(resolve_services_on_connect)
        return device
