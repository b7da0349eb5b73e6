// SPDX-License-Identifier: GPL-2.0-or-later
#include <check.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"

#define PATH "/etc/reaction-boxd/reaction-boxd.conf"

/* Every field of the config as "name=value" lines, to compare configs. */
static char *dump(const RbDaemonConfig *c)
{
	GString *s = g_string_new(NULL);

	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		g_string_append_printf(s, "%s=%u\n",
				       rb_setting_info((RbSetting)i)->key,
				       c->policy.value[i]);
	g_string_append_printf(s, "allow_legacy_keys=%d\n",
			       c->policy.allow_legacy_keys);
	g_string_append_printf(s, "adapter=%s\n", c->adapter ? c->adapter : "");
	g_string_append_printf(s, "buttons_backend=%d\n", c->buttons_backend);
	g_string_append_printf(s, "gpio_chip=%s\n", c->gpio_chip);
	for (unsigned int i = 0; i < 4; i++)
		g_string_append_printf(s, "gpio_lines[%u]=%s\n", i,
				       c->gpio_lines[i]);
	g_string_append_printf(s, "gpio_active_low=%d\n", c->gpio_active_low);
	g_string_append_printf(s, "gpio_bias=%s\n", c->gpio_bias);
	g_string_append_printf(s, "evdev_device=%s\n",
			       c->evdev_device ? c->evdev_device : "");
	for (unsigned int i = 0; i < 4; i++)
		g_string_append_printf(s, "evdev_keys[%u]=%u\n", i,
				       c->evdev_keys[i]);
	g_string_append_printf(s, "evdev_grab=%d\n", c->evdev_grab);
	g_string_append_printf(s, "fifo_path=%s\n", c->fifo_path);
	g_string_append_printf(s, "display_backend=%d\n", c->display_backend);
	g_string_append_printf(s, "i2c_bus=%s\n", c->i2c_bus);
	g_string_append_printf(s, "i2c_address=%u\n", c->i2c_address);
	g_string_append_printf(s, "display_size=%ux%u\n", c->display_width,
			       c->display_height);
	g_string_append_printf(s, "display_file=%s\n", c->display_file);
	return g_string_free(s, FALSE);
}

/* The value of one field from dump(), e.g. field(c, "gpio_chip"). */
static char *field(const RbDaemonConfig *c, const char *name)
{
	g_autofree char *all = dump(c);
	g_autofree char *needle = g_strdup_printf("\n%s=", name);
	g_autofree char *text = g_strconcat("\n", all, NULL);
	const char *p = strstr(text, needle);
	const char *end;

	ck_assert_msg(p != NULL, "no field %s", name);
	p += strlen(needle);
	end = strchr(p, '\n');
	return g_strndup(p, (gsize)(end - p));
}

START_TEST(test_settings_table)
{
	static const RbSettingInfo want[RB_SETTING_COUNT] = {
		{"PairingTimeoutMs", "pairing_timeout_ms", 60000, 5000, 600000},
		{"PinFailureLimit", "pin_failure_limit", 3, 1, 10},
		{"PinLockoutMs", "pin_lockout_ms", 300000, 5000, 86400000},
		{"StaleBondWindowMs", "stale_bond_window_ms", 3000, 500, 30000},
		{"StaleBondStrikes", "stale_bond_strikes", 2, 1, 10},
	};

	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		const RbSettingInfo *got = rb_setting_info((RbSetting)i);

		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got->key, want[i].key);
		ck_assert_str_eq(got->field, want[i].field);
		ck_assert_uint_eq(got->def, want[i].def);
		ck_assert_uint_eq(got->min, want[i].min);
		ck_assert_uint_eq(got->max, want[i].max);
	}
	ck_assert_ptr_null(rb_setting_info((RbSetting)RB_SETTING_COUNT));
}
END_TEST

