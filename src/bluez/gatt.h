/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RbGatt: the daemon's GATT application, a GDBusObjectManagerServer at
 * RB_GATT_ROOT_PATH holding one primary service (RB_UUID_SERVICE) at
 * RB_GATT_ROOT_PATH "/service0" and its characteristics at .../char0..4:
 *
 *   char0 protocol   RB_UUID_PROTOCOL   "read", "write", "notify"
 *   char1 ota_data   RB_UUID_OTA_DATA   "write"
 *   char2 access     RB_UUID_ACCESS     "read", "notify"
 *   char3 pair       RB_UUID_PAIR       "secure-read"
 *   char4 app_state  RB_UUID_APP_STATE  "read", "notify"
 *
 * The root is below /org/reactionbox, where the daemon's own D-Bus API
 * (src/api/) lives: the guard below refuses the standard interfaces on
 * the GATT objects only.
 *
 * Never "write-without-response": BlueZ would acknowledge such writes before
 * the application could refuse them.
 *
 * The whole tree is exported by rb_gatt_new(), before RegisterApplication.
 * Only calls from the current org.bluez owner are served; others get
 * org.bluez.Error.Rejected and a log line, and reach no callback. The
 * standard interfaces GDBus answers itself (GetManagedObjects on the root,
 * Properties Get/GetAll/Set, Introspect, Peer on every object) are refused
 * the same way by an RbDbusGuard, with org.freedesktop.DBus.Error.AccessDenied
 * (see bluez/dbus-util.h).
 *
 * Errors and the ATT codes BlueZ 5.66 turns them into
 * (src/gatt-database.c, dbus_error_to_att_ecode(): an org.bluez.Error.Failed
 * whose whole message parses with strtol(msg, &end, 0) as 0x80..0x9f is sent
 * as that ATT application error; another number gives 0x0E Unlikely; a
 * non-numeric message 0x80):
 *
 *   write verdict NOT_PAIRED         Failed "0x80"  -> ATT 0x80
 *   write verdict NOT_ENCRYPTED      Failed "0x81"  -> ATT 0x81
 *   write verdict NOT_AUTHENTICATED  Failed "0x82"  -> ATT 0x82
 *   write verdict NOT_AUTHORIZED     Failed "0x83"  -> ATT 0x83
 *     (the codes are rb_write_verdict_att_error(), src/core/types.h)
 *   RB_GATT_WRITE_INVALID_LENGTH     InvalidValueLength -> ATT 0x0D
 *   RB_GATT_WRITE_NOT_AUTHORIZED     NotAuthorized  -> ATT 0x08
 *   RB_GATT_WRITE_IN_PROGRESS        InProgress     -> ATT 0xFE (BlueZ's
 *                                                      "already in progress")
 *   RB_GATT_WRITE_UNLIKELY           org.reactionbox.Error.Unlikely (a name
 *                                    BlueZ does not know) -> ATT 0x0E
 *   a write with offset != 0         InvalidOffset  -> ATT 0x07
 *   a prepare-authorize write        NotSupported   -> ATT 0x06
 *   a write to a non-writable char   NotPermitted   -> ATT 0x03
 *   a read beyond the value          InvalidOffset  -> ATT 0x07
 *   a read the daemon refuses (NULL) NotPermitted   -> ATT 0x02
 *   options without "device"         InvalidArguments -> ATT 0x0E
 */
#pragma once

#include <gio/gio.h>

#include "bluez/bluez.h"
#include "core/types.h"

#define RB_GATT_ROOT_PATH "/org/reactionbox/gatt"
#define RB_GATT_SERVICE_PATH RB_GATT_ROOT_PATH "/service0"

typedef enum {
	RB_GATT_CHAR_PROTOCOL = 0,
	RB_GATT_CHAR_OTA_DATA = 1,
	RB_GATT_CHAR_ACCESS = 2,
	RB_GATT_CHAR_PAIR = 3,
	RB_GATT_CHAR_APP_STATE = 4,
} RbGattChar;
#define RB_GATT_CHAR_COUNT 5

/* "protocol", "ota_data", "access", "pair", "app_state". */
const char *rb_gatt_char_name(RbGattChar which);
/* RB_GATT_SERVICE_PATH "/char0" etc. */
const char *rb_gatt_char_path(RbGattChar which);
const char *rb_gatt_char_uuid(RbGattChar which);

typedef enum {
	RB_GATT_WRITE_OK = 0,
	RB_GATT_WRITE_REJECTED, /* policy: see .verdict (not RB_WRITE_OK) */
	RB_GATT_WRITE_INVALID_LENGTH,
	RB_GATT_WRITE_NOT_AUTHORIZED,
	RB_GATT_WRITE_IN_PROGRESS,
	RB_GATT_WRITE_UNLIKELY,
} RbGattWriteStatus;

