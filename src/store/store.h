/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Atomic persistence in the state directory: every file is written to
 * "<name>.tmp" (0600), fsynced, renamed over "<name>" and the directory is
 * fsynced, so a crash at any instant leaves the old or the new file, never
 * a mix. A leftover "<name>.tmp" is never read and is removed on load.
 *
 * Blocking I/O: call it at start-up or for small files only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/state.h"

/* The file holding the encoded RbState inside the state directory. */
#define RB_STORE_STATE_NAME "state"
/* The largest file rb_store_read() and rb_store_load() accept. */
#define RB_STORE_MAX_FILE_SIZE (64 * 1024)

typedef struct RbStore RbStore;

/*
 * Opens the state directory @dir, creating it (and its parents) with mode
 * 0700 if missing. An existing directory keeps its mode. Returns NULL with
 * @error set if it cannot be created or opened. Free with rb_store_free().
 */
RbStore *rb_store_open(const char *dir, GError **error);
void rb_store_free(RbStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbStore, rb_store_free)

/* The directory's path, owned by @store. */
const char *rb_store_get_dir(const RbStore *store);

/*
 * Loads the state from "state". A missing file gives rb_state_init()'s empty
 * state and returns true. An unreadable or corrupt file gives
 * rb_state_init_conservative(@now_wall_ms, @lockout_ms) and returns false
 * with @error saying why; the caller logs it and carries on. A leftover
 * "state.tmp" is removed first.
 */
bool rb_store_load(RbStore *store, RbState *out, int64_t now_wall_ms,
		   uint32_t lockout_ms, GError **error);

/* Encodes @st and writes it to "state" with rb_store_write_atomic(). */
bool rb_store_save(RbStore *store, const RbState *st, GError **error);

/*
 * Writes @len bytes of @data to the file @name (a plain name: no '/', not
 * ending in ".tmp") in the store's directory atomically. On failure before
 * the rename, the temporary file is removed, the old file is untouched and
 * false is returned with the errno text in @error. If only the final fsync
 * of the directory fails, the new file is in place but false is returned:
 * it may not survive a power cut.
 */
bool rb_store_write_atomic(RbStore *store, const char *name, const void *data,
			   gsize len, GError **error);

/*
 * Reads the file @name (at most @max_len bytes, else RB_ERROR_TOO_LARGE)
 * into a NUL-terminated buffer the caller g_free()s. A missing file is
 * RB_ERROR_NOT_FOUND.
 */
bool rb_store_read(RbStore *store, const char *name, gsize max_len, char **data,
		   gsize *len, GError **error);

/*
 * The system calls the writer uses, replaceable for fault-injection tests.
 * They follow the libc conventions (-1 and errno on failure). fsync is
 * called on the temporary file, then on the directory.
 */
typedef struct {
	int (*openat)(int dir_fd, const char *name, int flags, mode_t mode);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*fsync)(int fd);
	int (*close)(int fd);
	int (*renameat)(int dir_fd, const char *from, const char *to);
	int (*unlinkat)(int dir_fd, const char *name);
} RbStoreOps;

/* The real system calls. */
const RbStoreOps *rb_store_default_ops(void);
/*
 * Replaces the system calls for the whole process (tests only); NULL
 * restores the real ones. @ops must outlive its use.
 */
void rb_store_set_ops(const RbStoreOps *ops);
