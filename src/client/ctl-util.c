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
	OPT_YES,
	OPT_TEXT,
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
	{"--yes", OPT_YES, false},	    {"--text", OPT_TEXT, false},
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
	case OPT_YES:
		a->yes = true;
		return true;
	case OPT_TEXT:
		a->text = true;
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
	{"send", RB_CTL_CMD_SEND},
	{"local", RB_CTL_CMD_LOCAL_STATUS}, /* and a second word */
};

static const struct {
	const char *word;
	RbCtlCommand cmd;
} local_commands[] = {
	{"status", RB_CTL_CMD_LOCAL_STATUS},
	{"watch", RB_CTL_CMD_LOCAL_WATCH},
	{"forget-owner", RB_CTL_CMD_LOCAL_FORGET_OWNER},
	{"factory-reset", RB_CTL_CMD_LOCAL_FACTORY_RESET},
	{"exit-pairing", RB_CTL_CMD_LOCAL_EXIT_PAIRING},
	{"enter-pairing", RB_CTL_CMD_LOCAL_ENTER_PAIRING},
};

bool rb_ctl_command_is_local(RbCtlCommand cmd)
{
	switch (cmd) {
	case RB_CTL_CMD_LOCAL_STATUS:
	case RB_CTL_CMD_LOCAL_WATCH:
	case RB_CTL_CMD_LOCAL_FORGET_OWNER:
	case RB_CTL_CMD_LOCAL_FACTORY_RESET:
	case RB_CTL_CMD_LOCAL_EXIT_PAIRING:
	case RB_CTL_CMD_LOCAL_ENTER_PAIRING:
		return true;
	case RB_CTL_CMD_NONE:
	case RB_CTL_CMD_SCAN:
	case RB_CTL_CMD_PAIR:
	case RB_CTL_CMD_STATUS:
	case RB_CTL_CMD_WATCH:
	case RB_CTL_CMD_CONFIG_GET:
	case RB_CTL_CMD_CONFIG_SET:
	case RB_CTL_CMD_CONFIG_READ:
	case RB_CTL_CMD_WRITE:
	case RB_CTL_CMD_TRIGGER_PAIRING:
	case RB_CTL_CMD_REMOVE:
	case RB_CTL_CMD_DISCONNECT:
	case RB_CTL_CMD_SEND:
		break;
	}
	return false;
}

/* Which options each command takes, beyond the global ones. */
static bool option_allowed(RbCtlCommand cmd, CtlOpt opt)
{
	switch (opt) {
	case OPT_JSON:
	case OPT_TIMEOUT:
	case OPT_HELP:
	case OPT_VERSION:
		return true;
	case OPT_ADAPTER:
	case OPT_BOX:
		return !rb_ctl_command_is_local(cmd);
	case OPT_DURATION:
		return cmd == RB_CTL_CMD_SCAN;
	case OPT_PIN_FILE:
		return cmd == RB_CTL_CMD_PAIR;
	case OPT_COUNT:
		return cmd == RB_CTL_CMD_WATCH || cmd == RB_CTL_CMD_LOCAL_WATCH;
	case OPT_YES:
		return cmd == RB_CTL_CMD_LOCAL_FACTORY_RESET;
	case OPT_FORCE:
		return cmd == RB_CTL_CMD_CONFIG_SET;
	case OPT_HEX:
	case OPT_FILE:
	case OPT_RAW:
		return cmd == RB_CTL_CMD_WRITE;
	case OPT_NO_WAIT:
		return cmd == RB_CTL_CMD_WRITE ||
		       cmd == RB_CTL_CMD_CONFIG_GET ||
		       cmd == RB_CTL_CMD_CONFIG_SET || cmd == RB_CTL_CMD_SEND;
	case OPT_TEXT:
		return cmd == RB_CTL_CMD_SEND;
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
	case RB_CTL_CMD_SEND:
		return "send";
	case RB_CTL_CMD_LOCAL_STATUS:
		return "local status";
	case RB_CTL_CMD_LOCAL_WATCH:
		return "local watch";
	case RB_CTL_CMD_LOCAL_FORGET_OWNER:
		return "local forget-owner";
	case RB_CTL_CMD_LOCAL_FACTORY_RESET:
		return "local factory-reset";
	case RB_CTL_CMD_LOCAL_EXIT_PAIRING:
		return "local exit-pairing";
	case RB_CTL_CMD_LOCAL_ENTER_PAIRING:
		return "local enter-pairing";
	}
	return "";
}

