/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A listen-mostly client of the kernel's Bluetooth management (mgmt) API on
 * the HCI_CHANNEL_CONTROL socket: pairing outcomes (New Long Term Key with
 * its key type, Authentication Failed), connections, IRKs, settings; plus
 * the settings the daemon sets itself: Secure Connections and BR/EDR
 * (BlueZ 5.66 has no knob for them) and bondable (at once, not through
 * bluetoothd's Adapter1.Pairable).
 *
 * Wire format and values mirror the kernel's include/net/bluetooth/mgmt.h
 * (and BlueZ's doc/mgmt-api.txt). Everything is little-endian.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

/* mgmt.h: struct mgmt_hdr is opcode, index, len: 3 x le16. */
#define RB_MGMT_HDR_SIZE 6
#define RB_MGMT_INDEX_NONE 0xffff

/* mgmt.h: event codes */
#define RB_MGMT_EV_CMD_COMPLETE 0x0001
#define RB_MGMT_EV_CMD_STATUS 0x0002
#define RB_MGMT_EV_INDEX_ADDED 0x0004
#define RB_MGMT_EV_INDEX_REMOVED 0x0005
#define RB_MGMT_EV_NEW_SETTINGS 0x0006
#define RB_MGMT_EV_NEW_LONG_TERM_KEY 0x000A
#define RB_MGMT_EV_DEVICE_CONNECTED 0x000B
#define RB_MGMT_EV_DEVICE_DISCONNECTED 0x000C
#define RB_MGMT_EV_AUTH_FAILED 0x0011
#define RB_MGMT_EV_USER_CONFIRM_REQUEST 0x000F
#define RB_MGMT_EV_USER_PASSKEY_REQUEST 0x0010
#define RB_MGMT_EV_PASSKEY_NOTIFY 0x0017
#define RB_MGMT_EV_NEW_IRK 0x0018

/* mgmt.h: command opcodes */
#define RB_MGMT_OP_READ_COMMANDS 0x0002
#define RB_MGMT_OP_SET_BONDABLE 0x0009
#define RB_MGMT_OP_GET_CONNECTIONS 0x0015
#define RB_MGMT_OP_SET_BREDR 0x002A
#define RB_MGMT_OP_SET_SECURE_CONN 0x002D

/*
 * Payload sizes (after the 6-byte header) of the fixed part of each event;
 * the kernel may append fields in later versions, so longer is accepted.
 * mgmt_addr_info is bdaddr[6] + type u8 = 7.
 */
#define RB_MGMT_ADDR_INFO_SIZE 7
#define RB_MGMT_CMD_COMPLETE_SIZE 3 /* opcode le16, status u8, data[] */
#define RB_MGMT_CMD_STATUS_SIZE 3 /* opcode le16, status u8 */
#define RB_MGMT_SETTINGS_SIZE 4 /* New Settings; settings commands' answer */
/* store_hint u8 + mgmt_ltk_info: addr 7, type, central, enc_size u8,
 * ediv le16, rand le64, val[16] = 36 */
#define RB_MGMT_NEW_LTK_SIZE 37
/* addr 7, flags le32, eir_len le16, eir[eir_len] */
#define RB_MGMT_CONNECTED_SIZE 13
#define RB_MGMT_DISCONNECTED_SIZE 8 /* addr 7, reason u8 */
#define RB_MGMT_AUTH_FAILED_SIZE 8 /* addr 7, status u8 */
/* store_hint u8, rpa bdaddr[6], mgmt_irk_info: addr 7, val[16] */
#define RB_MGMT_NEW_IRK_SIZE 30
/* addr 7, confirm_hint u8, value le32 */
#define RB_MGMT_USER_CONFIRM_SIZE 12
#define RB_MGMT_USER_PASSKEY_SIZE 7 /* addr 7 */
/* addr 7, passkey le32, entered u8 */
#define RB_MGMT_PASSKEY_NOTIFY_SIZE 12

/* mgmt.h: address types in mgmt_addr_info */
#define RB_MGMT_ADDR_BREDR 0x00
#define RB_MGMT_ADDR_LE_PUBLIC 0x01
#define RB_MGMT_ADDR_LE_RANDOM 0x02

/* mgmt.h: bits of the current settings (le32) */
#define RB_MGMT_SETTING_POWERED 0x00000001
#define RB_MGMT_SETTING_BONDABLE 0x00000010

/* mgmt.h: status codes */
#define RB_MGMT_STATUS_SUCCESS 0x00
#define RB_MGMT_STATUS_REJECTED 0x0b
#define RB_MGMT_STATUS_NOT_SUPPORTED 0x0c
#define RB_MGMT_STATUS_INVALID_PARAMS 0x0d
#define RB_MGMT_STATUS_PERMISSION_DENIED 0x14

/* Secure Connections modes of MGMT_OP_SET_SECURE_CONN. */
typedef enum {
	RB_MGMT_SC_OFF = 0,
	RB_MGMT_SC_ON = 1,
	RB_MGMT_SC_ONLY = 2,
} RbMgmtScMode;

typedef enum {
	RB_MGMT_EVENT_UNKNOWN = 0, /* a valid event this code ignores */
	RB_MGMT_EVENT_CMD_COMPLETE,
	RB_MGMT_EVENT_CMD_STATUS,
	RB_MGMT_EVENT_INDEX_ADDED,
	RB_MGMT_EVENT_INDEX_REMOVED,
	RB_MGMT_EVENT_NEW_SETTINGS,
	RB_MGMT_EVENT_NEW_LTK,
	RB_MGMT_EVENT_CONNECTED,
	RB_MGMT_EVENT_DISCONNECTED,
	RB_MGMT_EVENT_AUTH_FAILED,
	RB_MGMT_EVENT_NEW_IRK,
	RB_MGMT_EVENT_USER_CONFIRM,
	RB_MGMT_EVENT_USER_PASSKEY,
	RB_MGMT_EVENT_PASSKEY_NOTIFY,
} RbMgmtEventType;

/* A peer address: "AA:BB:CC:DD:EE:FF" and the mgmt type (RB_MGMT_ADDR_*). */
typedef struct {
	char addr[RB_ADDR_STRLEN];
	uint8_t type;
} RbMgmtAddr;

/*
 * One parsed event. Key material (LTK and IRK values, EDIV, Rand) is never
 * copied out: the daemon needs facts about keys, not keys.
 */
typedef struct {
	RbMgmtEventType type;
	uint16_t code; /* the raw event code */
	uint16_t index; /* controller index, RB_MGMT_INDEX_NONE if none */
	union {
		struct {
			uint16_t opcode;
			uint8_t status;
			/* points into the parsed buffer; NULL if empty */
			const uint8_t *data;
			size_t data_len;
		} cmd; /* CMD_COMPLETE (data may be set), CMD_STATUS */
		uint32_t settings; /* NEW_SETTINGS: RB_MGMT_SETTING_* bits */
		struct {
			RbMgmtAddr peer;
			uint8_t raw_type; /* as on the wire */
			RbKeyType key_type; /* RB_KEY_UNKNOWN if > 4 */
			bool store_hint;
			bool central;
			uint8_t enc_size;
		} ltk;
		struct {
			RbMgmtAddr peer;
			uint32_t flags;
		} connected;
		struct {
			RbMgmtAddr peer;
			uint8_t reason;
		} disconnected;
		struct {
			RbMgmtAddr peer;
			uint8_t status; /* mgmt status, see rb_mgmt_status_str */
		} auth_failed;
		struct {
			RbMgmtAddr peer;
			uint32_t passkey; /* PASSKEY_NOTIFY, USER_CONFIRM */
			uint8_t entered; /* PASSKEY_NOTIFY: digits typed */
			bool confirm_hint; /* USER_CONFIRM: Just Works */
		} pairing; /* USER_CONFIRM, USER_PASSKEY, PASSKEY_NOTIFY */
		struct {
			char rpa[RB_ADDR_STRLEN]; /* 00:00:.. if none */
			RbMgmtAddr identity;
			bool store_hint;
		} irk;
	};
} RbMgmtEvent;

/*
 * Parses one mgmt datagram of @len bytes. Fails with RB_ERROR_INVALID if the
 * header is short, the header length does not match @len, or the payload is
 * shorter than the event needs or has an invalid field; @out is then
 * unspecified. A well-formed event of a code not handled here gives
 * RB_MGMT_EVENT_UNKNOWN. Never reads outside @buf.
 */
bool rb_mgmt_parse_event(const uint8_t *buf, size_t len, RbMgmtEvent *out,
			 GError **error);

/* The mgmt status code's name, e.g. "Not Supported"; never NULL. */
const char *rb_mgmt_status_str(uint8_t status);

/* Maps a mgmt LE address type to RbAddrType; false for BR/EDR or unknown. */
bool rb_mgmt_addr_type_to_rb(uint8_t mgmt_type, RbAddrType *out);

typedef struct RbMgmt RbMgmt;

/*
 * Event callbacks; any may be NULL. Strings are valid during the call only.
 * @addr_type is the mgmt type (RB_MGMT_ADDR_*).
 */
typedef struct {
	void (*new_ltk)(uint16_t index, const char *addr, uint8_t addr_type,
			RbKeyType key_type, bool store_hint, bool central,
			void *user_data);
	void (*auth_failed)(uint16_t index, const char *addr, uint8_t addr_type,
			    uint8_t status, void *user_data);
	void (*connected)(uint16_t index, const char *addr, uint8_t addr_type,
			  void *user_data);
	void (*disconnected)(uint16_t index, const char *addr,
			     uint8_t addr_type, uint8_t reason,
			     void *user_data);
	/* @rpa is the resolvable address the peer used, @identity its
	 * identity address; map one to the other. */
	void (*new_irk)(uint16_t index, const char *rpa, const char *identity,
			uint8_t identity_type, bool store_hint,
			void *user_data);
	/*
	 * The kernel asks for, or shows, a pairing's secret: whichever
	 * BlueZ agent answers it, every trusted mgmt socket sees these.
	 * @kind is RB_MGMT_EVENT_PASSKEY_NOTIFY (@passkey, @entered),
	 * RB_MGMT_EVENT_USER_CONFIRM (@passkey is the value to compare) or
	 * RB_MGMT_EVENT_USER_PASSKEY.
	 */
	void (*pairing_request)(uint16_t index, RbMgmtEventType kind,
				const char *addr, uint8_t addr_type,
				uint32_t passkey, uint8_t entered,
				void *user_data);
	/* The controller's current settings (RB_MGMT_SETTING_* bits)
	 * changed. The kernel does not send this to the socket whose
	 * command made the change: that command's answer says it. */
	void (*new_settings)(uint16_t index, uint32_t settings,
			     void *user_data);
	void (*index_added)(uint16_t index, void *user_data);
	void (*index_removed)(uint16_t index, void *user_data);
	/* The socket failed (hang-up or read error); no more events come. */
	void (*socket_error)(const GError *error, void *user_data);
} RbMgmtCallbacks;

/*
 * Opens the mgmt control socket and watches it on the thread-default main
 * context. Checks, with a Read Management Supported Commands round trip of
 * at most a second at start-up, that the socket is trusted
 * (CAP_NET_ADMIN): an untrusted socket binds fine but never receives the
 * pairing events. Errors: RB_ERROR_NOT_FOUND (no Bluetooth in the kernel),
 * RB_ERROR_PERMISSION (no CAP_NET_ADMIN), RB_ERROR_IO.
 * @cb is copied. Free with rb_mgmt_free().
 */
RbMgmt *rb_mgmt_new(const RbMgmtCallbacks *cb, void *user_data, GError **error);

/*
 * Wraps an already open mgmt datagram socket @fd (taking ownership), with no
 * trust check: for tests, which hand in one end of a socketpair.
 */
RbMgmt *rb_mgmt_new_for_fd(int fd, const RbMgmtCallbacks *cb, void *user_data);

/* Closes the socket. Pending command callbacks are not called. NULL ok. */
void rb_mgmt_free(RbMgmt *mgmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbMgmt, rb_mgmt_free)

/*
 * Called once with the command's mgmt status (RB_MGMT_STATUS_SUCCESS or an
 * error, see rb_mgmt_status_str) from the main loop when the kernel answers.
 */
typedef void (*RbMgmtCommandFunc)(uint16_t index, uint8_t status,
				  void *user_data);

/*
 * Sends Set Secure Connections (0x002D) for controller @index. The answer
 * comes to @func (may be NULL). RB_MGMT_SC_ONLY needs a controller that
 * supports Secure Connections (else "Not Supported"). False with @error if
 * the command could not be sent; @func is then never called.
 */
bool rb_mgmt_set_secure_conn(RbMgmt *mgmt, uint16_t index, RbMgmtScMode mode,
			     RbMgmtCommandFunc func, void *user_data,
			     GError **error);

/* Sends Set BR/EDR (0x002A); as rb_mgmt_set_secure_conn(). The kernel
 * refuses to turn BR/EDR off while the controller is powered. */
bool rb_mgmt_set_bredr(RbMgmt *mgmt, uint16_t index, bool on,
		       RbMgmtCommandFunc func, void *user_data, GError **error);

/*
 * The answer to Get Connections: @n peers (NULL if the command failed,
 * with @status saying why). Valid during the call only.
 */
typedef void (*RbMgmtConnectionsFunc)(uint16_t index, uint8_t status,
				      const RbMgmtAddr *peers, size_t n,
				      void *user_data);

/* Sends Get Connections (0x0015) for controller @index. */
bool rb_mgmt_get_connections(RbMgmt *mgmt, uint16_t index,
			     RbMgmtConnectionsFunc func, void *user_data,
			     GError **error);

/* Parses the Command Complete data of Get Connections into @out (at most
 * @max); false if malformed. Exposed for the tests. */
bool rb_mgmt_parse_connections(const uint8_t *data, size_t len, RbMgmtAddr *out,
			       size_t max, size_t *n, GError **error);

/*
 * The answer to a command that changes a setting: its mgmt status and, on
 * success, the controller's current settings after it (RB_MGMT_SETTING_*
 * bits; 0 on failure). An answer of success without the settings is
 * reported as RB_MGMT_STATUS_INVALID_PARAMS.
 */
typedef void (*RbMgmtSettingsFunc)(uint16_t index, uint8_t status,
				   uint32_t settings, void *user_data);

/*
 * Sends Set Bondable (0x0009): the kernel's bondable flag, which
 * bluetoothd shows as Adapter1.Pairable and learns from the New Settings
 * event the kernel sends every other control socket. The kernel sets it
 * at once (no HCI command), powered or not. As rb_mgmt_set_secure_conn(),
 * with the settings after it.
 */
bool rb_mgmt_set_bondable(RbMgmt *mgmt, uint16_t index, bool bondable,
			  RbMgmtSettingsFunc func, void *user_data,
			  GError **error);
