// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "reaction-boxctl"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/ctl-util.h"
#include "core/error.h"

const char *rb_ctl_exit_name(RbCtlExit code)
{
	switch (code) {
	case RB_CTL_EXIT_OK:
		return "OK";
	case RB_CTL_EXIT_USAGE:
		return "USAGE";
	case RB_CTL_EXIT_NO_BOX:
		return "NO_BOX";
	case RB_CTL_EXIT_TIMEOUT:
		return "TIMEOUT";
	case RB_CTL_EXIT_NOT_PAIRED:
		return "NOT_PAIRED";
	case RB_CTL_EXIT_NOT_ENCRYPTED:
		return "NOT_ENCRYPTED";
	case RB_CTL_EXIT_NOT_AUTHENTICATED:
		return "NOT_AUTHENTICATED";
	case RB_CTL_EXIT_NOT_AUTHORIZED:
		return "NOT_AUTHORIZED";
	case RB_CTL_EXIT_PAIRING:
		return "PAIRING_FAILED";
	case RB_CTL_EXIT_BOX_ERROR:
		return "BOX_ERROR";
	case RB_CTL_EXIT_DBUS:
		return "DBUS_ERROR";
	case RB_CTL_EXIT_INTERRUPTED:
		return "INTERRUPTED";
	}
	return "UNKNOWN";
}

void rb_ctl_args_clear(RbCtlArgs *args)
{
	g_clear_pointer(&args->data, g_bytes_unref);
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool rb_ctl_parse_pin(const char *s, uint32_t *pin)
{
	uint64_t v;
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 6)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	if (!parse_uint(s, 999999, &v))
		return false;
	*pin = (uint32_t)v;
	return true;
}

bool rb_ctl_find_pin_in_text(const char *text, uint32_t *pin)
{
	g_auto(GStrv) lines = NULL;

	if (!text)
		return false;
	lines = g_strsplit(text, "\n", -1);
	for (unsigned int i = 0; lines[i]; i++) {
		g_autofree char *line = g_strstrip(g_strdup(lines[i]));
		const char *digits;

		if (strncmp(line, "PIN", 3) != 0 || !isblank(line[3]))
			continue;
		digits = line + 4;
		while (isblank((unsigned char)*digits))
			digits++;
		if (strlen(digits) == 6 && rb_ctl_parse_pin(digits, pin))
			return true;
	}
	return false;
}

GBytes *rb_ctl_parse_hex(const char *s, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	const char *p = s;
	int hi = -1;

	if (!s) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID, "no hex given");
		return NULL;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p; p++) {
		int v = g_ascii_xdigit_value(*p);

		if (v < 0) {
			if (hi < 0 &&
			    (*p == ' ' || *p == ':' || *p == '-' || *p == '\t'))
				continue;
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "bad hex '%s': unexpected '%c' at offset "
				    "%d",
				    s, *p, (int)(p - s));
			return NULL;
		}
		if (hi < 0) {
			hi = v;
		} else {
			uint8_t b = (uint8_t)(hi << 4 | v);

			g_byte_array_append(out, &b, 1);
			hi = -1;
		}
	}
	if (hi >= 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "bad hex '%s': odd number of digits", s);
		return NULL;
	}
	if (out->len == 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "bad hex '%s': no bytes", s);
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

bool rb_ctl_parse_assignment(const char *arg, bool force,
			     RbConfigUpdate *update, GError **error)
{
	const char *eq = arg ? strchr(arg, '=') : NULL;
	g_autofree char *key = NULL;
	uint64_t v;

	if (!eq || eq == arg) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "'%s' is not KEY=VALUE", arg ? arg : "");
		return false;
	}
	key = g_strndup(arg, (gsize)(eq - arg));
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		const RbSettingInfo *info = rb_setting_info((RbSetting)i);

		if (strcmp(key, info->field) != 0)
			continue;
		if (!parse_uint(eq + 1, UINT32_MAX, &v)) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s: '%s' is not a number (0..%u)", key,
				    eq + 1, UINT32_MAX);
			return false;
		}
		if (!force && (v < info->min || v > info->max)) {
			g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
				    "%s: %s is out of range %u..%u (use "
				    "--force to send it anyway)",
				    key, eq + 1, info->min, info->max);
			return false;
		}
		update->has[i] = true;
		update->value[i] = (uint32_t)v;
		return true;
	}
	{
		g_autoptr(GString) keys = g_string_new(NULL);

		for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
			g_string_append_printf(
				keys, "%s%s", i ? ", " : "",
				rb_setting_info((RbSetting)i)->field);
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "unknown setting '%s' (known: %s)", key, keys->str);
	}
	return false;
}

