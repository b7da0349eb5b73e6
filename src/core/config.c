// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The config model: the policy settings with their ranges, and the parsing
 * of the daemon's config file (GKeyFile syntax) from a string.
 *
 * GKeyFile checks the syntax and unescapes values; a scan of the raw text
 * beside it gives line numbers and finds duplicate keys and groups that
 * GKeyFile would merge silently.
 */
#define G_LOG_DOMAIN "rb-config"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stddef.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/types.h"

static const RbSettingInfo settings[RB_SETTING_COUNT] = {
	[RB_SETTING_PAIRING_TIMEOUT_MS] = {"PairingTimeoutMs",
					   "pairing_timeout_ms", 60000, 5000,
					   600000},
	[RB_SETTING_PIN_FAILURE_LIMIT] = {"PinFailureLimit",
					  "pin_failure_limit", 3, 1, 10},
	[RB_SETTING_PIN_LOCKOUT_MS] = {"PinLockoutMs", "pin_lockout_ms", 300000,
				       5000, 86400000},
	[RB_SETTING_STALE_BOND_WINDOW_MS] = {"StaleBondWindowMs",
					     "stale_bond_window_ms", 3000, 500,
					     30000},
	[RB_SETTING_STALE_BOND_STRIKES] = {"StaleBondStrikes",
					   "stale_bond_strikes", 2, 1, 10},
};

const RbSettingInfo *rb_setting_info(RbSetting setting)
{
	if ((unsigned int)setting >= RB_SETTING_COUNT)
		return NULL;
	return &settings[setting];
}

void rb_policy_config_init_defaults(RbPolicyConfig *cfg)
{
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		cfg->value[i] = settings[i].def;
	cfg->allow_legacy_keys = false;
	cfg->allow_remote_pairing_mode = false;
}

bool rb_policy_config_apply(RbPolicyConfig *cfg, const RbConfigUpdate *update,
			    RbSetting *bad)
{
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		if (!update->has[i])
			continue;
		if (update->value[i] < settings[i].min ||
		    update->value[i] > settings[i].max) {
			if (bad)
				*bad = (RbSetting)i;
			return false;
		}
	}
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		if (update->has[i])
			cfg->value[i] = update->value[i];
	}
	return true;
}

/* ---- The daemon config ---- */

static const char *const default_gpio_lines[RB_BUTTON_COUNT] = {
	"GPIO17", "GPIO27", "GPIO22", "GPIO23"};
static const unsigned int default_evdev_keys[RB_BUTTON_COUNT] = {
	KEY_F1, KEY_F2, KEY_F3, KEY_F4};

void rb_daemon_config_init_defaults(RbDaemonConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	rb_policy_config_init_defaults(&cfg->policy);
	cfg->adapter = NULL;
	cfg->buttons_backend = RB_BUTTONS_BACKEND_GPIOD;
	cfg->gpio_chip = g_strdup("gpiochip0");
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		cfg->gpio_lines[i] = g_strdup(default_gpio_lines[i]);
		cfg->evdev_keys[i] = default_evdev_keys[i];
	}
	cfg->gpio_active_low = true;
	cfg->gpio_bias = g_strdup("pull-up");
	cfg->evdev_device = NULL;
	cfg->evdev_grab = false;
	cfg->fifo_path = g_strdup("/run/reaction-boxd/buttons");
	cfg->display_backend = RB_DISPLAY_BACKEND_SSD1306;
	cfg->i2c_bus = g_strdup("/dev/i2c-1");
	cfg->i2c_address = 0x3c;
	cfg->display_width = 128;
	cfg->display_height = 64;
	cfg->display_file = g_strdup("/run/reaction-boxd/screen");
	cfg->api_group = g_strdup("reaction");
}