static const char *const default_dump =
	"PairingTimeoutMs=60000\nPinFailureLimit=3\nPinLockoutMs=300000\n"
	"StaleBondWindowMs=3000\nStaleBondStrikes=2\nallow_legacy_keys=0\n"
	"adapter=\nbuttons_backend=0\ngpio_chip=gpiochip0\n"
	"gpio_lines[0]=GPIO17\ngpio_lines[1]=GPIO27\ngpio_lines[2]=GPIO22\n"
	"gpio_lines[3]=GPIO23\ngpio_active_low=1\ngpio_bias=pull-up\n"
	"evdev_device=\nevdev_keys[0]=59\nevdev_keys[1]=60\n"
	"evdev_keys[2]=61\nevdev_keys[3]=62\nevdev_grab=0\n"
	"fifo_path=/run/reaction-boxd/buttons\ndisplay_backend=0\n"
	"i2c_bus=/dev/i2c-1\ni2c_address=60\ndisplay_size=128x64\n"
	"display_file=/run/reaction-boxd/screen\n";

START_TEST(test_defaults)
{
	RbDaemonConfig c;
	g_autofree char *d = NULL;

	rb_daemon_config_init_defaults(&c);
	d = dump(&c);
	ck_assert_str_eq(d, default_dump);
	rb_daemon_config_clear(&c);
	ck_assert_ptr_null(c.gpio_chip);
	rb_daemon_config_clear(&c); /* twice is harmless */
}
END_TEST

/* An empty file and one of comments only give the defaults. */
static const char *const empty_files[] = {
	"",
	"\n\n   \n",
	"# only a comment\n[Policy]\n# PinFailureLimit=5\n",
	"[Policy]\n[Adapter]\n[Buttons]\n[Display]\n",
};

START_TEST(test_empty)
{
	RbDaemonConfig c;
	g_autoptr(GError) error = NULL;
	g_autofree char *d = NULL;
	const char *text = empty_files[_i];

	rb_daemon_config_init_defaults(&c);
	ck_assert_msg(
		rb_daemon_config_parse(&c, PATH, text, strlen(text), &error),
		"%s", error ? error->message : "");
	d = dump(&c);
	ck_assert_str_eq(d, default_dump);
	rb_daemon_config_clear(&c);
}
END_TEST

/* Valid files: the field named and its value after parsing. */
typedef struct {
	const char *text;
	const char *field;
	const char *value;
} ValidCase;