/* Option table of the command line. */
typedef enum {
	OPT_ADAPTER = 0,
	OPT_BOX,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_DURATION,
	OPT_PIN_FILE,
	OPT_COUNT,
	OPT_FORCE,
	OPT_HEX,
	OPT_FILE,
	OPT_RAW,
	OPT_NO_WAIT,
	OPT_HELP,
	OPT_VERSION,
} CtlOpt;

static const struct {
	const char *name;
	CtlOpt opt;
	bool has_arg;
} options[] = {
	{"--adapter", OPT_ADAPTER, true},   {"--box", OPT_BOX, true},
	{"--json", OPT_JSON, false},	    {"--timeout", OPT_TIMEOUT, true},
	{"--duration", OPT_DURATION, true}, {"--pin-file", OPT_PIN_FILE, true},
	{"--count", OPT_COUNT, true},	    {"--force", OPT_FORCE, false},
	{"--hex", OPT_HEX, true},	    {"--file", OPT_FILE, true},
	{"--raw", OPT_RAW, false},	    {"--no-wait", OPT_NO_WAIT, false},
	{"--help", OPT_HELP, false},	    {"-h", OPT_HELP, false},
	{"--version", OPT_VERSION, false},
};

static bool parse_seconds(const char *opt, const char *v, bool zero_ok,
			  unsigned int *out, GError **error)
{
	uint64_t n;

	if (!parse_uint(v, 86400, &n) || (!zero_ok && n == 0)) {
		g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
			    "%s: '%s' is not a number of seconds (%u..86400)",
			    opt, v, zero_ok ? 0 : 1);
		return false;
	}
	*out = (unsigned int)n;
	return true;
}

static bool apply_option(RbCtlArgs *a, CtlOpt opt, const char *name,
			 const char *v, GError **error)
{
	uint64_t n;

	switch (opt) {
	case OPT_ADAPTER:
		if (!*v || strchr(v, '/')) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "--adapter: '%s' is not an adapter name "
				    "like hci0",
				    v);
			return false;
		}
		a->adapter = v;
		return true;
	case OPT_BOX:
		if (!*v) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "--box: empty");
			return false;
		}
		a->box = v;
		return true;
	case OPT_JSON:
		a->json = true;
		return true;
	case OPT_TIMEOUT:
		a->timeout_given = true;
		return parse_seconds(name, v, false, &a->timeout_s, error);
	case OPT_DURATION:
		return parse_seconds(name, v, false, &a->duration_s, error);
	case OPT_PIN_FILE:
		a->pin_file = v;
		return true;
	case OPT_COUNT:
		if (!parse_uint(v, 1000000, &n) || n == 0) {
			g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
				    "--count: '%s' is not a count (1..1000000)",
				    v);
			return false;
		}
		a->count = (unsigned int)n;
		return true;
	case OPT_FORCE:
		a->force = true;
		return true;
	case OPT_HEX:
		if (a->data || a->file) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "give one of --hex and --file, once");
			return false;
		}
		a->data = rb_ctl_parse_hex(v, error);
		return a->data != NULL;
	case OPT_FILE:
		if (a->data || a->file) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "give one of --hex and --file, once");
			return false;
		}
		a->file = v;
		return true;
	case OPT_RAW:
		a->raw = true;
		return true;
	case OPT_NO_WAIT:
		a->no_wait = true;
		return true;
	case OPT_HELP:
		a->help = true;
		return true;
	case OPT_VERSION:
		a->version = true;
		return true;
	}
	return false;
}

static const struct {
	const char *word;
	RbCtlCommand cmd;
} commands[] = {
	{"scan", RB_CTL_CMD_SCAN},
	{"pair", RB_CTL_CMD_PAIR},
	{"status", RB_CTL_CMD_STATUS},
	{"watch", RB_CTL_CMD_WATCH},
	{"config", RB_CTL_CMD_CONFIG_GET},
	{"write", RB_CTL_CMD_WRITE},
	{"trigger-pairing", RB_CTL_CMD_TRIGGER_PAIRING},
	{"remove", RB_CTL_CMD_REMOVE},
	{"disconnect", RB_CTL_CMD_DISCONNECT},
};