void rb_daemon_config_clear(RbDaemonConfig *cfg)
{
	g_clear_pointer(&cfg->adapter, g_free);
	g_clear_pointer(&cfg->gpio_chip, g_free);
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
		g_clear_pointer(&cfg->gpio_lines[i], g_free);
	g_clear_pointer(&cfg->gpio_bias, g_free);
	g_clear_pointer(&cfg->evdev_device, g_free);
	g_clear_pointer(&cfg->fifo_path, g_free);
	g_clear_pointer(&cfg->i2c_bus, g_free);
	g_clear_pointer(&cfg->display_file, g_free);
	g_clear_pointer(&cfg->api_group, g_free);
}

static void daemon_config_copy(RbDaemonConfig *dst, const RbDaemonConfig *src)
{
	*dst = *src;
	dst->adapter = g_strdup(src->adapter);
	dst->gpio_chip = g_strdup(src->gpio_chip);
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
		dst->gpio_lines[i] = g_strdup(src->gpio_lines[i]);
	dst->gpio_bias = g_strdup(src->gpio_bias);
	dst->evdev_device = g_strdup(src->evdev_device);
	dst->fifo_path = g_strdup(src->fifo_path);
	dst->i2c_bus = g_strdup(src->i2c_bus);
	dst->display_file = g_strdup(src->display_file);
	dst->api_group = g_strdup(src->api_group);
}

/* Display sizes per backend; the first is the default. */
typedef struct {
	unsigned int width, height;
} DisplaySize;

static const DisplaySize ssd1306_sizes[] = {{128, 64}, {128, 32}, {0}};
static const DisplaySize hd44780_sizes[] = {{16, 2}, {20, 4}, {0}};
static const DisplaySize any_sizes[] = {
	{128, 64}, {128, 32}, {16, 2}, {20, 4}, {0}};

static const DisplaySize *display_sizes(RbDisplayBackend backend)
{
	switch (backend) {
	case RB_DISPLAY_BACKEND_SSD1306:
		return ssd1306_sizes;
	case RB_DISPLAY_BACKEND_HD44780:
		return hd44780_sizes;
	case RB_DISPLAY_BACKEND_FILE:
	case RB_DISPLAY_BACKEND_NONE:
		return any_sizes;
	}
	return any_sizes;
}

static const char *const buttons_backend_names[] = {
	[RB_BUTTONS_BACKEND_GPIOD] = "gpiod",
	[RB_BUTTONS_BACKEND_EVDEV] = "evdev",
	[RB_BUTTONS_BACKEND_FIFO] = "fifo",
	[RB_BUTTONS_BACKEND_NONE] = "none",
	NULL,
};
static const char *const display_backend_names[] = {
	[RB_DISPLAY_BACKEND_SSD1306] = "ssd1306",
	[RB_DISPLAY_BACKEND_HD44780] = "hd44780",
	[RB_DISPLAY_BACKEND_FILE] = "file",
	[RB_DISPLAY_BACKEND_NONE] = "none",
	NULL,
};
static const char *const bias_names[] = {"pull-up", "pull-down", "disable",
					 "as-is", NULL};
static const char *const bool_names[] = {"true", "false", NULL};

/* Key names accepted besides numbers for the evdev key codes. */
typedef struct {
	const char *name;
	unsigned int code;
} KeyName;

#define K(n)                                                                   \
	{                                                                      \
#n, n                                                          \
	}
