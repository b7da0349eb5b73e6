/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reaction-boxctl's pure parts: command-line parsing, the mapping of BlueZ
 * and reaction-boxd errors to exit codes, PIN and hex parsing, and the
 * text and JSON output of decoded messages and of reaction-boxd's D-Bus
 * properties and signals (as GVariants). No D-Bus, no I/O.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/codec.h"
#include "core/config.h"

/* Exit codes, documented in reaction-boxctl(1) and --help. */
typedef enum {
	RB_CTL_EXIT_OK = 0,
	RB_CTL_EXIT_USAGE = 1,
	RB_CTL_EXIT_NO_BOX = 2, /* no box found, or not connected */
	RB_CTL_EXIT_TIMEOUT = 3,
	RB_CTL_EXIT_NOT_PAIRED = 4, /* ATT 0x80 */
	RB_CTL_EXIT_NOT_ENCRYPTED = 5, /* ATT 0x81 */
	RB_CTL_EXIT_NOT_AUTHENTICATED = 6, /* ATT 0x82 */
	RB_CTL_EXIT_NOT_AUTHORIZED = 7, /* ATT 0x83 */
	RB_CTL_EXIT_PAIRING = 8, /* pairing failed or refused */
	RB_CTL_EXIT_BOX_ERROR = 9, /* the box answered an ErrorMessage */
	RB_CTL_EXIT_DBUS = 10, /* any other D-Bus or BlueZ error */
	RB_CTL_EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM */
} RbCtlExit;

/* A short name for @code ("NOT_AUTHORIZED", "TIMEOUT", ...). */
const char *rb_ctl_exit_name(RbCtlExit code);

typedef enum {
	RB_CTL_CMD_NONE = 0,
	RB_CTL_CMD_SCAN,
	RB_CTL_CMD_PAIR,
	RB_CTL_CMD_STATUS,
	RB_CTL_CMD_WATCH,
	RB_CTL_CMD_CONFIG_GET,
	RB_CTL_CMD_CONFIG_SET,
	RB_CTL_CMD_CONFIG_READ,
	RB_CTL_CMD_WRITE,
	RB_CTL_CMD_TRIGGER_PAIRING,
	RB_CTL_CMD_REMOVE,
	RB_CTL_CMD_DISCONNECT,
	RB_CTL_CMD_SEND,
	/* local: reaction-boxd's D-Bus API on this machine, no Bluetooth */
	RB_CTL_CMD_LOCAL_STATUS,
	RB_CTL_CMD_LOCAL_WATCH,
	RB_CTL_CMD_LOCAL_FORGET_OWNER,
	RB_CTL_CMD_LOCAL_FACTORY_RESET,
	RB_CTL_CMD_LOCAL_EXIT_PAIRING,
	RB_CTL_CMD_LOCAL_ENTER_PAIRING,
} RbCtlCommand;

/* The command as typed: "config get", "local status". Static. */
const char *rb_ctl_command_name(RbCtlCommand cmd);

/* Whether @cmd is a "local" command (the daemon's D-Bus API). */
bool rb_ctl_command_is_local(RbCtlCommand cmd);

/* The command line. Strings point into argv (not owned) except @data. */
typedef struct {
	RbCtlCommand cmd;
	bool help;
	bool version;
	/* global */
	const char *adapter; /* "hci1"; NULL: the first adapter */
	const char *box; /* address or name; NULL: first Reaction_* */
	bool json;
	unsigned int timeout_s; /* per step; default 20 */
	bool timeout_given;
	/* scan */
	unsigned int duration_s; /* default 10 */
	/* pair */
	bool have_pin;
	uint32_t pin;
	const char *pin_file;
	/* watch, local watch */
	unsigned int count; /* 0: unlimited */
	/* local factory-reset */
	bool yes; /* no confirmation asked */
	/* config set */
	RbConfigUpdate update;
	bool force; /* send out-of-range values anyway */
	/* write */
	GBytes *data; /* owned; --hex or --file contents */
	const char *file;
	bool raw;
	bool no_wait;
	/* send */
	RbAppMessage app; /* TYPE and BODY, valid */
	bool text; /* BODY is UTF-8 text, not hex */
} RbCtlArgs;

#define RB_CTL_DEFAULT_TIMEOUT_S 20
#define RB_CTL_DEFAULT_SCAN_S 10

/* Frees what rb_ctl_args_parse() allocated in @args. */
void rb_ctl_args_clear(RbCtlArgs *args);

/*
 * Parses argv[1..argc-1]. Options may come before or after the command
 * words. On error returns false with @error set (RB_ERROR_INVALID or
 * RB_ERROR_RANGE) naming the offending argument. --file is only recorded
 * here (args->file); the caller reads it. --help and --version succeed
 * without a command.
 */
bool rb_ctl_args_parse(RbCtlArgs *args, int argc, char **argv, GError **error);

/*
 * Parses one "key=value" config assignment into @update. The key is a
 * DeviceConfig protobuf field name; the value a decimal uint32. Unless
 * @force, the value must be in the setting's documented range.
 */
bool rb_ctl_parse_assignment(const char *arg, bool force,
			     RbConfigUpdate *update, GError **error);

