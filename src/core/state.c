// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The persisted state as GKeyFile text:
 *
 *   [State]     Version=2 [OwnerUnknown=true]
 *   [Owner]     Address= AddressType=public|random KeyType= PairedAt=
 *   [Pin]       Failures= LockoutStart= LockoutBoot= LockoutBootMs=
 *               LockoutMs=
 *   [Overrides] <config key>=<value>
 *   [Stale]     Hint=none|box|phone
 *
 * [Owner] is absent when there is no owner, LockoutStart when there is no
 * lockout; LockoutBoot/LockoutBootMs (the boot id and CLOCK_BOOTTIME at
 * the lockout's start) come with LockoutStart. Version 1 (no boot id, no
 * OwnerUnknown) is read too. Decoding is strict: anything unexpected is corruption, and
 * corruption gives the conservative state. [Stale] is written last and is
 * required, so a file cut short at a group boundary does not decode.
 */
#define G_LOG_DOMAIN "rb-state"

#include <string.h>

#include "core/error.h"
#include "core/state.h"

void rb_state_init(RbState *st)
{
	memset(st, 0, sizeof(*st));
	st->owner_key = RB_KEY_UNKNOWN;
	st->stale = RB_STALE_NONE;
}

void rb_state_init_conservative(RbState *st, int64_t now_wall_ms,
				uint32_t lockout_ms)
{
	rb_state_init(st);
	st->owner_unknown = true;
	st->lockout_active = true;
	st->lockout_start_wall_ms = now_wall_ms;
	st->lockout_ms = lockout_ms;
}

bool rb_state_boot_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n != RB_BOOT_ID_LEN - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? id[i] != '-' : !g_ascii_isxdigit(id[i]))
			return false;
	}
	return true;
}

static const char *stale_name(RbStaleHint hint)
{
	switch (hint) {
	case RB_STALE_NONE:
		return "none";
	case RB_STALE_BOX_HAS_STALE_BOND:
		return "box";
	case RB_STALE_PHONE_HAS_STALE_BOND:
		return "phone";
	}
	return "none";
}

char *rb_state_encode(const RbState *st, gsize *len)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "[State]\nVersion=%d\n",
			       RB_STATE_FORMAT_VERSION);
	if (st->owner_unknown && !st->has_owner)
		g_string_append(s, "OwnerUnknown=true\n");
	if (st->has_owner) {
		g_string_append_printf(
			s,
			"\n[Owner]\nAddress=%s\nAddressType=%s\nKeyType=%u\n"
			"PairedAt=%" G_GINT64_FORMAT "\n",
			st->owner.addr,
			st->owner.type == RB_ADDR_RANDOM ? "random" : "public",
			(unsigned int)st->owner_key, st->owner_paired_wall_ms);
	}
	g_string_append_printf(s, "\n[Pin]\nFailures=%u\n", st->pin_failures);
	if (st->lockout_active) {
		g_string_append_printf(s, "LockoutStart=%" G_GINT64_FORMAT "\n",
				       st->lockout_start_wall_ms);
		if (st->lockout_boot_id[0])
			g_string_append_printf(s,
					       "LockoutBoot=%s\nLockoutBootMs="
					       "%" G_GUINT64_FORMAT "\n",
					       st->lockout_boot_id,
					       st->lockout_start_boot_ms);
	}
	g_string_append_printf(s, "LockoutMs=%u\n", st->lockout_ms);
	g_string_append(s, "\n[Overrides]\n");
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		if (st->overrides.has[i])
			g_string_append_printf(
				s, "%s=%u\n",
				rb_setting_info((RbSetting)i)->key,
				st->overrides.value[i]);
	}
	g_string_append_printf(s, "\n[Stale]\nHint=%s\n",
			       stale_name(st->stale));
	if (len)
		*len = s->len;
	return g_string_free(s, FALSE);
}

/* Strict unsigned decimal within [min..max]. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

typedef struct {
	GKeyFile *kf;
	GError **error;
} Decoder;

/* Fails when @group has a key other than @keys or a key twice. */
static bool check_keys(Decoder *d, const char *group, const char *const *keys)
{
	g_auto(GStrv) have = g_key_file_get_keys(d->kf, group, NULL, NULL);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (unsigned int i = 0; have && have[i]; i++) {
		if (!g_strv_contains(keys, have[i])) {
			g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
				    "[%s] has an unknown key %s", group,
				    have[i]);
			return false;
		}
		if (!g_hash_table_add(seen, have[i])) {
			g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
				    "[%s] has the key %s twice", group,
				    have[i]);
			return false;
		}
	}
	return true;
}