/* send TYPE [BODY]: BODY is hex, or text with --text; none is empty. */
static bool parse_app(RbCtlArgs *a, const char *type, const char *body,
		      GError **error)
{
	g_autoptr(GBytes) bytes = NULL;

	if (!rb_app_type_valid(type)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "'%s' is not an application message type (1 to "
			    "%d characters of A-Z a-z 0-9 _ . -)",
			    type, RB_APP_TYPE_MAX);
		return false;
	}
	if (!body) {
		bytes = g_bytes_new(NULL, 0);
	} else if (a->text) {
		if (!g_utf8_validate(body, -1, NULL)) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "--text: BODY is not UTF-8");
			return false;
		}
		bytes = g_bytes_new(body, strlen(body));
	} else {
		bytes = rb_ctl_parse_hex(body, error);
		if (!bytes) {
			g_prefix_error(error,
				       "BODY (hex, or text with --text): ");
			return false;
		}
	}
	return rb_app_message_set(&a->app, type, g_bytes_get_data(bytes, NULL),
				  g_bytes_get_size(bytes), error);
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
		} else if (a.cmd == RB_CTL_CMD_LOCAL_STATUS) {
			const char *sub = w < words->len ? words->pdata[w++]
							 : NULL;

			a.cmd = RB_CTL_CMD_NONE;
			for (unsigned int k = 0;
			     k < G_N_ELEMENTS(local_commands); k++) {
				if (g_strcmp0(sub, local_commands[k].word) == 0)
					a.cmd = local_commands[k].cmd;
			}
			if (a.cmd == RB_CTL_CMD_NONE) {
				g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
					    "local needs status, watch, "
					    "forget-owner, factory-reset, "
					    "exit-pairing or enter-pairing");
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
	case RB_CTL_CMD_SEND:
		if (w >= words->len) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "send needs TYPE [BODY]");
			goto fail;
		}
		if (!parse_app(&a, words->pdata[w],
			       w + 1 < words->len ? words->pdata[w + 1] : NULL,
			       error))
			goto fail;
		w += MIN(words->len - w, 2);
		break;
	case RB_CTL_CMD_SCAN:
	case RB_CTL_CMD_STATUS:
	case RB_CTL_CMD_WATCH:
	case RB_CTL_CMD_CONFIG_GET:
	case RB_CTL_CMD_CONFIG_READ:
	case RB_CTL_CMD_TRIGGER_PAIRING:
	case RB_CTL_CMD_REMOVE:
	case RB_CTL_CMD_DISCONNECT:
	case RB_CTL_CMD_LOCAL_STATUS:
	case RB_CTL_CMD_LOCAL_WATCH:
	case RB_CTL_CMD_LOCAL_FORGET_OWNER:
	case RB_CTL_CMD_LOCAL_FACTORY_RESET:
	case RB_CTL_CMD_LOCAL_EXIT_PAIRING:
	case RB_CTL_CMD_LOCAL_ENTER_PAIRING:
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
	case RB_CTL_OP_LOCAL:
	case RB_CTL_OP_LOCAL_ADMIN:
		/* The bus's policy, or the daemon's own check. */
		if (g_str_has_suffix(name, ".Error.AccessDenied"))
			return RB_CTL_EXIT_NOT_AUTHORIZED;
		if (strcmp(name, "org.freedesktop.DBus.Error.ServiceUnknown") ==
			    0 ||
		    strcmp(name, "org.freedesktop.DBus.Error.NameHasNoOwner") ==
			    0)
			return RB_CTL_EXIT_NO_BOX;
		break;
	case RB_CTL_OP_GENERIC:
		break;
	}
	return RB_CTL_EXIT_DBUS;
}

