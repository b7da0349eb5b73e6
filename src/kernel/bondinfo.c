/* SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "rb-bondinfo"

#include <string.h>

#include "core/error.h"
#include "kernel/bondinfo.h"
#include "kernel/bt.h"

/* BlueZ's src/adapter.c store_longtermkey() group names, newest first. */
static const char *const ltk_groups[] = {
	"PeripheralLongTermKey",
	"SlaveLongTermKey",
	"LongTermKey",
};

/* Reads an integer key in [0, max]; false with @error if present and bad. */
static bool read_uint(GKeyFile *kf, const char *group, const char *key,
		      guint64 max, const char *path, guint64 *out,
		      GError **error)
{
	g_autofree char *str = g_key_file_get_value(kf, group, key, NULL);

	if (!str)
		return false;
	g_strstrip(str);
	if (!g_ascii_string_to_unsigned(str, 10, 0, max, out, NULL)) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "%s: [%s] %s=%s is not a number from 0 to "
			    "%" G_GUINT64_FORMAT,
			    path, group, key, str, max);
		return false;
	}
	return true;
}

bool rb_bondinfo_read(const char *root, const char *adapter, const char *peer,
		      RbBondInfo *out, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_autofree char *path = NULL;
	uint8_t tmp[RB_BDADDR_LEN];
	char adapter_norm[RB_ADDR_STRLEN], peer_norm[RB_ADDR_STRLEN];

	g_return_val_if_fail(root != NULL && out != NULL, false);

	/* Addresses become path components: accept nothing else. */
	if (!rb_bt_addr_parse(adapter, tmp)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "adapter \"%s\" is not a Bluetooth address",
			    adapter ? adapter : "(null)");
		return false;
	}
	rb_bt_addr_format(tmp, adapter_norm);
	if (!rb_bt_addr_parse(peer, tmp)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "peer \"%s\" is not a Bluetooth address",
			    peer ? peer : "(null)");
		return false;
	}
	rb_bt_addr_format(tmp, peer_norm);

	path = g_build_filename(root, adapter_norm, peer_norm, "info", NULL);
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
				    "%s: no bond file", path);
		else if (local->domain == G_KEY_FILE_ERROR)
			g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT, "%s: %s",
				    path, local->message);
		else
			g_set_error(error, RB_ERROR, RB_ERROR_IO, "%s: %s",
				    path, local->message);
		return false;
	}

	for (size_t i = 0; i < G_N_ELEMENTS(ltk_groups); i++) {
		const char *group = ltk_groups[i];
		guint64 auth = 0, enc = 0;

		if (!g_key_file_has_group(kf, group))
			continue;
		if (!read_uint(kf, group, "Authenticated", RB_KEY_DEBUG_P256,
			       path, &auth, &local)) {
			if (local) {
				g_propagate_error(error,
						  g_steal_pointer(&local));
			} else {
				g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
					    "%s: [%s] has no Authenticated=",
					    path, group);
			}
			return false;
		}
		if (!read_uint(kf, group, "EncSize", 16, path, &enc, &local) &&
		    local) {
			g_propagate_error(error, g_steal_pointer(&local));
			return false;
		}
		out->key_type = (RbKeyType)auth;
		out->enc_size = (uint8_t)enc;
		out->group = group;
		return true;
	}
	g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
		    "%s: no long term key in the bond", path);
	return false;
}