static const ValidCase valid_cases[] = {
	{"[Policy]\nPairingTimeoutMs=5000\n", "PairingTimeoutMs", "5000"},
	{"[Policy]\nPairingTimeoutMs=600000\n", "PairingTimeoutMs", "600000"},
	{"[Policy]\nPinFailureLimit=1\n", "PinFailureLimit", "1"},
	{"[Policy]\nPinFailureLimit=10\n", "PinFailureLimit", "10"},
	{"[Policy]\nPinLockoutMs=5000\n", "PinLockoutMs", "5000"},
	{"[Policy]\nPinLockoutMs=86400000\n", "PinLockoutMs", "86400000"},
	{"[Policy]\nStaleBondWindowMs=500\n", "StaleBondWindowMs", "500"},
	{"[Policy]\nStaleBondWindowMs=30000\n", "StaleBondWindowMs", "30000"},
	{"[Policy]\nStaleBondStrikes=1\n", "StaleBondStrikes", "1"},
	{"[Policy]\nStaleBondStrikes=10\n", "StaleBondStrikes", "10"},
	/* whitespace around '=' and leading zeros */
	{"[Policy]\n  PinFailureLimit =  7  \n", "PinFailureLimit", "7"},
	{"[Policy]\nPinFailureLimit=007\n", "PinFailureLimit", "7"},
	{"[Policy]\r\nPinFailureLimit=4\r\n", "PinFailureLimit", "4"},
	{"[Policy]\nAllowLegacyKeys=true\n", "allow_legacy_keys", "1"},
	{"[Policy]\nAllowLegacyKeys=false\n", "allow_legacy_keys", "0"},
	{"[Adapter]\nName=hci1\n", "adapter", "hci1"},
	{"[Adapter]\nName=\n", "adapter", ""},
	{"[Buttons]\nBackend=evdev\n", "buttons_backend", "1"},
	{"[Buttons]\nBackend=fifo\n", "buttons_backend", "2"},
	{"[Buttons]\nBackend=none\n", "buttons_backend", "3"},
	{"[Buttons]\nBackend=gpiod\n", "buttons_backend", "0"},
	{"[Buttons]\nChip=gpiochip4\n", "gpio_chip", "gpiochip4"},
	{"[Buttons]\nChip=pinctrl-bcm2711\n", "gpio_chip", "pinctrl-bcm2711"},
	{"[Buttons]\nQuizzerReset=GPIO5\n", "gpio_lines[0]", "GPIO5"},
	{"[Buttons]\nTimerReset=6\n", "gpio_lines[1]", "6"},
	{"[Buttons]\nTimer530=1023\n", "gpio_lines[2]", "1023"},
	{"[Buttons]\nContest=GPIO26\n", "gpio_lines[3]", "GPIO26"},
	{"[Buttons]\nActiveLow=false\n", "gpio_active_low", "0"},
	{"[Buttons]\nBias=pull-down\n", "gpio_bias", "pull-down"},
	{"[Buttons]\nBias=disable\n", "gpio_bias", "disable"},
	{"[Buttons]\nBias=as-is\n", "gpio_bias", "as-is"},
	{"[Buttons]\nEvdevDevice=/dev/input/event3\n", "evdev_device",
	 "/dev/input/event3"},
	{"[Buttons]\nEvdevDevice=\n", "evdev_device", ""},
	{"[Buttons]\nQuizzerResetKey=KEY_A\n", "evdev_keys[0]", "30"},
	{"[Buttons]\nTimerResetKey=2\n", "evdev_keys[1]", "2"},
	{"[Buttons]\nTimer530Key=767\n", "evdev_keys[2]", "767"},
	{"[Buttons]\nContestKey=KEY_F12\n", "evdev_keys[3]", "88"},
	{"[Buttons]\nContestKey=BTN_0\n", "evdev_keys[3]", "256"},
	{"[Buttons]\nContestKey=1\n", "evdev_keys[3]", "1"},
	{"[Buttons]\nGrab=true\n", "evdev_grab", "1"},
	{"[Buttons]\nFifoPath=/tmp/b\n", "fifo_path", "/tmp/b"},
	{"[Display]\nBackend=file\n", "display_backend", "2"},
	{"[Display]\nBackend=none\n", "display_backend", "3"},
	{"[Display]\nI2cBus=/dev/i2c-3\n", "i2c_bus", "/dev/i2c-3"},
	{"[Display]\nAddress=0x27\n", "i2c_address", "39"},
	{"[Display]\nAddress=0X3D\n", "i2c_address", "61"},
	{"[Display]\nAddress=60\n", "i2c_address", "60"},
	{"[Display]\nAddress=0x03\n", "i2c_address", "3"},
	{"[Display]\nAddress=0x77\n", "i2c_address", "119"},
	{"[Display]\nFile=/tmp/screen\n", "display_file", "/tmp/screen"},
	/* escapes as GKeyFile defines them */
	{"[Display]\nFile=/tmp/a\\sb\n", "display_file", "/tmp/a b"},
	/* display sizes per backend, missing halves completed */
	{"[Display]\nHeight=32\n", "display_size", "128x32"},
	{"[Display]\nWidth=128\nHeight=64\n", "display_size", "128x64"},
	{"[Display]\nBackend=hd44780\n", "display_size", "16x2"},
	{"[Display]\nBackend=hd44780\nWidth=20\n", "display_size", "20x4"},
	{"[Display]\nHeight=4\nBackend=hd44780\n", "display_size", "20x4"},
	{"[Display]\nBackend=hd44780\nWidth=16\nHeight=2\n", "display_size",
	 "16x2"},
	{"[Display]\nBackend=file\nWidth=20\nHeight=4\n", "display_size",
	 "20x4"},
	{"[Display]\nBackend=file\n", "display_size", "128x64"},
	/* a group given twice is one group */
	{"[Policy]\nPinFailureLimit=4\n[Display]\n[Policy]\n"
	 "StaleBondStrikes=5\n",
	 "StaleBondStrikes", "5"},
};

START_TEST(test_valid)
{
	const ValidCase *tc = &valid_cases[_i];
	RbDaemonConfig c;
	g_autoptr(GError) error = NULL;
	g_autofree char *got = NULL;

	rb_daemon_config_init_defaults(&c);
	ck_assert_msg(rb_daemon_config_parse(&c, PATH, tc->text,
					     strlen(tc->text), &error),
		      "%s: %s", tc->text, error ? error->message : "");
	got = field(&c, tc->field);
	ck_assert_msg(strcmp(got, tc->value) == 0, "%s: %s is %s, not %s",
		      tc->text, tc->field, got, tc->value);
	rb_daemon_config_clear(&c);
}
END_TEST

