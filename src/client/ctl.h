/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reaction-boxctl's shared state and helpers, between its files:
 *   reaction-boxctl.c  results and output, usage, main, command dispatch
 *   ctl-bluez.c        main-loop waits, D-Bus calls, BlueZ's objects,
 *                      finding and connecting to the box
 *   ctl-gatt.c         the box's characteristics, notifications
 *   ctl-ble.c          the BLE commands but pair
 *   ctl-agent.c        pair: the agent and its PIN sources
 *   ctl-local.c        the local commands: reaction-boxd's D-Bus API
 *
 * These names carry ctl_, not rb_: they are the tool's own, never linked
 * into anything else; rb_ctl_ stays the mark of the pure, tested parts in
 * ctl-util.h.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/ctl-util.h"
#include "core/codec.h"
#include "core/error.h"
#include "core/framing.h"

#define BLUEZ "org.bluez"
#define IFACE_ADAPTER "org.bluez.Adapter1"
#define IFACE_DEVICE "org.bluez.Device1"
#define IFACE_SERVICE "org.bluez.GattService1"
#define IFACE_CHAR "org.bluez.GattCharacteristic1"
#define IFACE_AGENT_MANAGER "org.bluez.AgentManager1"
#define IFACE_PROPS "org.freedesktop.DBus.Properties"
#define IFACE_OM "org.freedesktop.DBus.ObjectManager"
#define AGENT_PATH "/org/reactionbox/boxctl/agent"
#define PIN_POLL_MS 100
/* Discovery is restarted this often (see ctl_find_box()). */
#define DISCOVERY_ROUND_S 3

/* A device under the adapter, as BlueZ describes it. */
typedef struct {
	char *path;
	char *address;
	char *address_type;
	char *name;
	char *alias;
	gint16 rssi;
	bool has_rssi;
	bool paired;
	bool connected;
	bool resolved;
	bool printed; /* scan */
} Dev;

/* A decoded (or undecodable) message from the box. */
typedef struct {
	const char *source;
	bool ok;
	RbReply reply;
	char *error;
} Msg;

typedef struct {
	RbCtlArgs *args;
	GDBusConnection *bus;
	char *bluez_owner;
	char *adapter_path;
	char *adapter_name;
	GHashTable *devs; /* path -> Dev */
	Dev *dev; /* the box, in devs */
	char *dev_path;
	char *chr_protocol;
	char *chr_access;
	char *chr_pair;
	char *chr_app_state; /* NULL: an older box without it */
	guint16 mtu;
	guint sig_props;
	guint sig_added;
	guint sig_removed;
	bool discovering;
	bool interrupted;
	bool lost; /* the box disconnected while we needed it */
	RbReassembler reasm; /* protocol notifications */
	RbReassembler reasm_access; /* access notifications */
	RbReassembler reasm_app_state; /* app_state notifications */
	GQueue msgs; /* of Msg* */
	/* agent */
	guint agent_id;
	bool agent_registered;
	GDBusMethodInvocation *passkey_inv;
	guint pin_poll;
	bool snapshot_has_pin;
	uint32_t snapshot_pin;
	int tty_fd;
	GIOChannel *tty;
	guint tty_watch;
	GString *tty_line;
	/* local */
	char *box_owner; /* reaction-boxd's unique name */
	guint sig_box_props;
	guint sig_button;
	guint sig_box_owner;
	unsigned int seen; /* local watch: signals printed */
	/* the result */
	RbCtlExit exit_code;
	char *message;
	uint8_t att;
	char *dbus_error;
	char *dbus_message;
} Ctl;

typedef bool (*CondFn)(Ctl *c, gpointer data);

/* ---- reaction-boxctl.c: results and output ---- */

/* Records the first failure (later ones are dropped); returns false. */
G_GNUC_PRINTF(3, 4)
bool ctl_fail(Ctl *c, RbCtlExit code, const char *fmt, ...);
/* Records a failed D-Bus call doing @what; returns false. */
bool ctl_fail_gerror(Ctl *c, RbCtlOp op, const char *what, const GError *err);
void ctl_print_line(const char *line);
/* An informational event: text for people, JSON with "type":"event". */
G_GNUC_PRINTF(3, 4)
void ctl_event(Ctl *c, const char *kind, const char *fmt, ...);
void ctl_emit_msg(Ctl *c, const Msg *m);
/* A watch's wait ended (interrupted, or its deadline) after @seen @what
 * ("messages"): fine without --count, a failure with it. */
