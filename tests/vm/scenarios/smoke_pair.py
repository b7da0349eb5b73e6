#!/usr/bin/python3
"""VM smoke test of the Bluetooth stack (guest only; run by smoke.sh).

The box adapter becomes discoverable with a DisplayOnly default agent; each
phone adapter scans, finds the box and pairs with Device1.Pair() through its
own KeyboardOnly agent (on its own D-Bus connection), typing the passkey the
box agent was shown. Exits 0 when every pairing completed and both sides
report Paired and Bonded.

Usage: smoke_pair.py BOX_HCI PHONE_HCI [PHONE_HCI...]
"""

import os
import sys
import time

try:
    import dbus
    import dbus.service
    from dbus.mainloop.glib import DBusGMainLoop
except ImportError as e:
    raise SystemExit(f"FAIL: {e}: install the Debian package 'python3-dbus'")
try:
    from gi.repository import GLib
except ImportError as e:
    raise SystemExit(f"FAIL: {e}: install the Debian package 'python3-gi'")

BLUEZ = "org.bluez"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
AGENT_MGR = "org.bluez.AgentManager1"
AGENT = "org.bluez.Agent1"
PROPS = "org.freedesktop.DBus.Properties"
ADV = "org.bluez.LEAdvertisement1"
ADV_MGR = "org.bluez.LEAdvertisingManager1"
SMOKE_UUID = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"

def uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def log(msg):
    print(f"[{uptime():.2f}] {msg}", flush=True)


class Rejected(dbus.DBusException):
    _dbus_error_name = "org.bluez.Error.Rejected"


class BoxAgent(dbus.service.Object):
    """DisplayOnly: shows the passkey, refuses everything else."""

    def __init__(self, conn, path, box_path):
        super().__init__(conn, path)
        self.box_path = box_path
        self.passkeys = {}  # device path -> passkey
        self.waiters = {}  # device path -> callables(passkey) waiting for it

    @dbus.service.method(AGENT, in_signature="ouq", out_signature="")
    def DisplayPasskey(self, device, passkey, entered):
        if not device.startswith(self.box_path + "/"):
            log(f"box agent: passkey for a foreign device {device}, ignored")
            return
        log(f"box agent: DisplayPasskey {device} {passkey:06d} entered={entered}")
        self.passkeys[str(device)] = int(passkey)
        waiters = self.waiters.pop(str(device), [])
        for w in waiters:
            w(int(passkey))

    @dbus.service.method(AGENT, in_signature="", out_signature="")
    def Release(self):
        log("box agent: Release")

    @dbus.service.method(AGENT, in_signature="", out_signature="")
    def Cancel(self):
        log("box agent: Cancel")

    @dbus.service.method(AGENT, in_signature="o", out_signature="s")
    def RequestPinCode(self, device):
        raise Rejected("no PIN codes")

    @dbus.service.method(AGENT, in_signature="o", out_signature="u")
    def RequestPasskey(self, device):
        raise Rejected("DisplayOnly")

    @dbus.service.method(AGENT, in_signature="ou", out_signature="")
    def RequestConfirmation(self, device, passkey):
        raise Rejected("DisplayOnly")

    @dbus.service.method(AGENT, in_signature="o", out_signature="")
    def RequestAuthorization(self, device):
        raise Rejected("no just-works pairing")

    @dbus.service.method(AGENT, in_signature="os", out_signature="")
    def AuthorizeService(self, device, uuid):
        return


class Advertisement(dbus.service.Object):
    """A connectable, discoverable LE advertisement of the box."""

    def __init__(self, conn, path, name):
        super().__init__(conn, path)
        self.props = {
            "Type": dbus.String("peripheral"),
            "LocalName": dbus.String(name),
            "ServiceUUIDs": dbus.Array([SMOKE_UUID], signature="s"),
            "Discoverable": dbus.Boolean(True),
        }

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        if iface != ADV:
            raise dbus.exceptions.DBusException(
                "org.freedesktop.DBus.Error.InvalidArgs", f"no interface {iface}")
        return self.props

    @dbus.service.method(ADV, in_signature="", out_signature="")
    def Release(self):
        log("advertisement released")