/*
 * Invalid files: the error code and the exact message (PATH:line: ...), or
 * NULL when only a prefix is checked.
 */
typedef struct {
	const char *text;
	int code;
	const char *message;
} InvalidCase;

#define P PATH ":"
static const InvalidCase invalid_cases[] = {
	/* out of range at each boundary */
	{"[Policy]\nPairingTimeoutMs=4999\n", RB_ERROR_RANGE,
	 P "2: [Policy] PairingTimeoutMs=4999: out of range (allowed "
	   "5000..600000)"},
	{"[Policy]\nPairingTimeoutMs=600001\n", RB_ERROR_RANGE,
	 P "2: [Policy] PairingTimeoutMs=600001: out of range (allowed "
	   "5000..600000)"},
	{"[Policy]\nPinFailureLimit=0\n", RB_ERROR_RANGE,
	 P "2: [Policy] PinFailureLimit=0: out of range (allowed 1..10)"},
	{"# comment\n\n[Policy]\n#PinFailureLimit=3\nPinFailureLimit=11\n",
	 RB_ERROR_RANGE,
	 P "5: [Policy] PinFailureLimit=11: out of range (allowed 1..10)"},
	{"[Policy]\nPinLockoutMs=4999\n", RB_ERROR_RANGE,
	 P "2: [Policy] PinLockoutMs=4999: out of range (allowed "
	   "5000..86400000)"},
	{"[Policy]\nPinLockoutMs=86400001\n", RB_ERROR_RANGE,
	 P "2: [Policy] PinLockoutMs=86400001: out of range (allowed "
	   "5000..86400000)"},
	{"[Policy]\nStaleBondWindowMs=499\n", RB_ERROR_RANGE,
	 P "2: [Policy] StaleBondWindowMs=499: out of range (allowed "
	   "500..30000)"},
	{"[Policy]\nStaleBondWindowMs=30001\n", RB_ERROR_RANGE,
	 P "2: [Policy] StaleBondWindowMs=30001: out of range (allowed "
	   "500..30000)"},
	{"[Policy]\nStaleBondStrikes=0\n", RB_ERROR_RANGE,
	 P "2: [Policy] StaleBondStrikes=0: out of range (allowed 1..10)"},
	{"[Policy]\nStaleBondStrikes=11\n", RB_ERROR_RANGE,
	 P "2: [Policy] StaleBondStrikes=11: out of range (allowed 1..10)"},
	{"[Policy]\nPinFailureLimit=99999999999999999999999\n", RB_ERROR_RANGE,
	 P "2: [Policy] PinFailureLimit=99999999999999999999999: out of "
	   "range (allowed 1..10)"},
	{"[Policy]\nPinFailureLimit=4294967299\n", RB_ERROR_RANGE,
	 P "2: [Policy] PinFailureLimit=4294967299: out of range (allowed "
	   "1..10)"},
	/* malformed numbers */
	{"[Policy]\nPinFailureLimit=-1\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=-1: invalid value (allowed 1..10)"},
	{"[Policy]\nPinFailureLimit=+3\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=+3: invalid value (allowed 1..10)"},
	{"[Policy]\nPinFailureLimit=3x\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=3x: invalid value (allowed 1..10)"},
	{"[Policy]\nPinFailureLimit=\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=: invalid value (allowed 1..10)"},
	{"[Policy]\nPinFailureLimit=0x3\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=0x3: invalid value (allowed "
	   "1..10)"},
	{"[Policy]\nPinFailureLimit=3 # three\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=3 # three: invalid value (allowed "
	   "1..10)"},
	{"[Policy]\nPinFailureLimit=3.0\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=3.0: invalid value (allowed "
	   "1..10)"},
	{"[Policy]\nPinFailureLimit=1 2\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit=1 2: invalid value (allowed "
	   "1..10)"},
	{"[Policy]\nAllowLegacyKeys=yes\n", RB_ERROR_INVALID,
	 P "2: [Policy] AllowLegacyKeys=yes: invalid value (allowed true, "
	   "false)"},
	/* unknown keys and groups */
	{"[Policy]\nPinFailureLimit=3\nPinLimit=3\n", RB_ERROR_INVALID,
	 P "3: [Policy] PinLimit=3: unknown key (allowed PairingTimeoutMs, "
	   "PinFailureLimit, PinLockoutMs, StaleBondWindowMs, "
	   "StaleBondStrikes, AllowLegacyKeys, "
	   "AllowRemotePairingMode)"},
	{"[Policy]\npinfailurelimit=3\n", RB_ERROR_INVALID, NULL},
	{"[Policy]\nPinFailureLimit[de]=3\n", RB_ERROR_INVALID,
	 P "2: [Policy] PinFailureLimit[de]=3: unknown key (allowed "
	   "PairingTimeoutMs, PinFailureLimit, PinLockoutMs, "
	   "StaleBondWindowMs, StaleBondStrikes, AllowLegacyKeys, "
	   "AllowRemotePairingMode)"},
	{"[Adapter]\nAddress=hci0\n", RB_ERROR_INVALID,
	 P "2: [Adapter] Address=hci0: unknown key (allowed Name)"},
	{"[Policy]\n\n[Polcy]\nPinFailureLimit=3\n", RB_ERROR_INVALID,
	 P "3: [Polcy]: unknown group (allowed Policy, Adapter, Buttons, "
	   "Display, API)"},
	/* duplicates */
	{"[Policy]\nPinFailureLimit=3\nPinFailureLimit = 4\n", RB_ERROR_INVALID,
	 P "3: [Policy] PinFailureLimit=4: duplicate key (first set on line "
	   "2)"},
	{"[Policy]\nPinFailureLimit=3\n[Display]\n[Policy]\n"
	 "PinFailureLimit=3\n",
	 RB_ERROR_INVALID,
	 P "5: [Policy] PinFailureLimit=3: duplicate key (first set on line "
	   "2)"},
	/* syntax */
	{"PinFailureLimit=3\n", RB_ERROR_INVALID,
	 P "1: Key file does not start with a group"},
	{"[Policy]\nPinFailureLimit 3\n", RB_ERROR_INVALID, P "2: "},
	{"[Policy\nPinFailureLimit=3\n", RB_ERROR_INVALID, P "1: "},
	{"[Policy]x\n", RB_ERROR_INVALID, P "1: "},
	{"[Policy]\n=3\n", RB_ERROR_INVALID, P "2: "},
	/* other values */
	{"[Adapter]\nName=hci\n", RB_ERROR_INVALID,
	 P "2: [Adapter] Name=hci: invalid value (allowed hciN, or empty "
	   "for the first adapter)"},
	{"[Adapter]\nName=eth0\n", RB_ERROR_INVALID, NULL},
	{"[Adapter]\nName=hci01\n", RB_ERROR_INVALID, NULL},
	{"[Adapter]\nName=hci-1\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nBackend=gpio\n", RB_ERROR_INVALID,
	 P "2: [Buttons] Backend=gpio: invalid value (allowed gpiod, evdev, "
	   "fifo, none)"},
	{"[Buttons]\nBackend=GPIOD\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nChip=\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nChip=gpio chip\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nQuizzerReset=\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nQuizzerReset=GPIO 17\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nTimerReset=1024\n", RB_ERROR_RANGE,
	 P "2: [Buttons] TimerReset=1024: out of range (allowed a line name "
	   "like GPIO17 or an offset 0..1023)"},
	{"[Buttons]\nTimerReset=17a\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nActiveLow=1\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nBias=pullup\n", RB_ERROR_INVALID,
	 P "2: [Buttons] Bias=pullup: invalid value (allowed pull-up, "
	   "pull-down, disable, as-is)"},
	{"[Buttons]\nEvdevDevice=event3\n", RB_ERROR_INVALID,
	 P "2: [Buttons] EvdevDevice=event3: invalid value (allowed an "
	   "absolute path, or empty)"},
	{"[Buttons]\nQuizzerResetKey=0\n", RB_ERROR_RANGE,
	 P "2: [Buttons] QuizzerResetKey=0: out of range (allowed a key "
	   "code 1..767 or a name like KEY_F1)"},
	{"[Buttons]\nContestKey=768\n", RB_ERROR_RANGE, NULL},
	{"[Buttons]\nContestKey=KEY_NOPE\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nContestKey=key_f1\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nGrab=maybe\n", RB_ERROR_INVALID, NULL},
	{"[Buttons]\nFifoPath=\n", RB_ERROR_INVALID,
	 P "2: [Buttons] FifoPath=: invalid value (allowed an absolute "
	   "path)"},
	{"[Buttons]\nFifoPath=run/buttons\n", RB_ERROR_INVALID, NULL},
	{"[Display]\nBackend=oled\n", RB_ERROR_INVALID,
	 P "2: [Display] Backend=oled: invalid value (allowed ssd1306, "
	   "hd44780, file, none)"},
	{"[Display]\nI2cBus=i2c-1\n", RB_ERROR_INVALID, NULL},
	{"[Display]\nAddress=0x02\n", RB_ERROR_RANGE,
	 P "2: [Display] Address=0x02: out of range (allowed 0x03..0x77)"},
	{"[Display]\nAddress=0x78\n", RB_ERROR_RANGE,
	 P "2: [Display] Address=0x78: out of range (allowed 0x03..0x77)"},
	{"[Display]\nAddress=2\n", RB_ERROR_RANGE, NULL},
	{"[Display]\nAddress=120\n", RB_ERROR_RANGE, NULL},
	{"[Display]\nAddress=0x\n", RB_ERROR_INVALID, NULL},
	{"[Display]\nAddress=0x3g\n", RB_ERROR_INVALID, NULL},
	{"[Display]\nAddress=0x10000000000000000\n", RB_ERROR_RANGE, NULL},
	{"[Display]\nAddress=-0x3c\n", RB_ERROR_INVALID, NULL},
	{"[Display]\nFile=\n", RB_ERROR_INVALID, NULL},
	/* display sizes per backend */
	{"[Display]\nWidth=100\n", RB_ERROR_RANGE,
	 P "2: [Display] Width=100: not a size of the ssd1306 display "
	   "(allowed 128x64, 128x32)"},
	{"[Display]\nWidth=128\nHeight=48\n", RB_ERROR_RANGE,
	 P "3: [Display] Height=48: not a size of the ssd1306 display "
	   "(allowed 128x64, 128x32)"},
	{"[Display]\nWidth=16\nHeight=2\n", RB_ERROR_RANGE,
	 P "3: [Display] Height=2: not a size of the ssd1306 display "
	   "(allowed 128x64, 128x32)"},
	{"[Display]\nBackend=hd44780\nHeight=64\n", RB_ERROR_RANGE,
	 P "3: [Display] Height=64: not a size of the hd44780 display "
	   "(allowed 16x2, 20x4)"},
	{"[Display]\nBackend=hd44780\nWidth=16\nHeight=4\n", RB_ERROR_RANGE,
	 P "4: [Display] Height=4: not a size of the hd44780 display "
	   "(allowed 16x2, 20x4)"},
	{"[Display]\nWidth=0\n", RB_ERROR_RANGE, NULL},
	{"[Display]\nWidth=wide\n", RB_ERROR_INVALID, NULL},
	{"[Display]\nBackend=file\nWidth=64\n", RB_ERROR_RANGE,
	 P "3: [Display] Width=64: not a size of the file display (allowed "
	   "128x64, 128x32, 16x2, 20x4)"},
	/* the first error wins, later lines are not looked at */
	{"[Policy]\nPinFailureLimit=0\nFoo=1\n", RB_ERROR_RANGE,
	 P "2: [Policy] PinFailureLimit=0: out of range (allowed 1..10)"},
};
#undef P