/* Which options each command takes, beyond the global ones. */
static bool option_allowed(RbCtlCommand cmd, CtlOpt opt)
{
	switch (opt) {
	case OPT_ADAPTER:
	case OPT_BOX:
	case OPT_JSON:
	case OPT_TIMEOUT:
	case OPT_HELP:
	case OPT_VERSION:
		return true;
	case OPT_DURATION:
		return cmd == RB_CTL_CMD_SCAN;
	case OPT_PIN_FILE:
		return cmd == RB_CTL_CMD_PAIR;
	case OPT_COUNT:
		return cmd == RB_CTL_CMD_WATCH;
	case OPT_FORCE:
		return cmd == RB_CTL_CMD_CONFIG_SET;
	case OPT_HEX:
	case OPT_FILE:
	case OPT_RAW:
		return cmd == RB_CTL_CMD_WRITE;
	case OPT_NO_WAIT:
		return cmd == RB_CTL_CMD_WRITE ||
		       cmd == RB_CTL_CMD_CONFIG_GET ||
		       cmd == RB_CTL_CMD_CONFIG_SET;
	}
	return false;
}

const char *rb_ctl_command_name(RbCtlCommand cmd)
{
	switch (cmd) {
	case RB_CTL_CMD_NONE:
		return "";
	case RB_CTL_CMD_SCAN:
		return "scan";
	case RB_CTL_CMD_PAIR:
		return "pair";
	case RB_CTL_CMD_STATUS:
		return "status";
	case RB_CTL_CMD_WATCH:
		return "watch";
	case RB_CTL_CMD_CONFIG_GET:
		return "config get";
	case RB_CTL_CMD_CONFIG_SET:
		return "config set";
	case RB_CTL_CMD_CONFIG_READ:
		return "config read";
	case RB_CTL_CMD_WRITE:
		return "write";
	case RB_CTL_CMD_TRIGGER_PAIRING:
		return "trigger-pairing";
	case RB_CTL_CMD_REMOVE:
		return "remove";
	case RB_CTL_CMD_DISCONNECT:
		return "disconnect";
	}
	return "";
}

