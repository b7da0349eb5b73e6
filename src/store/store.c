// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Atomic files in the state directory: temp file, fsync, rename, fsync of
 * the directory.
 */
#define G_LOG_DOMAIN "rb-store"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "store/store.h"

#define TMP_SUFFIX ".tmp"

struct RbStore {
	char *dir;
	int dir_fd;
};

static int real_openat(int dir_fd, const char *name, int flags, mode_t mode)
{
	return openat(dir_fd, name, flags, mode);
}

static ssize_t real_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

static int real_fsync(int fd)
{
	return fsync(fd);
}

static int real_close(int fd)
{
	return close(fd);
}

static int real_renameat(int dir_fd, const char *from, const char *to)
{
	return renameat(dir_fd, from, dir_fd, to);
}

static int real_unlinkat(int dir_fd, const char *name)
{
	return unlinkat(dir_fd, name, 0);
}

static const RbStoreOps real_ops = {
	.openat = real_openat,
	.write = real_write,
	.fsync = real_fsync,
	.close = real_close,
	.renameat = real_renameat,
	.unlinkat = real_unlinkat,
};

static const RbStoreOps *ops = &real_ops;

const RbStoreOps *rb_store_default_ops(void)
{
	return &real_ops;
}

void rb_store_set_ops(const RbStoreOps *new_ops)
{
	ops = new_ops ? new_ops : &real_ops;
}

static int errno_code(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
	case EROFS:
		return RB_ERROR_PERMISSION;
	case ENOENT:
		return RB_ERROR_NOT_FOUND;
	default:
		return RB_ERROR_IO;
	}
}

static void set_errno_error(GError **error, int err, const char *what,
			    const char *dir, const char *name)
{
	g_set_error(error, RB_ERROR, errno_code(err), "%s %s/%s: %s", what, dir,
		    name, g_strerror(err));
}

RbStore *rb_store_open(const char *dir, GError **error)
{
	RbStore *store;
	int fd;

	g_return_val_if_fail(dir != NULL && *dir != '\0', NULL);

	if (g_mkdir_with_parents(dir, 0700) < 0) {
		int err = errno;

		g_set_error(error, RB_ERROR, errno_code(err),
			    "cannot create the state directory %s: %s", dir,
			    g_strerror(err));
		return NULL;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		g_set_error(error, RB_ERROR, errno_code(err),
			    "cannot open the state directory %s: %s", dir,
			    g_strerror(err));
		return NULL;
	}
	store = g_new0(RbStore, 1);
	store->dir = g_strdup(dir);
	store->dir_fd = fd;
	return store;
}

void rb_store_free(RbStore *store)
{
	if (!store)
		return;
	if (store->dir_fd >= 0 && close(store->dir_fd) < 0)
		g_debug("close %s: %s", store->dir, g_strerror(errno));
	g_free(store->dir);
	g_free(store);
}

const char *rb_store_get_dir(const RbStore *store)
{
	return store->dir;
}

static bool valid_name(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && !g_str_has_suffix(name, TMP_SUFFIX);
}

static bool check_name(const char *name, GError **error)
{
	if (valid_name(name))
		return true;
	g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
		    "invalid state file name \"%s\"", name ? name : "(null)");
	return false;
}

/* Writes everything, retrying on EINTR and short writes. */
static int write_all(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = ops->write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		data += n;
		len -= (gsize)n;
	}
	return 0;
}

bool rb_store_write_atomic(RbStore *store, const char *name, const void *data,
			   gsize len, GError **error)
{
	g_autofree char *tmp = NULL;
	const char *step;
	int fd, err;

	g_return_val_if_fail(store != NULL, false);
	g_return_val_if_fail(data != NULL || len == 0, false);
	if (!check_name(name, error))
		return false;
	tmp = g_strconcat(name, TMP_SUFFIX, NULL);

	/* A leftover from a crash: start afresh (and never follow a link). */
	if (ops->unlinkat(store->dir_fd, tmp) < 0 && errno != ENOENT)
		g_debug("unlink %s/%s: %s", store->dir, tmp, g_strerror(errno));

	fd = ops->openat(store->dir_fd, tmp,
			 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			 0600);
	if (fd < 0) {
		set_errno_error(error, errno, "cannot create", store->dir, tmp);
		return false;
	}
	step = "cannot write";
	err = write_all(fd, data ? data : "", len);
	if (!err) {
		step = "cannot fsync";
		if (ops->fsync(fd) < 0)
			err = errno;
	}
	if (ops->close(fd) < 0 && !err) {
		/* A failed close may have lost written data. */
		step = "cannot close";
		err = errno;
	}
	if (!err) {
		step = "cannot rename into place";
		if (ops->renameat(store->dir_fd, tmp, name) < 0)
			err = errno;
	}
	if (err) {
		set_errno_error(error, err, step, store->dir, tmp);
		if (ops->unlinkat(store->dir_fd, tmp) < 0 && errno != ENOENT)
			g_warning("cannot remove %s/%s: %s", store->dir, tmp,
				  g_strerror(errno));
		return false;
	}
	if (ops->fsync(store->dir_fd) < 0) {
		err = errno;
		g_set_error(error, RB_ERROR, errno_code(err),
			    "%s/%s is written but may not survive a power "
			    "cut: cannot fsync the directory: %s",
			    store->dir, name, g_strerror(err));
		return false;
	}
	return true;
}