START_TEST(test_invalid)
{
	static const char start[] =
		"[Policy]\nPinFailureLimit=5\n[Adapter]\nName=hci2\n";
	const InvalidCase *tc = &invalid_cases[_i];
	RbDaemonConfig c;
	g_autoptr(GError) error = NULL;
	g_autofree char *before = NULL;
	g_autofree char *after = NULL;

	rb_daemon_config_init_defaults(&c);
	/* Start from non-defaults so "unchanged" is not "reset". */
	ck_assert(
		rb_daemon_config_parse(&c, PATH, start, strlen(start), &error));
	before = dump(&c);
	ck_assert_msg(!rb_daemon_config_parse(&c, PATH, tc->text,
					      strlen(tc->text), &error),
		      "accepted: %s", tc->text);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(error->domain == RB_ERROR && error->code == tc->code,
		      "%s: code %d, want %d (%s)", tc->text, error->code,
		      tc->code, error->message);
	if (tc->message && g_str_has_suffix(tc->message, ": "))
		ck_assert_msg(g_str_has_prefix(error->message, tc->message),
			      "%s\n  got: %s\n want: %s...", tc->text,
			      error->message, tc->message);
	else if (tc->message)
		ck_assert_str_eq(error->message, tc->message);
	else
		ck_assert_msg(g_str_has_prefix(error->message, PATH ":2: "),
			      "%s: %s", tc->text, error->message);
	after = dump(&c);
	ck_assert_str_eq(after, before);
	rb_daemon_config_clear(&c);
}
END_TEST