/* Reads a number key; @required says whether it may be missing. */
static bool get_number(Decoder *d, const char *group, const char *key,
		       uint64_t min, uint64_t max, bool required, bool *present,
		       uint64_t *out)
{
	g_autofree char *v = NULL;

	*present = g_key_file_has_key(d->kf, group, key, NULL);
	if (!*present) {
		if (!required)
			return true;
		g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
			    "[%s] %s is missing", group, key);
		return false;
	}
	v = g_key_file_get_value(d->kf, group, key, NULL);
	if (!parse_u64(v, min, max, out)) {
		g_autofree char *shown = g_strescape(v ? v : "", NULL);

		g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
			    "[%s] %s=%s: not a number in %" G_GUINT64_FORMAT
			    "..%" G_GUINT64_FORMAT,
			    group, key, shown, min, max);
		return false;
	}
	return true;
}

static bool get_string(Decoder *d, const char *group, const char *key,
		       char **out)
{
	*out = g_key_file_get_value(d->kf, group, key, NULL);
	if (!*out) {
		g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
			    "[%s] %s is missing", group, key);
		return false;
	}
	return true;
}

static bool bad_value(Decoder *d, const char *group, const char *key,
		      const char *value, const char *allowed)
{
	g_autofree char *shown = g_strescape(value, NULL);

	g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
		    "[%s] %s=%s: invalid (allowed %s)", group, key, shown,
		    allowed);
	return false;
}

static bool decode_owner(Decoder *d, RbState *st)
{
	static const char *const keys[] = {"Address", "AddressType", "KeyType",
					   "PairedAt", NULL};
	g_autofree char *addr = NULL;
	g_autofree char *type = NULL;
	uint64_t key_type = 0, paired = 0;
	RbAddrType atype;
	bool present;

	if (!g_key_file_has_group(d->kf, "Owner"))
		return true;
	if (!check_keys(d, "Owner", keys))
		return false;
	if (!get_string(d, "Owner", "Address", &addr) ||
	    !get_string(d, "Owner", "AddressType", &type))
		return false;
	if (strcmp(type, "public") == 0)
		atype = RB_ADDR_PUBLIC;
	else if (strcmp(type, "random") == 0)
		atype = RB_ADDR_RANDOM;
	else
		return bad_value(d, "Owner", "AddressType", type,
				 "public, random");
	if (!rb_peer_set(&st->owner, addr, atype))
		return bad_value(d, "Owner", "Address", addr,
				 "XX:XX:XX:XX:XX:XX");
	if (!get_number(d, "Owner", "KeyType", 0, RB_KEY_UNKNOWN, true,
			&present, &key_type))
		return false;
	if (key_type > RB_KEY_DEBUG_P256 && key_type != RB_KEY_UNKNOWN) {
		g_autofree char *v = g_strdup_printf("%u",
						     (unsigned int)key_type);

		return bad_value(d, "Owner", "KeyType", v, "0..4, 255");
	}
	if (!get_number(d, "Owner", "PairedAt", 0, G_MAXINT64, true, &present,
			&paired))
		return false;
	st->has_owner = true;
	st->owner_key = (RbKeyType)key_type;
	st->owner_paired_wall_ms = (int64_t)paired;
	return true;
}

static bool decode_pin(Decoder *d, RbState *st)
{
	static const char *const keys[] = {"Failures",	  "LockoutStart",
					   "LockoutBoot", "LockoutBootMs",
					   "LockoutMs",	  NULL};
	const RbSettingInfo *lock = rb_setting_info(RB_SETTING_PIN_LOCKOUT_MS);
	uint64_t failures = 0, start = 0, ms = 0, boot_ms = 0;
	bool has_start, has_ms, has_boot_ms;
	g_autofree char *boot = NULL;

	if (!g_key_file_has_group(d->kf, "Pin")) {
		g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
			    "the group [Pin] is missing");
		return false;
	}
	if (!check_keys(d, "Pin", keys))
		return false;
	if (!get_number(d, "Pin", "Failures", 0, G_MAXUINT32, true, &has_ms,
			&failures))
		return false;
	if (!get_number(d, "Pin", "LockoutStart", 0, G_MAXINT64, false,
			&has_start, &start))
		return false;
	boot = g_key_file_get_value(d->kf, "Pin", "LockoutBoot", NULL);
	if (!get_number(d, "Pin", "LockoutBootMs", 0, G_MAXINT64, false,
			&has_boot_ms, &boot_ms))
		return false;
	if ((boot != NULL) != has_boot_ms || (boot && !has_start)) {
		g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
			    "[Pin] LockoutBoot and LockoutBootMs go together, "
			    "with LockoutStart");
		return false;
	}
	if (boot && !rb_state_boot_id_valid(boot))
		return bad_value(d, "Pin", "LockoutBoot", boot,
				 "a boot id such as "
				 "0123abcd-0123-4567-89ab-0123456789ab");
	if (boot)
		g_strlcpy(st->lockout_boot_id, boot,
			  sizeof(st->lockout_boot_id));
	st->lockout_start_boot_ms = boot_ms;
	/* A running lockout must have a valid length; 0 is "none yet". */
	if (!get_number(d, "Pin", "LockoutMs", has_start ? lock->min : 0,
			lock->max, has_start, &has_ms, &ms))
		return false;
	st->pin_failures = (uint32_t)failures;
	st->lockout_active = has_start;
	st->lockout_start_wall_ms = (int64_t)start;
	st->lockout_ms = (uint32_t)ms;
	return true;
}