typedef struct {
	RbGattWriteStatus status;
	RbWriteVerdict verdict; /* for RB_GATT_WRITE_REJECTED */
} RbGattWriteResult;

/*
 * The D-Bus error name and message answering @result; NULL name for
 * RB_GATT_WRITE_OK. A REJECTED result with verdict RB_WRITE_OK is
 * answered as NOT_AUTHORIZED (0x83): a refusal never turns into success.
 * @message_buf receives e.g. "0x81".
 */
const char *rb_gatt_write_error(RbGattWriteResult result, char message_buf[8]);

/* Every member may be NULL (a NULL read refuses, a NULL write is UNLIKELY). */
typedef struct {
	/*
	 * The whole value of @which for the peer @device_path (per-peer
	 * answers allowed). Return a new GBytes (transfer full), or NULL to
	 * refuse the read. The glue applies the read offset.
	 * For RB_GATT_CHAR_PAIR return the single byte 0x01.
	 */
	GBytes *(*read)(RbGattChar which, const char *device_path,
			void *user_data);
	/*
	 * A write of @value (borrowed) to @which (PROTOCOL or OTA_DATA) by
	 * @device_path. rb_gatt_mtu_for(@device_path) already holds the mtu
	 * of this request.
	 */
	RbGattWriteResult (*write)(RbGattChar which, const char *device_path,
				   GBytes *value, void *user_data);
	/*
	 * StartNotify / StopNotify on @which (PROTOCOL, ACCESS or
	 * APP_STATE). BlueZ 5.66
	 * calls StartNotify for every peer enabling notifications and
	 * StopNotify only when the last one disables them, so
	 * @subscribers counts StartNotify calls since the last StopNotify.
	 */
	void (*notify_changed)(RbGattChar which, guint subscribers,
			       void *user_data);
} RbGattCallbacks;

typedef struct _RbGatt RbGatt;

/*
 * Builds and exports the whole tree on @bluez's connection (@bluez is
 * borrowed and must outlive the RbGatt). @callbacks is copied.
 */
RbGatt *rb_gatt_new(RbBluez *bluez, const RbGattCallbacks *callbacks,
		    void *user_data);
/* Unexports the tree (does not call UnregisterApplication). */
void rb_gatt_free(RbGatt *gatt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbGatt, rb_gatt_free)

/* GattManager1.RegisterApplication(RB_GATT_ROOT_PATH, {}) on @adapter_path. */
void rb_gatt_register(RbGatt *gatt, const char *adapter_path,
		      GCancellable *cancellable, GAsyncReadyCallback callback,
		      gpointer user_data);
gboolean rb_gatt_register_finish(RbGatt *gatt, GAsyncResult *result,
				 GError **error);

/* GattManager1.UnregisterApplication on the adapter registered with;
 * RB_ERROR_NOT_FOUND at once if not registered. */
void rb_gatt_unregister(RbGatt *gatt, GCancellable *cancellable,
			GAsyncReadyCallback callback, gpointer user_data);
gboolean rb_gatt_unregister_finish(RbGatt *gatt, GAsyncResult *result,
				   GError **error);

/* The adapter the application is registered on, or NULL. */
const char *rb_gatt_registered_adapter(RbGatt *gatt);

/*
 * Sends @value (borrowed) as a notification on @which: PropertiesChanged on
 * Value. In BlueZ 5.66 it goes to every subscribed peer. FALSE (and nothing
 * sent) if @which has no "notify" flag.
 */
gboolean rb_gatt_notify(RbGatt *gatt, RbGattChar which, GBytes *value);

/* StartNotify count for @which (see notify_changed). */
guint rb_gatt_subscribers(RbGatt *gatt, RbGattChar which);

/* The last "mtu" option seen from @device_path in a read or write; 0 if
 * none. ATT payloads per notification are mtu - 3. */
guint16 rb_gatt_mtu_for(RbGatt *gatt, const char *device_path);
/* The smallest mtu of at least 23 seen from the devices for which @counts
 * answers true (a lookup in the device table: called for the devices with
 * an mtu only, not for every device BlueZ knows); 0 if none. */
guint16 rb_gatt_smallest_mtu(RbGatt *gatt,
			     bool (*counts)(const char *device_path,
					    void *data),
			     void *data);
/* Forgets @device_path's mtu (call when it disconnects). */
/* During a write callback: whether the write came over an LE bearer
 * (BlueZ's "link" option; absent counts as LE, as before BlueZ knew
 * BR/EDR GATT). */
bool rb_gatt_write_link_is_le(RbGatt *gatt, const char *device_path);
void rb_gatt_forget_device(RbGatt *gatt, const char *device_path);

/* Drops registration, subscribers and mtus. Done automatically when
 * org.bluez vanishes; the owner registers again when it reappears. */
void rb_gatt_reset(RbGatt *gatt);