bool rb_ctl_args_parse(RbCtlArgs *args, int argc, char **argv, GError **error)
{
	RbCtlArgs a = {0};
	g_autoptr(GPtrArray) words = g_ptr_array_new();
	g_autoptr(GArray) opts = g_array_new(FALSE, FALSE, sizeof(int));
	g_autoptr(GPtrArray) values = g_ptr_array_new();
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	bool only_words = false;
	unsigned int w = 0;

	a.timeout_s = RB_CTL_DEFAULT_TIMEOUT_S;
	a.duration_s = RB_CTL_DEFAULT_SCAN_S;

	/* Split options and words first: options may follow the command. */
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq;
		size_t nlen;
		bool found = false;

		if (only_words || arg[0] != '-' || arg[1] == '\0') {
			g_ptr_array_add(words, (gpointer)arg);
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_words = true;
			continue;
		}
		eq = strchr(arg, '=');
		nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		for (unsigned int k = 0; k < G_N_ELEMENTS(options); k++) {
			const char *v = NULL;

			if (strlen(options[k].name) != nlen ||
			    strncmp(arg, options[k].name, nlen) != 0)
				continue;
			found = true;
			if (options[k].has_arg) {
				if (eq) {
					v = eq + 1;
				} else if (i + 1 < argc) {
					v = argv[++i];
				} else {
					g_set_error(error, RB_ERROR,
						    RB_ERROR_INVALID,
						    "%s needs a value",
						    options[k].name);
					goto fail;
				}
			} else if (eq) {
				g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
					    "%s takes no value",
					    options[k].name);
				goto fail;
			}
			g_array_append_val(opts, options[k].opt);
			g_ptr_array_add(values, (gpointer)v);
			g_ptr_array_add(names, (gpointer)options[k].name);
			break;
		}
		if (!found) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "unknown option '%s'", arg);
			goto fail;
		}
	}

	if (words->len > 0) {
		const char *word = words->pdata[w++];

		for (unsigned int k = 0; k < G_N_ELEMENTS(commands); k++) {
			if (strcmp(word, commands[k].word) == 0)
				a.cmd = commands[k].cmd;
		}
		if (a.cmd == RB_CTL_CMD_NONE) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "unknown command '%s'", word);
			goto fail;
		}
		if (a.cmd == RB_CTL_CMD_CONFIG_GET) {
			const char *sub = w < words->len ? words->pdata[w++]
							 : NULL;

			if (g_strcmp0(sub, "get") == 0) {
				a.cmd = RB_CTL_CMD_CONFIG_GET;
			} else if (g_strcmp0(sub, "set") == 0) {
				a.cmd = RB_CTL_CMD_CONFIG_SET;
			} else if (g_strcmp0(sub, "read") == 0) {
				a.cmd = RB_CTL_CMD_CONFIG_READ;
			} else {
				g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
					    "config needs get, set or read");
				goto fail;
			}
		}
	}

	for (unsigned int k = 0; k < opts->len; k++) {
		CtlOpt opt = (CtlOpt)g_array_index(opts, int, k);

		if (a.cmd != RB_CTL_CMD_NONE && !option_allowed(a.cmd, opt)) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s does not take %s",
				    rb_ctl_command_name(a.cmd),
				    (const char *)names->pdata[k]);
			goto fail;
		}
		if (!apply_option(&a, opt, names->pdata[k], values->pdata[k],
				  error))
			goto fail;
	}
	if (a.help || a.version)
		goto done;

	switch (a.cmd) {
	case RB_CTL_CMD_NONE:
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "no command given");
		goto fail;
	case RB_CTL_CMD_PAIR:
		if (w < words->len) {
			const char *s = words->pdata[w++];

			if (!rb_ctl_parse_pin(s, &a.pin)) {
				g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
					    "'%s' is not a PIN (1 to 6 "
					    "digits)",
					    s);
				goto fail;
			}
			a.have_pin = true;
		}
		if (a.have_pin && a.pin_file) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "give a PIN or --pin-file, not both");
			goto fail;
		}
		break;
	case RB_CTL_CMD_CONFIG_SET:
		if (w >= words->len) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "config set needs KEY=VALUE...");
			goto fail;
		}
		for (; w < words->len; w++) {
			if (!rb_ctl_parse_assignment(words->pdata[w], a.force,
						     &a.update, error))
				goto fail;
		}
		break;
	case RB_CTL_CMD_WRITE:
		if (!a.data && !a.file) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "write needs --hex HEX or --file FILE");
			goto fail;
		}
		break;
	case RB_CTL_CMD_SCAN:
	case RB_CTL_CMD_STATUS:
	case RB_CTL_CMD_WATCH:
	case RB_CTL_CMD_CONFIG_GET:
	case RB_CTL_CMD_CONFIG_READ:
	case RB_CTL_CMD_TRIGGER_PAIRING:
	case RB_CTL_CMD_REMOVE:
	case RB_CTL_CMD_DISCONNECT:
		break;
	}
	if (w < words->len) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "unexpected argument '%s'",
			    (const char *)words->pdata[w]);
		goto fail;
	}
done:
	*args = a;
	return true;
fail:
	rb_ctl_args_clear(&a);
	return false;
}

bool rb_ctl_att_from_message(const char *message, uint8_t *att)
{
	const char *p;
	int hi, lo;

	if (!message)
		return false;
	p = strstr(message, "0x");
	if (!p)
		return false;
	/* The last "0x" in the message. */
	for (const char *q = p; (q = strstr(q + 1, "0x"));)
		p = q;
	/* Either the whole message, or after "ATT error: ". */
	if (p != message && (p - message < 2 || p[-2] != ':' || p[-1] != ' '))
		return false;
	hi = g_ascii_xdigit_value(p[2]);
	lo = hi >= 0 ? g_ascii_xdigit_value(p[3]) : -1;
	if (hi < 0 || lo < 0 || p[4] != '\0')
		return false;
	*att = (uint8_t)(hi << 4 | lo);
	return true;
}