class PhoneAgent(dbus.service.Object):
    """KeyboardOnly: types the passkey the box agent displayed."""

    def __init__(self, conn, path, name, box_agent, box_side):
        super().__init__(conn, path)
        self.name = name
        self.box_agent = box_agent
        self.box_side = box_side  # this phone's device path on the box
        self.asked = 0

    @dbus.service.method(AGENT, in_signature="o", out_signature="u",
                         async_callbacks=("ok", "err"))
    def RequestPasskey(self, device, ok, err):
        self.asked += 1
        log(f"{self.name} agent: RequestPasskey {device}")

        def answer(passkey):
            log(f"{self.name} agent: typing {passkey:06d}")
            ok(dbus.UInt32(passkey))

        # The box may show the passkey before or after this request.
        shown = self.box_agent.passkeys.get(self.box_side)
        if shown is not None:
            answer(shown)
        else:
            self.box_agent.waiters.setdefault(self.box_side, []).append(answer)

    @dbus.service.method(AGENT, in_signature="", out_signature="")
    def Release(self):
        log(f"{self.name} agent: Release")

    @dbus.service.method(AGENT, in_signature="", out_signature="")
    def Cancel(self):
        log(f"{self.name} agent: Cancel")

    @dbus.service.method(AGENT, in_signature="ou", out_signature="")
    def RequestConfirmation(self, device, passkey):
        raise Rejected("KeyboardOnly")

    @dbus.service.method(AGENT, in_signature="o", out_signature="")
    def RequestAuthorization(self, device):
        raise Rejected("KeyboardOnly")

    @dbus.service.method(AGENT, in_signature="os", out_signature="")
    def AuthorizeService(self, device, uuid):
        return


def get_prop(conn, path, iface, name):
    obj = conn.get_object(BLUEZ, path)
    return obj.Get(iface, name, dbus_interface=PROPS)


def set_prop(conn, path, iface, name, value):
    obj = conn.get_object(BLUEZ, path)
    obj.Set(iface, name, value, dbus_interface=PROPS)


def run_loop_until(loop, predicate, timeout_s, what):
    """Iterate the main loop until predicate() is true."""
    deadline = time.monotonic() + timeout_s
    ctx = loop.get_context()
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"FAIL: timed out after {timeout_s}s waiting for {what}")
        # Dispatch agent calls and replies for up to 0.1 s, then test again.
        until = time.monotonic() + 0.1
        while time.monotonic() < until:
            if not ctx.iteration(False):
                time.sleep(0.01)


def scan_until(loop, conn, adapter_path, predicate, timeout_s, what, kick):
    """Discover until predicate() holds.

    btvirt's controllers send advertising reports only at the moment scanning
    or advertising gets enabled, not periodically, and the kernel drops the
    reports that arrive before its discovery state is "finding". So once the
    phone is discovering, kick() restarts the box's advertising; if that is
    missed too, discovery restarts every 3 s.
    """
    adapter = dbus.Interface(conn.get_object(BLUEZ, adapter_path), ADAPTER)
    deadline = time.monotonic() + timeout_s
    while True:
        adapter.StartDiscovery()
        try:
            run_loop_until(loop, lambda: bool(get_prop(conn, adapter_path, ADAPTER, "Discovering")),
                           5, "discovery to start")
            kick()
            run_loop_until(loop, predicate, min(3, max(0.1, deadline - time.monotonic())), what)
            return
        except SystemExit:
            if time.monotonic() >= deadline:
                raise SystemExit(f"FAIL: timed out after {timeout_s}s waiting for {what}")
            log("not found yet, restarting discovery")
        finally:
            adapter.StopDiscovery()


def dev_path(adapter_path, addr):
    return f"{adapter_path}/dev_{addr.replace(':', '_')}"