const char *rb_ctl_local_reason(RbCtlOp op, RbCtlExit code, bool root)
{
	if (op != RB_CTL_OP_LOCAL && op != RB_CTL_OP_LOCAL_ADMIN)
		return NULL;
	if (code == RB_CTL_EXIT_NO_BOX)
		return "reaction-boxd is not running (org.reactionbox is not "
		       "on the system bus)";
	if (code != RB_CTL_EXIT_NOT_AUTHORIZED || root)
		return NULL;
	if (op == RB_CTL_OP_LOCAL_ADMIN)
		return "permission denied: needs root";
	return "permission denied: needs root or membership of "
	       "reaction-boxd's group (default \"reaction\")";
}

bool rb_ctl_confirmed(const char *answer)
{
	g_autofree char *a = g_strstrip(g_strdup(answer ? answer : ""));

	return g_ascii_strcasecmp(a, "y") == 0 ||
	       g_ascii_strcasecmp(a, "yes") == 0;
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

/* ---- reaction-boxd's D-Bus properties and signals ---- */

/* A D-Bus member name in snake_case: "PairingSecondsLeft" is
 * "pairing_seconds_left", "MTUSize" is "mtu_size". */
static char *snake_case(const char *name)
{
	GString *out = g_string_new(NULL);

	for (const char *p = name; *p; p++) {
		bool upper = g_ascii_isupper(*p);

		if (upper && p != name &&
		    (g_ascii_islower(p[-1]) || g_ascii_isdigit(p[-1]) ||
		     (g_ascii_isupper(p[-1]) && g_ascii_islower(p[1]))))
			g_string_append_c(out, '_');
		g_string_append_c(out, g_ascii_tolower(*p));
	}
	return g_string_free(out, FALSE);
}

static bool is_peers(GVariant *v)
{
	return g_variant_is_of_type(v, G_VARIANT_TYPE("a(sss)"));
}

/* Any value as JSON: numbers, booleans, strings; dictionaries with string
 * keys as objects; other containers as arrays; Peers' (address, address
 * type, access) triples as objects. */
static void json_value(GString *out, GVariant *v)
{
	GVariantIter it;
	GVariant *child;
	bool first = true;

	switch (g_variant_classify(v)) {
	case G_VARIANT_CLASS_BOOLEAN:
		g_string_append(out,
				g_variant_get_boolean(v) ? "true" : "false");
		return;
	case G_VARIANT_CLASS_BYTE:
		g_string_append_printf(out, "%u", g_variant_get_byte(v));
		return;
	case G_VARIANT_CLASS_UINT16:
		g_string_append_printf(out, "%u", g_variant_get_uint16(v));
		return;
	case G_VARIANT_CLASS_UINT32:
		g_string_append_printf(out, "%u", g_variant_get_uint32(v));
		return;
	case G_VARIANT_CLASS_UINT64:
		g_string_append_printf(out, "%" G_GUINT64_FORMAT,
				       g_variant_get_uint64(v));
		return;
	case G_VARIANT_CLASS_INT16:
		g_string_append_printf(out, "%d", g_variant_get_int16(v));
		return;
	case G_VARIANT_CLASS_INT32:
		g_string_append_printf(out, "%d", g_variant_get_int32(v));
		return;
	case G_VARIANT_CLASS_INT64:
		g_string_append_printf(out, "%" G_GINT64_FORMAT,
				       g_variant_get_int64(v));
		return;
	case G_VARIANT_CLASS_HANDLE:
		g_string_append_printf(out, "%d", g_variant_get_handle(v));
		return;
	case G_VARIANT_CLASS_DOUBLE: {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		g_string_append(out, g_ascii_dtostr(buf, sizeof(buf),
						    g_variant_get_double(v)));
		return;
	}
	case G_VARIANT_CLASS_STRING:
	case G_VARIANT_CLASS_OBJECT_PATH:
	case G_VARIANT_CLASS_SIGNATURE:
		rb_ctl_json_append_string(out, g_variant_get_string(v, NULL));
		return;
	case G_VARIANT_CLASS_VARIANT: {
		g_autoptr(GVariant) inner = g_variant_get_variant(v);

		json_value(out, inner);
		return;
	}
	case G_VARIANT_CLASS_MAYBE:
	case G_VARIANT_CLASS_ARRAY:
	case G_VARIANT_CLASS_TUPLE:
	case G_VARIANT_CLASS_DICT_ENTRY:
		break;
	}
	if (g_variant_is_of_type(v, G_VARIANT_TYPE("a{s*}"))) {
		const char *key;

		g_string_append_c(out, '{');
		g_variant_iter_init(&it, v);
		while (g_variant_iter_next(&it, "{&s@*}", &key, &child)) {
			g_string_append(out, first ? "" : ",");
			rb_ctl_json_append_string(out, key);
			g_string_append_c(out, ':');
			json_value(out, child);
			g_variant_unref(child);
			first = false;
		}
		g_string_append_c(out, '}');
		return;
	}
	if (is_peers(v)) {
		const char *addr, *type, *access;

		g_string_append_c(out, '[');
		g_variant_iter_init(&it, v);
		while (g_variant_iter_next(&it, "(&s&s&s)", &addr, &type,
					   &access)) {
			g_string_append(out, first ? "{" : ",{");
			g_string_append(out, "\"address\":");
			rb_ctl_json_append_string(out, addr);
			json_str(out, "address_type", type);
			json_str(out, "access", access);
			g_string_append_c(out, '}');
			first = false;
		}
		g_string_append_c(out, ']');
		return;
	}
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_MAYBE) &&
	    g_variant_n_children(v) == 0) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '[');
	g_variant_iter_init(&it, v);
	while ((child = g_variant_iter_next_value(&it))) {
		g_string_append(out, first ? "" : ",");
		json_value(out, child);
		g_variant_unref(child);
		first = false;
	}
	g_string_append_c(out, ']');
}