/* Each setting at min-1, min, max, max+1. */
START_TEST(test_setting_boundaries)
{
	RbSetting s = (RbSetting)(_i / 4);
	const RbSettingInfo *info = rb_setting_info(s);
	static const int delta[4] = {-1, 0, 0, 1};
	uint32_t v = (_i % 4 < 2 ? info->min : info->max) +
		     (uint32_t)delta[_i % 4];
	bool want_ok = _i % 4 == 1 || _i % 4 == 2;
	RbDaemonConfig c;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf("[Policy]\n%s=%u\n", info->key,
						v);
	bool ok;

	rb_daemon_config_init_defaults(&c);
	ok = rb_daemon_config_parse(&c, PATH, text, strlen(text), &error);
	ck_assert_msg(ok == want_ok, "%s: %s", text,
		      error ? error->message : "accepted");
	if (ok) {
		ck_assert_uint_eq(c.policy.value[s], v);
	} else {
		g_autofree char *want = g_strdup_printf(
			PATH ":2: [Policy] %s=%u: out of range (allowed "
			     "%u..%u)",
			info->key, v, info->min, info->max);

		ck_assert_str_eq(error->message, want);
		ck_assert_uint_eq(c.policy.value[s], info->def);
	}
	rb_daemon_config_clear(&c);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "[Policy]\nPinFailureLimit=4\0junk\n";
	RbDaemonConfig c;
	g_autoptr(GError) error = NULL;

	rb_daemon_config_init_defaults(&c);
	ck_assert(!rb_daemon_config_parse(&c, PATH, text, sizeof(text) - 1,
					  &error));
	ck_assert_str_eq(error->message, PATH ":2: contains a NUL byte");
	ck_assert_uint_eq(c.policy.value[RB_SETTING_PIN_FAILURE_LIMIT], 3);
	rb_daemon_config_clear(&c);
}
END_TEST