static const KeyName key_names[] = {
	K(KEY_ESC),   K(KEY_1),	    K(KEY_2),	      K(KEY_3),
	K(KEY_4),     K(KEY_5),	    K(KEY_6),	      K(KEY_7),
	K(KEY_8),     K(KEY_9),	    K(KEY_0),	      K(KEY_ENTER),
	K(KEY_SPACE), K(KEY_TAB),   K(KEY_BACKSPACE), K(KEY_A),
	K(KEY_B),     K(KEY_C),	    K(KEY_D),	      K(KEY_E),
	K(KEY_F),     K(KEY_G),	    K(KEY_H),	      K(KEY_I),
	K(KEY_J),     K(KEY_K),	    K(KEY_L),	      K(KEY_M),
	K(KEY_N),     K(KEY_O),	    K(KEY_P),	      K(KEY_Q),
	K(KEY_R),     K(KEY_S),	    K(KEY_T),	      K(KEY_U),
	K(KEY_V),     K(KEY_W),	    K(KEY_X),	      K(KEY_Y),
	K(KEY_Z),     K(KEY_F1),    K(KEY_F2),	      K(KEY_F3),
	K(KEY_F4),    K(KEY_F5),    K(KEY_F6),	      K(KEY_F7),
	K(KEY_F8),    K(KEY_F9),    K(KEY_F10),	      K(KEY_F11),
	K(KEY_F12),   K(KEY_UP),    K(KEY_DOWN),      K(KEY_LEFT),
	K(KEY_RIGHT), K(KEY_PROG1), K(KEY_PROG2),     K(KEY_PROG3),
	K(KEY_PROG4), K(BTN_0),	    K(BTN_1),	      K(BTN_2),
	K(BTN_3),     K(BTN_4),	    K(BTN_5),	      K(BTN_6),
	K(BTN_7),     K(BTN_8),	    K(BTN_9),
};
#undef K

typedef enum {
	KEY_KIND_SETTING = 0,
	KEY_KIND_BOOL,
	KEY_KIND_ADAPTER,
	KEY_KIND_BUTTONS_BACKEND,
	KEY_KIND_TOKEN,
	KEY_KIND_BIAS,
	KEY_KIND_GPIO_LINE,
	KEY_KIND_KEYCODE,
	KEY_KIND_PATH,
	KEY_KIND_OPT_PATH,
	KEY_KIND_DISPLAY_BACKEND,
	KEY_KIND_I2C_ADDRESS,
	KEY_KIND_WIDTH,
	KEY_KIND_HEIGHT,
} KeyKind;

typedef struct {
	const char *group;
	const char *key;
	KeyKind kind;
	size_t offset; /* of the field in RbDaemonConfig */
	unsigned int index; /* setting or button */
} KeyDef;

#define OFF(f) offsetof(RbDaemonConfig, f)
static const KeyDef key_defs[] = {
	{"Policy", "PairingTimeoutMs", KEY_KIND_SETTING, 0,
	 RB_SETTING_PAIRING_TIMEOUT_MS},
	{"Policy", "PinFailureLimit", KEY_KIND_SETTING, 0,
	 RB_SETTING_PIN_FAILURE_LIMIT},
	{"Policy", "PinLockoutMs", KEY_KIND_SETTING, 0,
	 RB_SETTING_PIN_LOCKOUT_MS},
	{"Policy", "StaleBondWindowMs", KEY_KIND_SETTING, 0,
	 RB_SETTING_STALE_BOND_WINDOW_MS},
	{"Policy", "StaleBondStrikes", KEY_KIND_SETTING, 0,
	 RB_SETTING_STALE_BOND_STRIKES},
	{"Policy", "AllowLegacyKeys", KEY_KIND_BOOL,
	 OFF(policy.allow_legacy_keys), 0},
	{"Policy", "AllowRemotePairingMode", KEY_KIND_BOOL,
	 OFF(policy.allow_remote_pairing_mode), 0},
	{"API", "Group", KEY_KIND_TOKEN, OFF(api_group), 0},
	{"Adapter", "Name", KEY_KIND_ADAPTER, OFF(adapter), 0},
	{"Buttons", "Backend", KEY_KIND_BUTTONS_BACKEND, 0, 0},
	{"Buttons", "Chip", KEY_KIND_TOKEN, OFF(gpio_chip), 0},
	{"Buttons", "QuizzerReset", KEY_KIND_GPIO_LINE, 0,
	 RB_BUTTON_QUIZZER_RESET},
	{"Buttons", "TimerReset", KEY_KIND_GPIO_LINE, 0, RB_BUTTON_TIMER_RESET},
	{"Buttons", "Timer530", KEY_KIND_GPIO_LINE, 0, RB_BUTTON_TIMER_530},
	{"Buttons", "Contest", KEY_KIND_GPIO_LINE, 0, RB_BUTTON_CONTEST},
	{"Buttons", "ActiveLow", KEY_KIND_BOOL, OFF(gpio_active_low), 0},
	{"Buttons", "Bias", KEY_KIND_BIAS, OFF(gpio_bias), 0},
	{"Buttons", "EvdevDevice", KEY_KIND_OPT_PATH, OFF(evdev_device), 0},
	{"Buttons", "QuizzerResetKey", KEY_KIND_KEYCODE, 0,
	 RB_BUTTON_QUIZZER_RESET},
	{"Buttons", "TimerResetKey", KEY_KIND_KEYCODE, 0,
	 RB_BUTTON_TIMER_RESET},
	{"Buttons", "Timer530Key", KEY_KIND_KEYCODE, 0, RB_BUTTON_TIMER_530},
	{"Buttons", "ContestKey", KEY_KIND_KEYCODE, 0, RB_BUTTON_CONTEST},
	{"Buttons", "Grab", KEY_KIND_BOOL, OFF(evdev_grab), 0},
	{"Buttons", "FifoPath", KEY_KIND_PATH, OFF(fifo_path), 0},
	{"Display", "Backend", KEY_KIND_DISPLAY_BACKEND, 0, 0},
	{"Display", "I2cBus", KEY_KIND_PATH, OFF(i2c_bus), 0},
	{"Display", "Address", KEY_KIND_I2C_ADDRESS, 0, 0},
	{"Display", "Width", KEY_KIND_WIDTH, 0, 0},
	{"Display", "Height", KEY_KIND_HEIGHT, 0, 0},
	{"Display", "File", KEY_KIND_PATH, OFF(display_file), 0},
};
#undef OFF

