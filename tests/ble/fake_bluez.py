"""A fake BlueZ on a private D-Bus, for end-to-end tests of BLE transports without a radio.

It starts a private dbus-daemon, runs Debian's python3-dbusmock 'bluez5' template on it as the
system bus, and adds WitMotion-like devices with a GATT service, a notify characteristic and a
write characteristic. Programs under test find it through DBUS_SYSTEM_BUS_ADDRESS (see env()).

The template's quirks are worked around here so that a device behaves like BlueZ does:
Device1.Connect() is replaced by one that updates the Connected property (and, if asked,
ServicesResolved), and notifications are pushed as PropertiesChanged of "Value". The adapter's
StartDiscovery()/StopDiscovery() are replaced by stricter ones: like BlueZ for one client, a
second StartDiscovery() fails with org.bluez.Error.InProgress and StopDiscovery() without a
discovery fails with org.bluez.Error.Failed, so a client that starts or stops twice is caught.

A device added with discoverable_only=True is not on the bus until the adapter discovers: it
appears (with InterfacesAdded for the device and its GATT objects, as BlueZ announces a device it
just found) once discovery has run for its appear_after_s, and only while discovery runs.

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
OBJECT_MANAGER_IFACE = "org.freedesktop.DBus.ObjectManager"
ADAPTER_IFACE = "org.bluez.Adapter1"
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


# Stricter than the template (see the module comment). The code runs inside the mock, where
# 'self' is the adapter object.
_START_DISCOVERY_CODE = f"""
if self.props['{ADAPTER_IFACE}']['Discovering']:
    raise dbus.exceptions.DBusException('Operation already in progress',
                                        name='org.bluez.Error.InProgress')
self.UpdateProperties('{ADAPTER_IFACE}', {{'Discovering': dbus.Boolean(True)}})
"""
_STOP_DISCOVERY_CODE = f"""
if not self.props['{ADAPTER_IFACE}']['Discovering']:
    raise dbus.exceptions.DBusException('No discovery started', name='org.bluez.Error.Failed')