static bool decode_overrides(Decoder *d, RbState *st)
{
	const char *keys[RB_SETTING_COUNT + 1];

	if (!g_key_file_has_group(d->kf, "Overrides"))
		return true;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++)
		keys[i] = rb_setting_info((RbSetting)i)->key;
	keys[RB_SETTING_COUNT] = NULL;
	if (!check_keys(d, "Overrides", keys))
		return false;
	for (unsigned int i = 0; i < RB_SETTING_COUNT; i++) {
		const RbSettingInfo *info = rb_setting_info((RbSetting)i);
		uint64_t v = 0;
		bool present;

		if (!get_number(d, "Overrides", info->key, info->min, info->max,
				false, &present, &v))
			return false;
		st->overrides.has[i] = present;
		st->overrides.value[i] = present ? (uint32_t)v : 0;
	}
	return true;
}

static bool decode_stale(Decoder *d, RbState *st)
{
	static const char *const keys[] = {"Hint", NULL};
	g_autofree char *hint = NULL;

	if (!g_key_file_has_group(d->kf, "Stale")) {
		g_set_error(d->error, RB_ERROR, RB_ERROR_CORRUPT,
			    "the group [Stale] is missing");
		return false;
	}
	if (!check_keys(d, "Stale", keys) ||
	    !get_string(d, "Stale", "Hint", &hint))
		return false;
	if (strcmp(hint, "none") == 0)
		st->stale = RB_STALE_NONE;
	else if (strcmp(hint, "box") == 0)
		st->stale = RB_STALE_BOX_HAS_STALE_BOND;
	else if (strcmp(hint, "phone") == 0)
		st->stale = RB_STALE_PHONE_HAS_STALE_BOND;
	else
		return bad_value(d, "Stale", "Hint", hint, "none, box, phone");
	return true;
}

static bool decode(RbState *st, const char *data, gsize len, GError **error)
{
	static const char *const groups[] = {"State",	  "Owner", "Pin",
					     "Overrides", "Stale", NULL};
	static const char *const state_keys[] = {"Version", "OwnerUnknown",
						 NULL};
	g_autofree char *unknown = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) have = NULL;
	Decoder d = {kf, error};
	uint64_t version = 0;
	bool present;
	gsize i;

	for (i = 0; i < len; i++) {
		if (!g_ascii_isspace(data[i]))
			break;
	}
	if (i == len) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT, "it is empty");
		return false;
	}
	if (memchr(data, '\0', len)) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "it contains a NUL byte");
		return false;
	}
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE,
				       &local)) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT, "%s",
			    local->message);
		return false;
	}
	have = g_key_file_get_groups(kf, NULL);
	for (i = 0; have[i]; i++) {
		if (!g_strv_contains(groups, have[i])) {
			g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
				    "unknown group [%s]", have[i]);
			return false;
		}
	}
	if (!g_key_file_has_group(kf, "State")) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "the group [State] is missing");
		return false;
	}
	if (!check_keys(&d, "State", state_keys) ||
	    !get_number(&d, "State", "Version", 0, G_MAXUINT32, true, &present,
			&version))
		return false;
	if (version < 1 || version > RB_STATE_FORMAT_VERSION) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "unknown format version %" G_GUINT64_FORMAT
			    " (this daemon reads 1..%d)",
			    version, RB_STATE_FORMAT_VERSION);
		return false;
	}
	unknown = g_key_file_get_value(kf, "State", "OwnerUnknown", NULL);
	if (unknown && strcmp(unknown, "true") != 0)
		return bad_value(&d, "State", "OwnerUnknown", unknown, "true");
	if (unknown && version < 2)
		return bad_value(&d, "State", "OwnerUnknown", unknown,
				 "nothing in version 1");
	if (version < 2 &&
	    (g_key_file_has_key(kf, "Pin", "LockoutBoot", NULL) ||
	     g_key_file_has_key(kf, "Pin", "LockoutBootMs", NULL))) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "[Pin] LockoutBoot is not in version 1");
		return false;
	}
	if (!decode_owner(&d, st) || !decode_pin(&d, st) ||
	    !decode_overrides(&d, st) || !decode_stale(&d, st))
		return false;
	if (unknown && st->has_owner) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "OwnerUnknown=true with an [Owner]");
		return false;
	}
	st->owner_unknown = unknown != NULL;
	return true;
}

bool rb_state_decode(RbState *st, const char *data, gsize len,
		     int64_t now_wall_ms, uint32_t lockout_ms, GError **error)
{
	RbState tmp;

	rb_state_init(&tmp);
	if (!data || !decode(&tmp, data ? data : "", data ? len : 0, error)) {
		if (!data)
			g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
				    "no data");
		rb_state_init_conservative(st, now_wall_ms, lockout_ms);
		return false;
	}
	*st = tmp;
	return true;
}