static const char *const group_names[] = {"Policy",  "Adapter", "Buttons",
					  "Display", "API",	NULL};

#define I2C_ADDRESS_MIN 0x03
#define I2C_ADDRESS_MAX 0x77
#define GPIO_OFFSET_MAX 1023
#define NAME_MAX_LEN 63

/* One line of the raw text: a group header or a key. */
typedef struct {
	unsigned int line;
	char *group;
	char *key; /* NULL for a group header */
	char *raw; /* the value as written */
} ScanEntry;

static void scan_entry_free(gpointer p)
{
	ScanEntry *e = p;

	g_free(e->group);
	g_free(e->key);
	g_free(e->raw);
	g_free(e);
}

/*
 * Splits @data into lines the way GKeyFile does and returns the group
 * headers and keys with their line numbers. Sets *bad_line to the first line
 * that is neither blank, comment, group nor key (0 if none).
 */
static GPtrArray *scan_lines(const char *data, gsize len,
			     unsigned int *bad_line)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func(scan_entry_free);
	g_autofree char *group = NULL;
	unsigned int lineno = 0;
	gsize pos = 0;

	*bad_line = 0;
	while (pos < len) {
		const char *start = data + pos;
		const char *nl = memchr(start, '\n', len - pos);
		gsize n = nl ? (gsize)(nl - start) : len - pos;
		g_autofree char *line = g_strndup(start, n);
		char *s = line;
		char *eq;

		pos += n + 1;
		lineno++;
		if (strlen(line) != n) {
			/* A NUL byte inside the line. */
			if (!*bad_line)
				*bad_line = lineno;
			continue;
		}
		g_strchomp(s);
		while (g_ascii_isspace(*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[') {
			char *end = strrchr(s, ']');
			ScanEntry *e;

			if (!end || end == s + 1 || end[1] != '\0') {
				if (!*bad_line)
					*bad_line = lineno;
				continue;
			}
			g_free(group);
			group = g_strndup(s + 1, (gsize)(end - s - 1));
			e = g_new0(ScanEntry, 1);
			e->line = lineno;
			e->group = g_strdup(group);
			g_ptr_array_add(entries, e);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || eq == s || !group) {
			if (!*bad_line)
				*bad_line = lineno;
			continue;
		}
		{
			ScanEntry *e = g_new0(ScanEntry, 1);

			e->line = lineno;
			e->group = g_strdup(group);
			e->key = g_strchomp(g_strndup(s, (gsize)(eq - s)));
			e->raw = g_strchug(g_strdup(eq + 1));
			g_ptr_array_add(entries, e);
		}
	}
	return entries;
}

static const KeyDef *find_key(const char *group, const char *key)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(key_defs); i++) {
		if (strcmp(key_defs[i].group, group) == 0 &&
		    strcmp(key_defs[i].key, key) == 0)
			return &key_defs[i];
	}
	return NULL;
}