def main():
    log("python ready")
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    box_hci, phone_hcis = sys.argv[1], sys.argv[2:]
    DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()

    box_conn = dbus.SystemBus(private=True)
    box_path = f"/org/bluez/{box_hci}"
    box_addr = str(get_prop(box_conn, box_path, ADAPTER, "Address"))
    log(f"box {box_hci} {box_addr}")

    box_name = "Reaction_" + box_addr.replace(":", "")[-6:]
    set_prop(box_conn, box_path, ADAPTER, "Powered", dbus.Boolean(True))
    set_prop(box_conn, box_path, ADAPTER, "Alias", dbus.String(box_name))
    set_prop(box_conn, box_path, ADAPTER, "Pairable", dbus.Boolean(True))
    set_prop(box_conn, box_path, ADAPTER, "Discoverable", dbus.Boolean(True))

    # Discoverable alone does not make an LE-only adapter advertise: the
    # kernel advertises for registered advertisements.
    Advertisement(box_conn, "/rbvm/adv0", box_name)
    adv_mgr = dbus.Interface(box_conn.get_object(BLUEZ, box_path), ADV_MGR)

    def advertise(restart=False):
        if restart:
            adv_mgr.UnregisterAdvertisement("/rbvm/adv0")
        registered = {}
        adv_mgr.RegisterAdvertisement(
            "/rbvm/adv0", dbus.Dictionary({}, signature="sv"),
            reply_handler=lambda: registered.setdefault("ok", True),
            error_handler=lambda e: registered.setdefault("err", e))
        run_loop_until(loop, lambda: registered, 10, "RegisterAdvertisement")
        if "err" in registered:
            raise SystemExit(f"FAIL: RegisterAdvertisement: {registered['err']}")

    advertise()
    log(f"box advertising as {box_name}")

    box_agent = BoxAgent(box_conn, "/rbvm/box_agent", box_path)
    mgr = dbus.Interface(box_conn.get_object(BLUEZ, "/org/bluez"), AGENT_MGR)
    mgr.RegisterAgent("/rbvm/box_agent", "DisplayOnly")
    mgr.RequestDefaultAgent("/rbvm/box_agent")
    log("box agent registered (DisplayOnly, default)")

    for idx, phone_hci in enumerate(phone_hcis):
        name = f"phone{idx + 1}"
        conn = dbus.SystemBus(private=True)
        phone_path = f"/org/bluez/{phone_hci}"
        phone_addr = str(get_prop(conn, phone_path, ADAPTER, "Address"))
        log(f"{name} {phone_hci} {phone_addr}")
        set_prop(conn, phone_path, ADAPTER, "Powered", dbus.Boolean(True))

        agent_path = f"/rbvm/{name}_agent"
        box_side = dev_path(box_path, phone_addr)
        agent = PhoneAgent(conn, agent_path, name, box_agent, box_side)
        dbus.Interface(conn.get_object(BLUEZ, "/org/bluez"), AGENT_MGR).RegisterAgent(
            agent_path, "KeyboardOnly")

        adapter = dbus.Interface(conn.get_object(BLUEZ, phone_path), ADAPTER)
        adapter.SetDiscoveryFilter({"Transport": dbus.String("le")})
        log(f"{name}: scanning")
        target = dev_path(phone_path, box_addr)

        def box_named():
            try:
                return str(get_prop(conn, target, DEVICE, "Name")) == box_name
            except dbus.DBusException:
                return False
        scan_until(loop, conn, phone_path, box_named, 30,
                   f"{name} to see the box {box_addr} ({box_name})",
                   lambda: advertise(restart=True))
        log(f"{name}: found the box {box_addr} ({box_name})")

        result = {}
        dev = conn.get_object(BLUEZ, target)
        dev.Pair(dbus_interface=DEVICE, timeout=60,
                 reply_handler=lambda: result.setdefault("ok", True),
                 error_handler=lambda e: result.setdefault("err", e))
        log(f"{name}: Pair() called")
        run_loop_until(loop, lambda: result, 60, f"{name} Pair() to return")
        if "err" in result:
            raise SystemExit(f"FAIL: {name} Pair() failed: {result['err']}")
        if agent.asked != 1:
            raise SystemExit(f"FAIL: {name} agent was asked {agent.asked} times for a passkey")
        log(f"{name}: Pair() returned")

        def both_bonded():
            try:
                return all(bool(get_prop(c, p, DEVICE, k))
                           for c, p in ((conn, target), (box_conn, box_side))
                           for k in ("Paired", "Bonded"))
            except dbus.DBusException:
                return False
        run_loop_until(loop, both_bonded, 15, f"{name} and box to report Paired and Bonded")
        if box_side not in box_agent.passkeys:
            raise SystemExit(f"FAIL: the box agent never displayed a passkey for {box_side}")
        log(f"{name}: paired and bonded on both sides (passkey {box_agent.passkeys[box_side]:06d})")
        # Leave the box free for the next phone (RB_SMOKE_STAY_CONNECTED=1:
        # keep every phone connected while the next one pairs).
        if os.environ.get("RB_SMOKE_STAY_CONNECTED") != "1":
            dev.Disconnect(dbus_interface=DEVICE)
            log(f"{name}: disconnected")

    log("PASS")


if __name__ == "__main__":
    main()