/* Parsing onto an earlier config keeps what the file does not set. */
START_TEST(test_layered)
{
	static const char one[] = "[Display]\nBackend=hd44780\nWidth=20\n"
				  "[Policy]\nPinFailureLimit=4\n";
	static const char two[] = "[Display]\nBackend=ssd1306\n";
	RbDaemonConfig c;
	g_autoptr(GError) error = NULL;

	rb_daemon_config_init_defaults(&c);
	ck_assert(rb_daemon_config_parse(&c, PATH, one, strlen(one), &error));
	ck_assert_uint_eq(c.display_width, 20);
	ck_assert_uint_eq(c.display_height, 4);
	ck_assert(rb_daemon_config_parse(&c, PATH, two, strlen(two), &error));
	/* 20x4 is no ssd1306 size: back to the backend's default */
	ck_assert_uint_eq(c.display_width, 128);
	ck_assert_uint_eq(c.display_height, 64);
	ck_assert_uint_eq(c.policy.value[RB_SETTING_PIN_FAILURE_LIMIT], 4);
	rb_daemon_config_clear(&c);
}
END_TEST

/* Partial updates: the whole update or nothing. */
typedef struct {
	const char *name;
	bool has[RB_SETTING_COUNT];
	uint32_t value[RB_SETTING_COUNT];
	bool ok;
	RbSetting bad;
} ApplyCase;

static const ApplyCase apply_cases[] = {
	{"empty", {0}, {0}, true, 0},
	{"one", {false, true}, {0, 7}, true, 0},
	{"all-min",
	 {true, true, true, true, true},
	 {5000, 1, 5000, 500, 1},
	 true,
	 0},
	{"all-max",
	 {true, true, true, true, true},
	 {600000, 10, 86400000, 30000, 10},
	 true,
	 0},
	{"last-bad",
	 {true, true, true, true, true},
	 {6000, 4, 6000, 600, 11},
	 false,
	 RB_SETTING_STALE_BOND_STRIKES},
	{"first-bad",
	 {true, true, false, false, false},
	 {4999, 4},
	 false,
	 RB_SETTING_PAIRING_TIMEOUT_MS},
	{"absent-out-of-range-ignored", {false, true}, {0, 5}, true, 0},
	{"zero",
	 {false, false, true},
	 {0, 0, 0},
	 false,
	 RB_SETTING_PIN_LOCKOUT_MS},
};