/* Appends ,"snake_name":value for each property of @props (a{sv}). */
static void json_props(GString *out, GVariant *props)
{
	GVariantIter it;
	const char *name;
	GVariant *v;

	g_variant_iter_init(&it, props);
	while (g_variant_iter_next(&it, "{&sv}", &name, &v)) {
		g_autofree char *key = snake_case(name);

		g_string_append_c(out, ',');
		rb_ctl_json_append_string(out, key);
		g_string_append_c(out, ':');
		json_value(out, v);
		g_variant_unref(v);
	}
}

/* A value for a line of text: strings bare (quoted if empty or with
 * blanks), Config as key=value pairs, Peers as "address (type) access". */
static void text_value(GString *out, GVariant *v)
{
	GVariantIter it;
	bool first = true;

	if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
		const char *str = g_variant_get_string(v, NULL);

		if (!*str || strpbrk(str, " \t\n\"\\"))
			rb_ctl_json_append_string(out, str);
		else
			g_string_append(out, str);
	} else if (g_variant_is_of_type(v, G_VARIANT_TYPE("a{su}"))) {
		const char *key;
		guint32 n;

		g_variant_iter_init(&it, v);
		while (g_variant_iter_next(&it, "{&su}", &key, &n)) {
			g_string_append_printf(out, "%s%s=%u", first ? "" : " ",
					       key, n);
			first = false;
		}
		if (first)
			g_string_append(out, "none");
	} else if (is_peers(v)) {
		const char *addr, *type, *access;

		g_variant_iter_init(&it, v);
		while (g_variant_iter_next(&it, "(&s&s&s)", &addr, &type,
					   &access)) {
			g_string_append_printf(out, "%s%s (%s) %s",
					       first ? "" : ", ", addr, type,
					       access);
			first = false;
		}
		if (first)
			g_string_append(out, "none");
	} else {
		g_autofree char *s = g_variant_print(v, FALSE);

		g_string_append(out, s);
	}
}