/* Parses a passkey: 1 to 6 decimal digits, nothing else. */
bool rb_ctl_parse_pin(const char *s, uint32_t *pin);

/*
 * Finds the PIN in the box's screen text: the first line that is
 * "PIN dddddd" (surrounding blanks allowed). Returns false if none.
 */
bool rb_ctl_find_pin_in_text(const char *text, uint32_t *pin);

/*
 * Parses hex bytes: pairs of hex digits, optionally separated by blanks,
 * ':' or '-', with an optional leading "0x". Returns NULL with @error on
 * bad input or no bytes. The caller unrefs the result.
 */
GBytes *rb_ctl_parse_hex(const char *s, GError **error);

/*
 * The exit code for a D-Bus error @name (e.g. "org.bluez.Error.Failed")
 * with @message, from a call of kind @op. *att receives the ATT error code
 * carried in the message (0 if none). Handles both forms BlueZ uses for
 * application errors: the message "0x80" and "Operation failed with ATT
 * error: 0x80".
 */
typedef enum {
	RB_CTL_OP_GENERIC = 0,
	RB_CTL_OP_CONNECT,
	RB_CTL_OP_PAIR,
	RB_CTL_OP_GATT,
	RB_CTL_OP_LOCAL, /* reaction-boxd's properties and signals */
	RB_CTL_OP_LOCAL_ADMIN, /* its root-only methods */
} RbCtlOp;

RbCtlExit rb_ctl_exit_for_error(RbCtlOp op, const char *name,
				const char *message, uint8_t *att);

/*
 * For the exit code @code of a failed call of kind RB_CTL_OP_LOCAL or
 * RB_CTL_OP_LOCAL_ADMIN, a reason for people: "reaction-boxd is not
 * running ..." for RB_CTL_EXIT_NO_BOX, "permission denied: needs root"
 * for RB_CTL_EXIT_NOT_AUTHORIZED (unless @root: then the daemon's own
 * message says more). NULL otherwise. Static.
 */
const char *rb_ctl_local_reason(RbCtlOp op, RbCtlExit code, bool root);

/* Whether a typed confirmation is a yes ("y" or "yes", any case). */
bool rb_ctl_confirmed(const char *answer);

/* Parses "0xNN" (alone or at the end of a BlueZ message) into *att. */
bool rb_ctl_att_from_message(const char *message, uint8_t *att);

/*
 * One line describing an ATT application error of the box
 * ("NOT_AUTHORIZED (ATT 0x83) - this phone is not the box's write owner"),
 * or NULL if @att is not one of 0x80..0x83. Static storage.
 */
const char *rb_ctl_att_reason(uint8_t att);
const char *rb_ctl_att_reason_name(uint8_t att);

/* Proto enum names, for output. */
const char *rb_ctl_status_name(RbAccessStatus status);
const char *rb_ctl_reject_name(RbWriteVerdict reason);
const char *rb_ctl_stale_name(RbStaleHint hint);
const char *rb_ctl_proto_error_name(RbProtoError code);

/*
 * A decoded message as one line: JSON (an object, no newline) or text.
 * @source is the characteristic it came from ("access", "protocol",
 * "app_state"). An ApplicationMessage is "type":"application" with
 * "app_type", "body_hex" (no separators), "body_len" and, if the body
 * reads as text, "body_text". The caller g_free()s the result.
 */
char *rb_ctl_reply_json(const RbReply *reply, const char *source);
char *rb_ctl_reply_text(const RbReply *reply, const char *source);

/*
 * Whether an application message body reads as text: valid UTF-8, not
 * empty, no control characters but tab, CR and LF. Such a body is printed
 * as text too ("body_text" in JSON), beside its hex.
 */
bool rb_ctl_body_is_text(const uint8_t *data, gsize len);

/*
 * reaction-boxd's org.reactionbox.Box1 properties (@props: a{sv}, from
 * GetAll) as one JSON object, "type":"local_status", the properties
 * under their names in snake_case (AccessStatus: "access_status"); or as
 * text, one "label: value" line per property, no final newline. Unknown
 * properties are printed too. The caller g_free()s the result.
 */
char *rb_ctl_box_status_json(GVariant *props);
char *rb_ctl_box_status_text(GVariant *props);

/*
 * A PropertiesChanged of Box1 (@changed: a{sv}; @invalidated: names,
 * NULL-terminated, may be NULL) as one JSON object, "type":"local_changed",
 * or one line of text ("changed: PairingMode=true ..."). g_free().
 */
char *rb_ctl_box_changed_json(GVariant *changed,
			      const char *const *invalidated);
char *rb_ctl_box_changed_text(GVariant *changed,
			      const char *const *invalidated);

/* A Button signal as JSON ("type":"button") or text. g_free(). */
char *rb_ctl_button_json(const char *name, bool pressed, guint64 monotonic_us);
char *rb_ctl_button_text(const char *name, bool pressed, guint64 monotonic_us);

/* @len bytes as lower-case hex pairs separated by spaces; g_free(). */
char *rb_ctl_hex_string(const uint8_t *data, gsize len);

/* Appends @s to @out as a JSON string literal, quotes included. */
void rb_ctl_json_append_string(GString *out, const char *s);