static bool known_group(const char *group)
{
	return g_strv_contains(group_names, group);
}

static char *join_names(const char *const *names)
{
	return g_strjoinv(", ", (char **)names);
}

static char *group_keys(const char *group)
{
	GString *s = g_string_new(NULL);

	for (unsigned int i = 0; i < G_N_ELEMENTS(key_defs); i++) {
		if (strcmp(key_defs[i].group, group) != 0)
			continue;
		if (s->len)
			g_string_append(s, ", ");
		g_string_append(s, key_defs[i].key);
	}
	return g_string_free(s, FALSE);
}

/* The allowed values of a key, for error messages. */
static char *allowed_text(const KeyDef *def, RbDisplayBackend backend)
{
	switch (def->kind) {
	case KEY_KIND_SETTING:
		return g_strdup_printf("%u..%u", settings[def->index].min,
				       settings[def->index].max);
	case KEY_KIND_BOOL:
		return join_names(bool_names);
	case KEY_KIND_ADAPTER:
		return g_strdup("hciN, or empty for the first adapter");
	case KEY_KIND_BUTTONS_BACKEND:
		return join_names(buttons_backend_names);
	case KEY_KIND_TOKEN:
		return g_strdup("a name without spaces, like gpiochip0");
	case KEY_KIND_BIAS:
		return join_names(bias_names);
	case KEY_KIND_GPIO_LINE:
		return g_strdup_printf(
			"a line name like GPIO17 or an offset 0..%u",
			GPIO_OFFSET_MAX);
	case KEY_KIND_KEYCODE:
		return g_strdup_printf("a key code 1..%u or a name like KEY_F1",
				       KEY_MAX);
	case KEY_KIND_PATH:
		return g_strdup("an absolute path");
	case KEY_KIND_OPT_PATH:
		return g_strdup("an absolute path, or empty");
	case KEY_KIND_DISPLAY_BACKEND:
		return join_names(display_backend_names);
	case KEY_KIND_I2C_ADDRESS:
		return g_strdup_printf("0x%02x..0x%02x", I2C_ADDRESS_MIN,
				       I2C_ADDRESS_MAX);
	case KEY_KIND_WIDTH:
	case KEY_KIND_HEIGHT: {
		GString *s = g_string_new(NULL);

		for (const DisplaySize *z = display_sizes(backend); z->width;
		     z++)
			g_string_append_printf(s, "%s%ux%u", s->len ? ", " : "",
					       z->width, z->height);
		return g_string_free(s, FALSE);
	}
	}
	return g_strdup("?");
}

/*
 * Strict unsigned decimal: digits only, no sign. Sets *overflow and returns
 * true with UINT64_MAX when it does not fit.
 */
static bool parse_decimal(const char *s, uint64_t *out, bool *overflow)
{
	uint64_t v = 0;

	*overflow = false;
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*overflow = true;
			v = UINT64_MAX;
			for (; *s; s++) {
				if (*s < '0' || *s > '9')
					return false;
			}
			break;
		}
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Strict hex "0x.." (case-insensitive) or decimal. */
static bool parse_number(const char *s, uint64_t *out, bool *overflow)
{
	uint64_t v = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_decimal(s, out, overflow);
	*overflow = false;
	s += 2;
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = g_ascii_xdigit_value(*s);

		if (d < 0)
			return false;
		if (v > (UINT64_MAX >> 4))
			*overflow = true;
		v = (v << 4) | (unsigned int)d;
	}
	*out = *overflow ? UINT64_MAX : v;
	return true;
}