char *rb_ctl_box_status_json(GVariant *props)
{
	GString *out = g_string_new("{\"type\":\"local_status\"");

	json_props(out, props);
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

#define LABEL "%-13s "

/* The properties rb_ctl_box_status_text() knows, with their types. */
static const struct {
	const char *name;
	const char *type;
} status_props[] = {
	{"AccessStatus", "s"},	   {"Owner", "s"},
	{"OwnerAddressType", "s"}, {"OwnerSince", "t"},
	{"PairingMode", "b"},	   {"PairingSecondsLeft", "u"},
	{"LockedOut", "b"},	   {"LockoutSecondsLeft", "u"},
	{"StaleBond", "s"},	   {"ChordHeld", "b"},
	{"Application", "s"},	   {"Peers", "a(sss)"},
	{"Config", "a{su}"},
};

static bool status_prop_known(const char *name, GVariant *v)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(status_props); i++) {
		if (strcmp(name, status_props[i].name) == 0)
			return g_variant_is_of_type(
				v, G_VARIANT_TYPE(status_props[i].type));
	}
	return false;
}

static bool lookup_s(GVariant *props, const char *name, const char **out)
{
	return g_variant_lookup(props, name, "&s", out);
}

static bool lookup_b(GVariant *props, const char *name, bool *out)
{
	gboolean b;

	if (!g_variant_lookup(props, name, "b", &b))
		return false;
	*out = b;
	return true;
}

static void line_start(GString *out, const char *label)
{
	g_autofree char *l = g_strconcat(label, ":", NULL);

	if (out->len)
		g_string_append_c(out, '\n');
	g_string_append_printf(out, LABEL, l);
}

/* "open, 42 s left" / "closed"; "yes, 120 s left" / "no". */
static void flag_line(GString *out, GVariant *props, const char *label,
		      const char *flag, const char *left, const char *on,
		      const char *off)
{
	guint32 secs = 0;
	bool b;

	if (!lookup_b(props, flag, &b))
		return;
	line_start(out, label);
	g_string_append(out, b ? on : off);
	if (b && g_variant_lookup(props, left, "u", &secs))
		g_string_append_printf(out, ", %u s left", secs);
}