START_TEST(test_apply)
{
	const ApplyCase *tc = &apply_cases[_i];
	RbConfigUpdate up;
	RbPolicyConfig cfg, before;
	RbSetting bad = (RbSetting)99;

	memcpy(up.has, tc->has, sizeof(up.has));
	memcpy(up.value, tc->value, sizeof(up.value));
	rb_policy_config_init_defaults(&cfg);
	cfg.allow_legacy_keys = true;
	before = cfg;
	ck_assert_msg(rb_policy_config_apply(&cfg, &up, &bad) == tc->ok, "%s",
		      tc->name);
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		uint32_t want = tc->ok && tc->has[i] ? tc->value[i]
						     : before.value[i];

		ck_assert_uint_eq(cfg.value[i], want);
	}
	ck_assert(cfg.allow_legacy_keys);
	if (!tc->ok)
		ck_assert_int_eq(bad, tc->bad);
	else
		ck_assert_int_eq(bad, 99);
	/* NULL for bad is fine */
	ck_assert(rb_policy_config_apply(&cfg, &up, NULL) == tc->ok);
}
END_TEST

/* The example config in data/ parses and equals the defaults. */
START_TEST(test_example_file)
{
	g_autofree char *path = g_build_filename(SRCDIR, "data",
						 "reaction-boxd.conf", NULL);
	g_autofree char *text = NULL;
	g_autofree char *uncommented = NULL;
	g_autofree char *d = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GRegex) re = NULL;
	gsize len = 0;
	RbDaemonConfig c;

	ck_assert_msg(g_file_get_contents(path, &text, &len, &error), "%s",
		      error ? error->message : "");
	rb_daemon_config_init_defaults(&c);
	ck_assert_msg(rb_daemon_config_parse(&c, path, text, len, &error), "%s",
		      error ? error->message : "");
	d = dump(&c);
	ck_assert_str_eq(d, default_dump);

	/* Every "#Key=default" line, uncommented, still gives the defaults. */
	re = g_regex_new("^#([A-Za-z0-9]+=)", G_REGEX_MULTILINE, 0, NULL);
	uncommented = g_regex_replace(re, text, -1, 0, "\\1", 0, NULL);
	ck_assert_ptr_nonnull(uncommented);
	ck_assert_str_ne(uncommented, text);
	ck_assert_msg(rb_daemon_config_parse(&c, path, uncommented,
					     strlen(uncommented), &error),
		      "%s", error ? error->message : "");
	g_free(d);
	d = dump(&c);
	ck_assert_str_eq(d, default_dump);
	rb_daemon_config_clear(&c);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

#define ADD(name, fn)                                                          \
	tc = tcase_create(name);                                               \
	tcase_add_test(tc, fn);                                                \
	suite_add_tcase(s, tc)
#define ADD_LOOP(name, fn, n)                                                  \
	tc = tcase_create(name);                                               \
	tcase_add_loop_test(tc, fn, 0, (int)(n));                              \
	suite_add_tcase(s, tc)

	ADD("/config/settings/table", test_settings_table);
	ADD("/config/defaults", test_defaults);
	ADD_LOOP("/config/parse/empty", test_empty, G_N_ELEMENTS(empty_files));
	ADD_LOOP("/config/parse/valid", test_valid, G_N_ELEMENTS(valid_cases));
	ADD_LOOP("/config/parse/invalid", test_invalid,
		 G_N_ELEMENTS(invalid_cases));
	ADD_LOOP("/config/parse/setting-boundaries", test_setting_boundaries,
		 RB_SETTING_COUNT * 4);
	ADD("/config/parse/nul-byte", test_nul_byte);
	ADD("/config/parse/layered", test_layered);
	ADD_LOOP("/config/apply", test_apply, G_N_ELEMENTS(apply_cases));
	ADD("/config/example-file", test_example_file);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