self.UpdateProperties('{ADAPTER_IFACE}', {{'Discovering': dbus.Boolean(False)}})
"""


def _wait_until(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")


class FakeDevice:
    """One device of a FakeBluez: its Device1 object and its WitMotion GATT objects."""

    def __init__(self, bluez, adapter, address, path, name="", appear_after_s=None):
        self.bluez = bluez
        self.adapter = adapter
        self.address = address
        self.path = path
        self.name = name
        # discoverable_only: seconds of discovery before it appears; None once it is on the bus.
        self.appear_after_s = appear_after_s
        self.service_path = path + "/service0010"
        self.notify_path = self.service_path + "/char0011"
        self.write_path = self.service_path + "/char0013"

    def _mock(self, path, bus=None):
        return self.bluez.mock_interface(path, bus)

    def appeared(self):
        """False while a discoverable_only device waits for discovery."""
        return self.appear_after_s is None

    def wait_until_appeared(self, timeout_s=10.0):
        _wait_until(self.appeared, timeout_s, f"{self.address} to be discovered")

    def set_connect_behaviour(self, resolve_services, bus=None):
        """Replaces the template's Device1.Connect(), which leaves the Connected property false,
        by one that sets it (and ServicesResolved too when 'resolve_services'), like BlueZ."""
        props = "{'Connected': dbus.Boolean(True)"
        if resolve_services:
            props += ", 'ServicesResolved': dbus.Boolean(True)"
        props += "}"
        self._mock(self.path, bus).AddMethod(
            DEVICE_IFACE, "Connect", "", "", f"self.UpdateProperties('{DEVICE_IFACE}', {props})")

    def forget_on_connect(self):
        """The next Connect() finds BlueZ has forgotten the device (as after a BlueZ restart
        between a client's look-up and its call): the device and its GATT objects vanish without
        a signal and the call fails with UnknownObject, as D-Bus answers for a path nobody
        serves. Add the device again with discoverable_only to let discovery find it."""
        paths = [self.write_path, self.notify_path, self.service_path, self.path]
        self._mock(self.path).AddMethod(DEVICE_IFACE, "Connect", "", "", (
            f"for path in {paths!r}:\n"
            "    objects['/'].RemoveObject(path)\n"
            f"raise dbus.exceptions.DBusException(\"No such object path '{self.path}'\",\n"
            "    name='org.freedesktop.DBus.Error.UnknownObject')\n"))

    def resolve_services(self):
        """BlueZ finished service discovery: ServicesResolved becomes true (with its signal)."""
        self._mock(self.path).UpdateProperties(
            DEVICE_IFACE, {"ServicesResolved": dbus.Boolean(True)})

    def disconnect(self):
        """The link drops: Connected and ServicesResolved become false, notifications stop."""
        self._mock(self.notify_path).UpdateProperties(
            CHAR_IFACE, {"Notifying": dbus.Boolean(False)})
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
        self._pending = []  # discoverable_only devices not on the bus yet
        self._pending_lock = threading.Lock()
        self._watcher = None
        self._watcher_stop = threading.Event()

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
        adapter_path = str(dbus.Interface(self._bus.get_object(BLUEZ, "/"), BLUEZ_MOCK_IFACE)
                           .AddAdapter(self.adapter, "ambi-test"))
        adapter = self.mock_interface(adapter_path)
        adapter.AddMethod(ADAPTER_IFACE, "StartDiscovery", "", "", _START_DISCOVERY_CODE)
        adapter.AddMethod(ADAPTER_IFACE, "StopDiscovery", "", "", _STOP_DISCOVERY_CODE)
        return self

    def stop_bluez(self):
        """bluetoothd goes away (org.bluez leaves the bus, no signal from it); the bus stays."""
        if self._mock_process is not None and self._mock_process.poll() is None:
            self._mock_process.terminate()
            self._mock_process.wait(timeout=5)

    def stop(self):
        """Ends the mock and the bus; safe to call twice or after a failed start."""
        self._watcher_stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
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

    # ---- the adapter ----
    @property
    def adapter_path(self):
        return "/org/bluez/" + self.adapter

    def adapter_calls(self, method):
        """The argument lists of the calls of 'method' on the adapter (StartDiscovery,
        StopDiscovery, SetDiscoveryFilter), in order; rejected calls included."""
        return [list(args) for _, args in
                self.mock_interface(self.adapter_path).GetMethodCalls(method)]

    def wait_for_adapter_call(self, method, count=1, timeout_s=10.0):
        _wait_until(lambda: len(self.adapter_calls(method)) >= count, timeout_s,
                    f"{method} call #{count} on {self.adapter_path}")

    def discovering(self, bus=None):
        adapter = (bus or self._bus).get_object(BLUEZ, self.adapter_path)
        return bool(adapter.Get(ADAPTER_IFACE, "Discovering",
                                dbus_interface=dbus.PROPERTIES_IFACE))

    # ---- objects ----
    def mock_interface(self, path, bus=None):
        return dbus.Interface((bus or self._bus).get_object(BLUEZ, path), MOCK_IFACE)

    def add_device(self, address, name="WT901BLE67", resolve_services_on_connect=True,
                   notify_uuid=WITMOTION_NOTIFY_UUID, write_uuid=WITMOTION_WRITE_UUID,
                   discoverable_only=False, appear_after_s=0.2):
        """A device with the WitMotion GATT layout.

        By default it is on the bus at once, without InterfacesAdded (AddObject emits none):
        clients find it through GetManagedObjects, as a device BlueZ already knows. With
        'discoverable_only' it appears, with InterfacesAdded, once discovery on the adapter has
        run for 'appear_after_s' (see the module comment); device.appeared() tells."""
        path = f"/org/bluez/{self.adapter}/dev_{address.replace(':', '_').upper()}"
        device = FakeDevice(self, self.adapter, address, path, name)
        layout = (resolve_services_on_connect, notify_uuid, write_uuid)
        if discoverable_only:
            device.appear_after_s = appear_after_s
            with self._pending_lock:
                self._pending.append((device, layout))
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch_discovery, daemon=True)
                self._watcher.start()
            return device
        path = str(dbus.Interface(self._bus.get_object(BLUEZ, "/"), BLUEZ_MOCK_IFACE)
                   .AddDevice(self.adapter, address, name))
        assert path == device.path, (path, device.path)
        self._add_gatt_objects(device, *layout[1:])
        device.set_connect_behaviour(resolve_services_on_connect)
        return device

    def _watch_discovery(self):
        """Puts pending devices on the bus once discovery has run long enough for them. Runs on
        its own thread with its own bus connection."""
        bus = dbus.bus.BusConnection(self.bus_address)
        discovering_since = None
        while not self._watcher_stop.wait(0.02):
            try:
                discovering = self.discovering(bus)
            except dbus.exceptions.DBusException:
                return  # the mock is gone
            now = time.monotonic()
            if not discovering:
                discovering_since = None
                continue
            if discovering_since is None:
                discovering_since = now
            with self._pending_lock:
                due = [(d, l) for d, l in self._pending
                       if now - discovering_since >= d.appear_after_s]
                self._pending = [(d, l) for d, l in self._pending if (d, l) not in due]
            for device, layout in due:
                self._reveal(device, layout, bus)

    def _reveal(self, device, layout, bus):
        """Adds the device and its GATT objects silently, makes Connect() work, and only then
        announces them all, so a client reacting to the signal finds a complete device."""
        resolve_services_on_connect, notify_uuid, write_uuid = layout
        device_props = {
            "Address": dbus.String(device.address),
            "AddressType": dbus.String("public"),
            "Name": dbus.String(device.name),
            "Alias": dbus.String(device.name),
            "Adapter": dbus.ObjectPath(self.adapter_path),
            "Paired": dbus.Boolean(False),
            "Trusted": dbus.Boolean(False),
            "Blocked": dbus.Boolean(False),
            "Connected": dbus.Boolean(False),
            "ServicesResolved": dbus.Boolean(False),
            "RSSI": dbus.Int16(-60),
            "UUIDs": dbus.Array([WITMOTION_SERVICE_UUID], signature="s"),
        }
        root = self.mock_interface("/", bus)
        root.AddObject(device.path, DEVICE_IFACE, device_props, [
            ("Disconnect", "", "",
             f"self.UpdateProperties('{DEVICE_IFACE}', {{'Connected': dbus.Boolean(False), "
             f"'ServicesResolved': dbus.Boolean(False)}})"),
        ])
        added = [(device.path, DEVICE_IFACE, device_props)]
        added += self._add_gatt_objects(device, notify_uuid, write_uuid, bus)
        device.set_connect_behaviour(resolve_services_on_connect, bus)
        device.appear_after_s = None  # before the signals: a client may connect at once
        for path, interface, props in added:
            root.EmitSignal(OBJECT_MANAGER_IFACE, "InterfacesAdded", "oa{sa{sv}}", [
                dbus.ObjectPath(path),
                dbus.Dictionary({interface: dbus.Dictionary(props, signature="sv")},
                                signature="sa{sv}"),
            ])

    def _add_gatt_objects(self, device, notify_uuid, write_uuid, bus=None):
        """The WitMotion service with its notify and write characteristics, without signals;
        returns (path, interface, properties) of each object."""
        root = self.mock_interface("/", bus)
        service_props = {
            "UUID": dbus.String(WITMOTION_SERVICE_UUID),
            "Primary": dbus.Boolean(True),
            "Device": dbus.ObjectPath(device.path),
        }
        notify_props = {
            "UUID": dbus.String(notify_uuid),
            "Service": dbus.ObjectPath(device.service_path),
            "Value": dbus.Array([], signature="y"),
            "Notifying": dbus.Boolean(False),
            "Flags": dbus.Array(["notify"], signature="s"),
        }
        write_props = {
            "UUID": dbus.String(write_uuid),
            "Service": dbus.ObjectPath(device.service_path),
            "Value": dbus.Array([], signature="y"),
            "Notifying": dbus.Boolean(False),
            "Flags": dbus.Array(["write-without-response", "write"], signature="s"),
        }
        root.AddObject(device.service_path, SERVICE_IFACE, service_props, [])
        root.AddObject(device.notify_path, CHAR_IFACE, notify_props, [
            ("StartNotify", "", "",
             f"self.UpdateProperties('{CHAR_IFACE}', {{'Notifying': dbus.Boolean(True)}})"),
            ("StopNotify", "", "",
             f"self.UpdateProperties('{CHAR_IFACE}', {{'Notifying': dbus.Boolean(False)}})"),
            ("ReadValue", "a{sv}", "ay", f"ret = self.props['{CHAR_IFACE}']['Value']"),
        ])
        root.AddObject(device.write_path, CHAR_IFACE, write_props, [
            ("WriteValue", "aya{sv}", "", ""),
        ])
        return [(device.service_path, SERVICE_IFACE, service_props),
                (device.notify_path, CHAR_IFACE, notify_props),
                (device.write_path, CHAR_IFACE, write_props)]