const char *rb_ctl_att_reason_name(uint8_t att)
{
	switch (att) {
	case 0x80:
		return "NOT_PAIRED";
	case 0x81:
		return "NOT_ENCRYPTED";
	case 0x82:
		return "NOT_AUTHENTICATED";
	case 0x83:
		return "NOT_AUTHORIZED";
	default:
		return NULL;
	}
}

const char *rb_ctl_att_reason(uint8_t att)
{
	switch (att) {
	case 0x80:
		return "NOT_PAIRED (ATT 0x80) — this phone has no bond with "
		       "the box: pair first";
	case 0x81:
		return "NOT_ENCRYPTED (ATT 0x81) — the link is not encrypted: "
		       "run trigger-pairing or reconnect";
	case 0x82:
		return "NOT_AUTHENTICATED (ATT 0x82) — the bond is not an "
		       "authenticated LE Secure Connections bond: pair again "
		       "with the PIN";
	case 0x83:
		return "NOT_AUTHORIZED (ATT 0x83) — this phone is not the "
		       "box's write owner";
	default:
		return NULL;
	}
}

static bool name_is(const char *name, const char *suffix)
{
	return name && g_str_has_prefix(name, "org.bluez.Error.") &&
	       strcmp(name + strlen("org.bluez.Error."), suffix) == 0;
}

RbCtlExit rb_ctl_exit_for_error(RbCtlOp op, const char *name,
				const char *message, uint8_t *att)
{
	uint8_t code = 0;

	*att = 0;
	if (!name)
		return RB_CTL_EXIT_DBUS;
	if (strcmp(name, "org.freedesktop.DBus.Error.NoReply") == 0 ||
	    strcmp(name, "org.freedesktop.DBus.Error.Timeout") == 0 ||
	    strcmp(name, "org.freedesktop.DBus.Error.TimedOut") == 0 ||
	    name_is(name, "Timeout"))
		return RB_CTL_EXIT_TIMEOUT;
	if (name_is(name, "Failed") &&
	    rb_ctl_att_from_message(message, &code)) {
		*att = code;
		switch (code) {
		case 0x80:
			return RB_CTL_EXIT_NOT_PAIRED;
		case 0x81:
			return RB_CTL_EXIT_NOT_ENCRYPTED;
		case 0x82:
			return RB_CTL_EXIT_NOT_AUTHENTICATED;
		case 0x83:
			return RB_CTL_EXIT_NOT_AUTHORIZED;
		default:
			return RB_CTL_EXIT_DBUS;
		}
	}
	if (name_is(name, "NotConnected") || name_is(name, "DoesNotExist"))
		return RB_CTL_EXIT_NO_BOX;
	switch (op) {
	case RB_CTL_OP_PAIR:
		if (g_str_has_prefix(name, "org.bluez.Error.Authentication") ||
		    name_is(name, "ConnectionAttemptFailed") ||
		    name_is(name, "Failed") || name_is(name, "InProgress"))
			return RB_CTL_EXIT_PAIRING;
		break;
	case RB_CTL_OP_CONNECT:
		if (name_is(name, "Failed") ||
		    name_is(name, "ConnectionAttemptFailed") ||
		    name_is(name, "NotAvailable") || name_is(name, "NotReady"))
			return RB_CTL_EXIT_NO_BOX;
		break;
	case RB_CTL_OP_GATT:
		/* ATT 0x05/0x0f: the box wants an authenticated link and
		 * bluetoothd could not get one by pairing. */
		if (name_is(name, "NotPermitted") && message &&
		    strstr(message, "Not paired"))
			return RB_CTL_EXIT_PAIRING;
		break;
	case RB_CTL_OP_GENERIC:
		break;
	}
	return RB_CTL_EXIT_DBUS;
}

const char *rb_ctl_status_name(RbAccessStatus status)
{
	switch (status) {
	case RB_ACCESS_NO_CONNECTION:
		return "NO_CONNECTION";
	case RB_ACCESS_READ_ONLY:
		return "READ_ONLY";
	case RB_ACCESS_WRITE_AUTHORIZED:
		return "WRITE_AUTHORIZED";
	case RB_ACCESS_PAIRING_MODE:
		return "PAIRING_MODE";
	}
	return "UNKNOWN";
}