char *rb_ctl_box_status_text(GVariant *props)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GVariant) config = NULL;
	g_autoptr(GVariant) peers = NULL;
	const char *s = NULL;
	const char *type = NULL;
	guint64 since = 0;
	GVariantIter it;
	const char *name;
	GVariant *v;
	bool b;

	if (lookup_s(props, "AccessStatus", &s)) {
		line_start(out, "access");
		g_string_append(out, s);
	}
	if (lookup_s(props, "Owner", &s)) {
		line_start(out, "owner");
		g_string_append(out, *s ? s : "none");
		if (*s && lookup_s(props, "OwnerAddressType", &type) && *type)
			g_string_append_printf(out, " (%s)", type);
		if (*s && g_variant_lookup(props, "OwnerSince", "t", &since) &&
		    since) {
			g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(
				(gint64)(since / G_USEC_PER_SEC));
			g_autofree char *when = t ? g_date_time_format(
							    t,
							    "%Y-%m-%d %H:%M:%S")
						  : NULL;

			if (when)
				g_string_append_printf(out, ", paired %s UTC",
						       when);
		}
	}
	flag_line(out, props, "pairing mode", "PairingMode",
		  "PairingSecondsLeft", "open", "closed");
	flag_line(out, props, "pin lockout", "LockedOut", "LockoutSecondsLeft",
		  "active", "none");
	if (lookup_s(props, "StaleBond", &s)) {
		line_start(out, "stale bond");
		g_string_append(out, s);
	}
	if (lookup_b(props, "ChordHeld", &b)) {
		line_start(out, "chord held");
		g_string_append(out, b ? "yes" : "no");
	}
	if (lookup_s(props, "Application", &s)) {
		line_start(out, "application");
		g_string_append(out, *s ? s : "none registered");
	}
	peers = g_variant_lookup_value(props, "Peers",
				       G_VARIANT_TYPE("a(sss)"));
	if (peers) {
		const char *addr, *access;
		bool first = true;

		line_start(out, "peers");
		g_variant_iter_init(&it, peers);
		while (g_variant_iter_next(&it, "(&s&s&s)", &addr, &type,
					   &access)) {
			if (!first)
				g_string_append_printf(out, "\n" LABEL, "");
			g_string_append_printf(out, "%s (%s) %s", addr, type,
					       access);
			first = false;
		}
		if (first)
			g_string_append(out, "none");
	}
	config = g_variant_lookup_value(props, "Config",
					G_VARIANT_TYPE("a{su}"));
	if (config) {
		guint32 n;
		bool first = true;

		line_start(out, "config");
		g_variant_iter_init(&it, config);
		while (g_variant_iter_next(&it, "{&su}", &name, &n)) {
			if (!first)
				g_string_append_printf(out, "\n" LABEL, "");
			g_string_append_printf(out, "%s=%u", name, n);
			first = false;
		}
	}
	/* Whatever this version does not know, or of an unexpected type. */
	g_variant_iter_init(&it, props);
	while (g_variant_iter_next(&it, "{&sv}", &name, &v)) {
		if (!status_prop_known(name, v)) {
			line_start(out, name);
			text_value(out, v);
		}
		g_variant_unref(v);
	}
	return g_string_free(out, FALSE);
}

char *rb_ctl_box_changed_json(GVariant *changed, const char *const *invalidated)
{
	GString *out = g_string_new("{\"type\":\"local_changed\"");

	json_props(out, changed);
	if (invalidated && invalidated[0]) {
		g_string_append(out, ",\"invalidated\":[");
		for (unsigned int i = 0; invalidated[i]; i++) {
			g_autofree char *key = snake_case(invalidated[i]);

			g_string_append(out, i ? "," : "");
			rb_ctl_json_append_string(out, key);
		}
		g_string_append_c(out, ']');
	}
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}

char *rb_ctl_box_changed_text(GVariant *changed, const char *const *invalidated)
{
	GString *out = g_string_new("changed:");
	GVariantIter it;
	const char *name;
	GVariant *v;

	g_variant_iter_init(&it, changed);
	while (g_variant_iter_next(&it, "{&sv}", &name, &v)) {
		g_string_append_printf(out, " %s=", name);
		text_value(out, v);
		g_variant_unref(v);
	}
	for (unsigned int i = 0; invalidated && invalidated[i]; i++)
		g_string_append_printf(out, " %s=?", invalidated[i]);
	return g_string_free(out, FALSE);
}

char *rb_ctl_button_json(const char *name, bool pressed, guint64 monotonic_us)
{
	GString *out = g_string_new("{\"type\":\"button\"");

	json_str(out, "name", name);
	g_string_append_printf(
		out, ",\"pressed\":%s,\"monotonic_us\":%" G_GUINT64_FORMAT "}",
		pressed ? "true" : "false", monotonic_us);
	return g_string_free(out, FALSE);
}

char *rb_ctl_button_text(const char *name, bool pressed, guint64 monotonic_us)
{
	return g_strdup_printf("button %s %s at %" G_GUINT64_FORMAT ".%06u s",
			       name, pressed ? "pressed" : "released",
			       monotonic_us / G_USEC_PER_SEC,
			       (unsigned int)(monotonic_us % G_USEC_PER_SEC));
}