bool ctl_watch_cut_short(Ctl *c, unsigned int seen, const char *what);

/* ---- ctl-bluez.c ---- */

void ctl_dev_free(gpointer p);
/* Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured). */
bool ctl_bus_open(Ctl *c);
gint64 ctl_deadline_after(unsigned int seconds);
/* Iterates the main context until @cond holds (true), or the deadline
 * passes or a signal arrives (false). @deadline 0: no deadline. */
bool ctl_wait_until(Ctl *c, CondFn cond, gpointer data, gint64 deadline);
/* A method call, waited for (at most @timeout_s). The reply, which the
 * caller unrefs, or NULL with @error. */
GVariant *ctl_call_full(Ctl *c, const char *dest, const char *path,
			const char *iface, const char *method, GVariant *params,
			const GVariantType *rtype, unsigned int timeout_s,
			GError **error);
/* The same on BlueZ, with the step timeout. */
GVariant *ctl_call(Ctl *c, const char *path, const char *iface,
		   const char *method, GVariant *params,
		   const GVariantType *rtype, GError **error);
/* Whether object @path is below @parent. */
bool ctl_under(const char *path, const char *parent);
Dev *ctl_dev_add(Ctl *c, const char *path, GVariant *props);
GVariant *ctl_get_objects(Ctl *c, GError **error);
/* ctl_bus_open(), then subscribes to BlueZ's signals, picks the adapter and
 * loads its devices. */
bool ctl_setup(Ctl *c);
bool ctl_dev_matches(Ctl *c, const Dev *d);
const char *ctl_dev_label(const Dev *d);
bool ctl_start_discovery(Ctl *c);
void ctl_stop_discovery(Ctl *c);
/* Finds the box; with @discover, scans for it until the timeout. */
bool ctl_find_box(Ctl *c, bool discover);
/* Connects (if needed) and waits for ServicesResolved if @resolve. */
bool ctl_connect_box(Ctl *c, bool resolve);

/* ---- ctl-gatt.c ---- */

void ctl_msg_free(gpointer p);
/* Finds, connects and resolves the box and its characteristics. */
bool ctl_ready(Ctl *c);
/* "protocol", "access", "pair", "app_state", or @path. */
const char *ctl_char_name(Ctl *c, const char *path);
GBytes *ctl_read_char(Ctl *c, const char *chr);
bool ctl_start_notify(Ctl *c, const char *chr);
/* A characteristic's new value (a PropertiesChanged of BlueZ). */
void ctl_on_value(Ctl *c, const char *path, GVariant *value);
/* A CondFn: a message is queued, or the box disconnected. */
bool ctl_have_msg(Ctl *c, gpointer data);
/* Waits for the next message; NULL on timeout (recorded), interruption
 * or disconnection. The caller frees the Msg. */
Msg *ctl_next_msg(Ctl *c, gint64 deadline, const char *what);
/* Frames (unless @raw) and writes @msg to protocol. */
bool ctl_send_protocol(Ctl *c, const uint8_t *msg, gsize len, bool raw);

/* ---- ctl-ble.c ---- */

/* scan: prints @d if it is a box seen now (called on every update). */
void ctl_scan_check(Ctl *c, Dev *d);
bool ctl_cmd_scan(Ctl *c);
bool ctl_cmd_status(Ctl *c);
bool ctl_cmd_config_read(Ctl *c);
bool ctl_cmd_watch(Ctl *c);
bool ctl_cmd_config(Ctl *c, bool set);
bool ctl_cmd_write(Ctl *c);
bool ctl_cmd_trigger_pairing(Ctl *c);
bool ctl_cmd_remove(Ctl *c);
bool ctl_cmd_disconnect(Ctl *c);
bool ctl_cmd_send(Ctl *c);

/* ---- ctl-agent.c ---- */

bool ctl_cmd_pair(Ctl *c);
void ctl_agent_unregister(Ctl *c);

/* ---- ctl-local.c ---- */

/* Opens the bus and finds reaction-boxd on it. */
bool ctl_local_setup(Ctl *c);
bool ctl_cmd_local_status(Ctl *c);
bool ctl_cmd_local_watch(Ctl *c);
/* forget-owner, factory-reset, exit-pairing, enter-pairing */
bool ctl_cmd_local_admin(Ctl *c);
/* Unsubscribes from reaction-boxd's signals; frees what the above set. */
void ctl_local_teardown(Ctl *c);