const char *rb_ctl_reject_name(RbWriteVerdict reason)
{
	switch (reason) {
	case RB_WRITE_OK:
		return "WRITE_REJECT_NONE";
	case RB_WRITE_REJECT_NOT_PAIRED:
		return "WRITE_REJECT_NOT_PAIRED";
	case RB_WRITE_REJECT_NOT_ENCRYPTED:
		return "WRITE_REJECT_NOT_ENCRYPTED";
	case RB_WRITE_REJECT_NOT_AUTHENTICATED:
		return "WRITE_REJECT_NOT_AUTHENTICATED";
	case RB_WRITE_REJECT_NOT_AUTHORIZED:
		return "WRITE_REJECT_NOT_AUTHORIZED";
	}
	return "UNKNOWN";
}

const char *rb_ctl_stale_name(RbStaleHint hint)
{
	switch (hint) {
	case RB_STALE_NONE:
		return "STALE_BOND_NONE";
	case RB_STALE_BOX_HAS_STALE_BOND:
		return "STALE_BOND_BOX_HAS_STALE_BOND";
	case RB_STALE_PHONE_HAS_STALE_BOND:
		return "STALE_BOND_PHONE_HAS_STALE_BOND";
	}
	return "UNKNOWN";
}

const char *rb_ctl_proto_error_name(RbProtoError code)
{
	switch (code) {
	case RB_PROTO_ERROR_MALFORMED:
		return "ERROR_CODE_MALFORMED";
	case RB_PROTO_ERROR_OUT_OF_RANGE:
		return "ERROR_CODE_OUT_OF_RANGE";
	case RB_PROTO_ERROR_UNSUPPORTED:
		return "ERROR_CODE_UNSUPPORTED";
	case RB_PROTO_ERROR_TOO_LARGE:
		return "ERROR_CODE_TOO_LARGE";
	case RB_PROTO_ERROR_INTERNAL:
		return "ERROR_CODE_INTERNAL";
	case RB_PROTO_ERROR_UNAVAILABLE:
		return "ERROR_CODE_UNAVAILABLE";
	case RB_PROTO_ERROR_APPLICATION:
		return "ERROR_CODE_APPLICATION";
	}
	return "ERROR_CODE_UNSPECIFIED";
}

void rb_ctl_json_append_string(GString *out, const char *s)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
	     p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

static void json_str(GString *out, const char *key, const char *value)
{
	g_string_append_printf(out, ",\"%s\":", key);
	rb_ctl_json_append_string(out, value);
}

bool rb_ctl_body_is_text(const uint8_t *data, gsize len)
{
	const char *p = (const char *)data;
	const char *end = p + len;

	if (len == 0 || !g_utf8_validate_len(p, len, NULL))
		return false;
	for (; p < end; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (g_unichar_iscntrl(ch) && ch != '\t' && ch != '\n' &&
		    ch != '\r')
			return false;
	}
	return true;
}

/* The body as a string: only for one rb_ctl_body_is_text() accepts. */
static char *body_text(const RbAppMessage *app)
{
	return g_strndup((const char *)app->body, app->body_len);
}

static void app_json(GString *out, const RbAppMessage *app)
{
	json_str(out, "app_type", app->type);
	g_string_append(out, ",\"body_hex\":\"");
	for (gsize i = 0; i < app->body_len; i++)
		g_string_append_printf(out, "%02x", app->body[i]);
	g_string_append_printf(out, "\",\"body_len\":%" G_GSIZE_FORMAT,
			       app->body_len);
	if (rb_ctl_body_is_text(app->body, app->body_len)) {
		g_autofree char *text = body_text(app);

		json_str(out, "body_text", text);
	}
}

static void app_text(GString *out, const char *source, const RbAppMessage *app)
{
	g_autofree char *hex = NULL;

	if (!app->type[0] && app->body_len == 0) {
		g_string_append_printf(out, "%s: no application state", source);
		return;
	}
	g_string_append_printf(out, "%s: application %s", source, app->type);
	if (app->body_len == 0) {
		g_string_append(out, ", empty body");
		return;
	}
	hex = rb_ctl_hex_string(app->body, app->body_len);
	g_string_append_printf(out, ", %" G_GSIZE_FORMAT " bytes: %s",
			       app->body_len, hex);
	if (rb_ctl_body_is_text(app->body, app->body_len)) {
		g_autofree char *text = body_text(app);

		/* One line: the JSON escapes serve as a quoted string. */
		g_string_append(out, " = ");
		rb_ctl_json_append_string(out, text);
	}
}