static int name_index(const char *const *names, const char *value)
{
	for (int i = 0; names[i]; i++) {
		if (strcmp(names[i], value) == 0)
			return i;
	}
	return -1;
}

static bool is_token(const char *s)
{
	if (!*s || strlen(s) > NAME_MAX_LEN)
		return false;
	for (; *s; s++) {
		if (!g_ascii_isalnum(*s) && !strchr("_-.:/", *s))
			return false;
	}
	return true;
}

static bool is_abs_path(const char *s)
{
	if (s[0] != '/' || strlen(s) > 4095)
		return false;
	for (; *s; s++) {
		if (g_ascii_iscntrl(*s))
			return false;
	}
	return true;
}

typedef enum {
	VERDICT_OK = 0,
	VERDICT_MALFORMED,
	VERDICT_RANGE,
} Verdict;

typedef struct {
	bool set;
	unsigned int line;
	unsigned int value;
	char *raw;
} SizeKey;

/* Parses @value for @def into @cfg. */
static Verdict parse_value(RbDaemonConfig *cfg, const KeyDef *def,
			   const char *value, SizeKey *width, SizeKey *height)
{
	uint64_t n = 0;
	bool overflow = false;
	int idx;

	switch (def->kind) {
	case KEY_KIND_SETTING:
		if (!parse_decimal(value, &n, &overflow))
			return VERDICT_MALFORMED;
		if (overflow || n < settings[def->index].min ||
		    n > settings[def->index].max)
			return VERDICT_RANGE;
		cfg->policy.value[def->index] = (uint32_t)n;
		return VERDICT_OK;
	case KEY_KIND_BOOL:
		idx = name_index(bool_names, value);
		if (idx < 0)
			return VERDICT_MALFORMED;
		G_STRUCT_MEMBER(bool, cfg, def->offset) = idx == 0;
		return VERDICT_OK;
	case KEY_KIND_ADAPTER:
		if (*value == '\0') {
			g_clear_pointer(&cfg->adapter, g_free);
			return VERDICT_OK;
		}
		if (!g_str_has_prefix(value, "hci") ||
		    !parse_decimal(value + 3, &n, &overflow) || overflow ||
		    n > 65535 || (value[3] == '0' && value[4] != '\0'))
			return VERDICT_MALFORMED;
		g_free(cfg->adapter);
		cfg->adapter = g_strdup(value);
		return VERDICT_OK;
	case KEY_KIND_BUTTONS_BACKEND:
		idx = name_index(buttons_backend_names, value);
		if (idx < 0)
			return VERDICT_MALFORMED;
		cfg->buttons_backend = (RbButtonsBackend)idx;
		return VERDICT_OK;
	case KEY_KIND_TOKEN:
		if (!is_token(value))
			return VERDICT_MALFORMED;
		break;
	case KEY_KIND_BIAS:
		if (name_index(bias_names, value) < 0)
			return VERDICT_MALFORMED;
		break;
	case KEY_KIND_GPIO_LINE:
		if (g_ascii_isdigit(value[0])) {
			if (!parse_decimal(value, &n, &overflow))
				return VERDICT_MALFORMED;
			if (overflow || n > GPIO_OFFSET_MAX)
				return VERDICT_RANGE;
		} else if (!is_token(value)) {
			return VERDICT_MALFORMED;
		}
		g_free(cfg->gpio_lines[def->index]);
		cfg->gpio_lines[def->index] = g_strdup(value);
		return VERDICT_OK;
	case KEY_KIND_KEYCODE:
		if (g_ascii_isdigit(value[0])) {
			if (!parse_decimal(value, &n, &overflow))
				return VERDICT_MALFORMED;
			if (overflow || n < 1 || n > KEY_MAX)
				return VERDICT_RANGE;
			cfg->evdev_keys[def->index] = (unsigned int)n;
			return VERDICT_OK;
		}
		for (unsigned int i = 0; i < G_N_ELEMENTS(key_names); i++) {
			if (strcmp(key_names[i].name, value) == 0) {
				cfg->evdev_keys[def->index] = key_names[i].code;
				return VERDICT_OK;
			}
		}
		return VERDICT_MALFORMED;
	case KEY_KIND_PATH:
		if (!is_abs_path(value))
			return VERDICT_MALFORMED;
		break;
	case KEY_KIND_OPT_PATH:
		if (*value == '\0') {
			g_clear_pointer(
				&G_STRUCT_MEMBER(char *, cfg, def->offset),
				g_free);
			return VERDICT_OK;
		}
		if (!is_abs_path(value))
			return VERDICT_MALFORMED;
		break;
	case KEY_KIND_DISPLAY_BACKEND:
		idx = name_index(display_backend_names, value);
		if (idx < 0)
			return VERDICT_MALFORMED;
		cfg->display_backend = (RbDisplayBackend)idx;
		return VERDICT_OK;
	case KEY_KIND_I2C_ADDRESS:
		if (!parse_number(value, &n, &overflow))
			return VERDICT_MALFORMED;
		if (overflow || n < I2C_ADDRESS_MIN || n > I2C_ADDRESS_MAX)
			return VERDICT_RANGE;
		cfg->i2c_address = (unsigned int)n;
		return VERDICT_OK;
	case KEY_KIND_WIDTH:
	case KEY_KIND_HEIGHT: {
		SizeKey *k = def->kind == KEY_KIND_WIDTH ? width : height;

		if (!parse_decimal(value, &n, &overflow))
			return VERDICT_MALFORMED;
		if (overflow || n == 0 || n > 4096)
			return VERDICT_RANGE;
		k->set = true;
		k->value = (unsigned int)n;
		return VERDICT_OK;
	}
	}
	/* The string kinds that passed their check. */
	g_free(G_STRUCT_MEMBER(char *, cfg, def->offset));
	G_STRUCT_MEMBER(char *, cfg, def->offset) = g_strdup(value);
	return VERDICT_OK;
}

