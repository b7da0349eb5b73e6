/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy settings (DeviceConfig), their defaults and valid ranges, and
 * the parsing of the daemon's config file from a string. Pure: the caller
 * reads the file.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
	RB_SETTING_PAIRING_TIMEOUT_MS = 0,
	RB_SETTING_PIN_FAILURE_LIMIT,
	RB_SETTING_PIN_LOCKOUT_MS,
	RB_SETTING_STALE_BOND_WINDOW_MS,
	RB_SETTING_STALE_BOND_STRIKES,
} RbSetting;
#define RB_SETTING_COUNT 5

typedef struct {
	const char
		*key; /* config file key in [Policy], e.g. "PairingTimeoutMs" */
	const char *field; /* protobuf field name, e.g. "pairing_timeout_ms" */
	uint32_t def;
	uint32_t min;
	uint32_t max;
} RbSettingInfo;

const RbSettingInfo *rb_setting_info(RbSetting setting);

/* The policy settings. */
typedef struct {
	uint32_t value[RB_SETTING_COUNT];
	/* Accept authenticated legacy (type 1) LTKs; config file only. */
	bool allow_legacy_keys;
	/* Let root open pairing mode over D-Bus (EnterPairingMode); config
	 * file only, off by default: pairing mode is physical. */
	bool allow_remote_pairing_mode;
} RbPolicyConfig;

/* A partial update: only the settings with has[i] set change. */
typedef struct {
	bool has[RB_SETTING_COUNT];
	uint32_t value[RB_SETTING_COUNT];
} RbConfigUpdate;

void rb_policy_config_init_defaults(RbPolicyConfig *cfg);

/*
 * Applies @update to @cfg only if every present value is in range. On
 * failure @cfg is untouched and *bad (if not NULL) names the first
 * offending setting. Returns true on success.
 */
bool rb_policy_config_apply(RbPolicyConfig *cfg, const RbConfigUpdate *update,
			    RbSetting *bad);

/* Everything the config file holds. */
typedef enum {
	RB_BUTTONS_BACKEND_GPIOD = 0,
	RB_BUTTONS_BACKEND_EVDEV,
	RB_BUTTONS_BACKEND_FIFO,
	RB_BUTTONS_BACKEND_NONE,
} RbButtonsBackend;

typedef enum {
	RB_DISPLAY_BACKEND_SSD1306 = 0,
	RB_DISPLAY_BACKEND_HD44780,
	RB_DISPLAY_BACKEND_FILE,
	RB_DISPLAY_BACKEND_NONE,
} RbDisplayBackend;

typedef struct {
	RbPolicyConfig policy;
	/* [Adapter] */
	char *adapter; /* "hci0", or NULL for the first adapter */
	/* [Buttons] */
	RbButtonsBackend buttons_backend;
	char *gpio_chip; /* e.g. "gpiochip0" */
	char *gpio_lines[4]; /* per RbButton: "GPIO17" or an offset "17" */
	bool gpio_active_low;
	char *gpio_bias; /* "pull-up", "pull-down", "disable", "as-is" */
	char *evdev_device; /* /dev/input/eventN or by-path name */
	unsigned int evdev_keys[4]; /* per RbButton: Linux key code */
	bool evdev_grab;
	char *fifo_path;
	/* [Display] */
	RbDisplayBackend display_backend;
	char *i2c_bus; /* "/dev/i2c-1" */
	unsigned int i2c_address;
	unsigned int display_width, display_height; /* pixels or columns/rows */
	char *display_file; /* file backend: path prefix */
	/* [API] */
	char *api_group; /* may read the properties and register: "reaction" */
} RbDaemonConfig;

void rb_daemon_config_init_defaults(RbDaemonConfig *cfg);
void rb_daemon_config_clear(RbDaemonConfig *cfg);

/*
 * Parses the config file contents @data (GKeyFile syntax) named @path.
 * Unknown groups or keys, malformed values and out-of-range values are
 * errors: the message names the file, line, key, value and allowed range.
 * On error @cfg is left as it was.
 */
bool rb_daemon_config_parse(RbDaemonConfig *cfg, const char *path,
			    const char *data, gsize len, GError **error);