bool rb_store_read(RbStore *store, const char *name, gsize max_len, char **data,
		   gsize *len, GError **error)
{
	g_autofree char *buf = NULL;
	struct stat stbuf;
	gsize used = 0;
	int fd, err = 0;

	g_return_val_if_fail(store != NULL, false);
	g_return_val_if_fail(data != NULL, false);
	if (!check_name(name, error))
		return false;

	fd = openat(store->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		set_errno_error(error, errno, "cannot open", store->dir, name);
		return false;
	}
	if (fstat(fd, &stbuf) < 0) {
		err = errno;
	} else if (!S_ISREG(stbuf.st_mode)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s/%s is not a regular file", store->dir, name);
		close(fd);
		return false;
	}
	/* Read up to one byte more than allowed to see if it is too large. */
	buf = g_malloc(max_len + 2);
	while (!err && used <= max_len) {
		ssize_t n = read(fd, buf + used, max_len + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		else if (n == 0)
			break;
		else
			used += (gsize)n;
	}
	close(fd);
	if (err) {
		set_errno_error(error, err, "cannot read", store->dir, name);
		return false;
	}
	if (used > max_len) {
		g_set_error(error, RB_ERROR, RB_ERROR_TOO_LARGE,
			    "%s/%s is larger than %" G_GSIZE_FORMAT " bytes",
			    store->dir, name, max_len);
		return false;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*data = g_steal_pointer(&buf);
	return true;
}

bool rb_store_load(RbStore *store, RbState *out, int64_t now_wall_ms,
		   uint32_t lockout_ms, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	g_return_val_if_fail(store != NULL, false);

	/* A temporary file is what a crash left behind: never read it. */
	if (unlinkat(store->dir_fd, RB_STORE_STATE_NAME TMP_SUFFIX, 0) == 0)
		g_message("removed %s/%s left by an interrupted write",
			  store->dir, RB_STORE_STATE_NAME TMP_SUFFIX);
	else if (errno != ENOENT)
		g_warning("cannot remove %s/%s: %s", store->dir,
			  RB_STORE_STATE_NAME TMP_SUFFIX, g_strerror(errno));

	if (!rb_store_read(store, RB_STORE_STATE_NAME, RB_STORE_MAX_FILE_SIZE,
			   &data, &len, &local)) {
		if (g_error_matches(local, RB_ERROR, RB_ERROR_NOT_FOUND)) {
			rb_state_init(out);
			return true;
		}
		rb_state_init_conservative(out, now_wall_ms, lockout_ms);
		g_set_error(error, RB_ERROR, local->code,
			    "%s; starting with no owner and pairing locked "
			    "for %u ms",
			    local->message, lockout_ms);
		return false;
	}
	if (!rb_state_decode(out, data, len, now_wall_ms, lockout_ms, &local)) {
		g_set_error(error, RB_ERROR, RB_ERROR_CORRUPT,
			    "%s/%s is corrupt: %s; starting with no owner and "
			    "pairing locked for %u ms",
			    store->dir, RB_STORE_STATE_NAME, local->message,
			    lockout_ms);
		return false;
	}
	return true;
}

bool rb_store_save(RbStore *store, const RbState *st, GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;

	g_return_val_if_fail(store != NULL && st != NULL, false);
	data = rb_state_encode(st, &len);
	return rb_store_write_atomic(store, RB_STORE_STATE_NAME, data, len,
				     error);
}