static void set_value_error(GError **error, const char *path, unsigned int line,
			    const KeyDef *def, const char *raw,
			    const char *problem, RbDisplayBackend backend,
			    int code)
{
	g_autofree char *allowed = allowed_text(def, backend);
	g_autofree char *shown = g_strescape(raw, NULL);

	g_set_error(error, RB_ERROR, code, "%s:%u: [%s] %s=%s: %s (allowed %s)",
		    path, line, def->group, def->key, shown, problem, allowed);
}

/*
 * Fills in the display size: a size the file gives must be one of the
 * backend's, a missing half is completed from the backend's list.
 */
static bool resolve_display_size(RbDaemonConfig *cfg, const char *path,
				 const SizeKey *width, const SizeKey *height,
				 GError **error)
{
	const DisplaySize *sizes = display_sizes(cfg->display_backend);
	const char *bname = display_backend_names[cfg->display_backend];
	const SizeKey *bad;
	const KeyDef *def;
	g_autofree char *problem = NULL;

	if (!width->set && !height->set) {
		for (const DisplaySize *z = sizes; z->width; z++) {
			if (z->width == cfg->display_width &&
			    z->height == cfg->display_height)
				return true;
		}
		cfg->display_width = sizes[0].width;
		cfg->display_height = sizes[0].height;
		return true;
	}
	for (const DisplaySize *z = sizes; z->width; z++) {
		if ((!width->set || z->width == width->value) &&
		    (!height->set || z->height == height->value)) {
			cfg->display_width = z->width;
			cfg->display_height = z->height;
			return true;
		}
	}
	/* Blame the later of the two lines given. */
	bad = width->set ? width : height;
	if (width->set && height->set && height->line > width->line)
		bad = height;
	def = find_key("Display", bad == width ? "Width" : "Height");
	problem = g_strdup_printf("not a size of the %s display", bname);
	set_value_error(error, path, bad->line, def, bad->raw, problem,
			cfg->display_backend, RB_ERROR_RANGE);
	return false;
}