char *rb_ctl_reply_json(const RbReply *r, const char *source)
{
	GString *out = g_string_new("{\"type\":");

	switch (r->kind) {
	case RB_REPLY_ACCESS:
		rb_ctl_json_append_string(out, "ble_access");
		break;
	case RB_REPLY_CONFIG:
		rb_ctl_json_append_string(out, "config");
		break;
	case RB_REPLY_ERROR:
		rb_ctl_json_append_string(out, "error");
		break;
	case RB_REPLY_APPLICATION:
		rb_ctl_json_append_string(out, "application");
		break;
	}
	json_str(out, "source", source);
	g_string_append_printf(out, ",\"request_id\":%u", r->request_id);
	switch (r->kind) {
	case RB_REPLY_ACCESS:
		json_str(out, "status", rb_ctl_status_name(r->access.status));
		g_string_append_printf(out, ",\"write_rejected\":%s",
				       r->access.write_rejected ? "true"
								: "false");
		json_str(out, "reject_reason",
			 rb_ctl_reject_name(r->access.reason));
		g_string_append_printf(out,
				       ",\"pairing_time_left_ms\":%u"
				       ",\"lockout_time_left_ms\":%u",
				       r->access.pairing_time_left_ms,
				       r->access.lockout_time_left_ms);
		json_str(out, "stale_bond", rb_ctl_stale_name(r->access.stale));
		g_string_append_printf(out, ",\"has_owner\":%s",
				       r->access.has_owner ? "true" : "false");
		break;
	case RB_REPLY_CONFIG:
		for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
			g_string_append_printf(
				out, ",\"%s\":%u",
				rb_setting_info((RbSetting)i)->field,
				r->config.value[i]);
		break;
	case RB_REPLY_ERROR:
		json_str(out, "code", rb_ctl_proto_error_name(r->error_code));
		json_str(out, "message", r->error_message);
		json_str(out, "field", r->error_field);
		break;
	case RB_REPLY_APPLICATION:
		app_json(out, &r->app);
		break;
	}
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

char *rb_ctl_reply_text(const RbReply *r, const char *source)
{
	GString *out = g_string_new(NULL);

	switch (r->kind) {
	case RB_REPLY_ACCESS:
		g_string_append_printf(out, "%s: %s", source,
				       rb_ctl_status_name(r->access.status));
		if (r->access.write_rejected)
			g_string_append_printf(
				out, ", write rejected: %s",
				rb_ctl_reject_name(r->access.reason));
		if (r->access.pairing_time_left_ms)
			g_string_append_printf(out, ", pairing mode %u ms left",
					       r->access.pairing_time_left_ms);
		if (r->access.lockout_time_left_ms)
			g_string_append_printf(
				out, ", pairing locked out %u ms left",
				r->access.lockout_time_left_ms);
		if (r->access.stale != RB_STALE_NONE)
			g_string_append_printf(
				out, ", %s",
				rb_ctl_stale_name(r->access.stale));
		g_string_append(out, r->access.has_owner ? ", owner recorded"
							 : ", no owner");
		break;
	case RB_REPLY_CONFIG:
		g_string_append_printf(out, "%s: config", source);
		for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
			g_string_append_printf(
				out, " %s=%u",
				rb_setting_info((RbSetting)i)->field,
				r->config.value[i]);
		break;
	case RB_REPLY_ERROR:
		g_string_append_printf(out, "%s: box error %s", source,
				       rb_ctl_proto_error_name(r->error_code));
		if (r->error_field[0])
			g_string_append_printf(out, " (field %s)",
					       r->error_field);
		if (r->error_message[0])
			g_string_append_printf(out, ": %s", r->error_message);
		break;
	case RB_REPLY_APPLICATION:
		app_text(out, source, &r->app);
		break;
	}
	if (r->request_id)
		g_string_append_printf(out, " [request %u]", r->request_id);
	return g_string_free(out, FALSE);
}

char *rb_ctl_hex_string(const uint8_t *data, gsize len)
{
	GString *out = g_string_new(NULL);

	for (gsize i = 0; i < len; i++)
		g_string_append_printf(out, "%s%02x", i ? " " : "", data[i]);
	return g_string_free(out, FALSE);
}