static bool parse_into(RbDaemonConfig *cfg, const char *path, const char *data,
		       gsize len, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	g_autoptr(GHashTable) seen = NULL;
	SizeKey width = {0}, height = {0};
	unsigned int bad_line = 0;
	bool ok = false;

	entries = scan_lines(data, len, &bad_line);
	if (memchr(data, '\0', len)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s:%u: contains a NUL byte", path, bad_line);
		return false;
	}
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE,
				       &local)) {
		if (bad_line)
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s:%u: %s", path, bad_line,
				    local->message);
		else
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID, "%s: %s",
				    path, local->message);
		return false;
	}

	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (unsigned int i = 0; i < entries->len; i++) {
		const ScanEntry *e = entries->pdata[i];
		const KeyDef *def;
		g_autofree char *raw = NULL;
		g_autofree char *value = NULL;
		g_autofree char *id = NULL;
		gpointer first;
		Verdict v;

		if (!known_group(e->group)) {
			g_autofree char *names = join_names(group_names);

			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s:%u: [%s]: unknown group (allowed %s)",
				    path, e->line, e->group, names);
			goto out;
		}
		if (!e->key)
			continue;
		raw = g_strdup(e->raw);
		def = find_key(e->group, e->key);
		if (!def) {
			g_autofree char *keys = group_keys(e->group);
			g_autofree char *shown = g_strescape(raw, NULL);

			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s:%u: [%s] %s=%s: unknown key "
				    "(allowed %s)",
				    path, e->line, e->group, e->key, shown,
				    keys);
			goto out;
		}
		id = g_strdup_printf("%s\n%s", e->group, e->key);
		first = g_hash_table_lookup(seen, id);
		if (first) {
			g_autofree char *shown = g_strescape(raw, NULL);

			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s:%u: [%s] %s=%s: duplicate key "
				    "(first set on line %u)",
				    path, e->line, e->group, e->key, shown,
				    GPOINTER_TO_UINT(first));
			goto out;
		}
		g_hash_table_insert(seen, g_steal_pointer(&id),
				    GUINT_TO_POINTER(e->line));

		value = g_key_file_get_string(kf, e->group, e->key, NULL);
		if (!value) {
			set_value_error(error, path, e->line, def, raw,
					"not valid UTF-8", cfg->display_backend,
					RB_ERROR_INVALID);
			goto out;
		}
		g_strstrip(value);
		v = parse_value(cfg, def, value, &width, &height);
		switch (v) {
		case VERDICT_OK:
			break;
		case VERDICT_MALFORMED:
			set_value_error(error, path, e->line, def, raw,
					"invalid value", cfg->display_backend,
					RB_ERROR_INVALID);
			goto out;
		case VERDICT_RANGE:
			set_value_error(error, path, e->line, def, raw,
					"out of range", cfg->display_backend,
					RB_ERROR_RANGE);
			goto out;
		}
		if (def->kind == KEY_KIND_WIDTH) {
			width.line = e->line;
			width.raw = g_strdup(raw);
		} else if (def->kind == KEY_KIND_HEIGHT) {
			height.line = e->line;
			height.raw = g_strdup(raw);
		}
	}
	ok = resolve_display_size(cfg, path, &width, &height, error);
out:
	g_free(width.raw);
	g_free(height.raw);
	return ok;
}

bool rb_daemon_config_parse(RbDaemonConfig *cfg, const char *path,
			    const char *data, gsize len, GError **error)
{
	RbDaemonConfig tmp;

	g_return_val_if_fail(cfg != NULL, false);
	g_return_val_if_fail(data != NULL || len == 0, false);
	if (!path)
		path = "(config)";
	if (!data)
		data = "";

	daemon_config_copy(&tmp, cfg);
	if (!parse_into(&tmp, path, data, len, error)) {
		rb_daemon_config_clear(&tmp);
		return false;
	}
	rb_daemon_config_clear(cfg);
	*cfg = tmp;
	return true;
}
