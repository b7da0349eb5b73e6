// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Buttons from a command FIFO, for demos and tests without hardware:
 *   echo "press QUIZZER_RESET" > /run/reaction-boxd/buttons
 * The FIFO is made 0600 if missing; an existing one must be the daemon's
 * own and closed to group and others (see fifo_check()).
 */
#define G_LOG_DOMAIN "rb-buttons-fifo"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/buttons-private.h"

#define FIFO_LINE_MAX 128

typedef struct {
	RbButtonsSource base;
	char *path;
	int fd;
	guint watch_id;
	char line[FIFO_LINE_MAX];
	size_t len;
	bool overlong;
} FifoSource;

bool rb_buttons_fifo_parse_line(const char *line, RbButton *button,
				bool *pressed, GError **error)
{
	g_auto(GStrv) words = NULL;
	g_autofree char *copy = g_strstrip(g_strdup(line ? line : ""));
	unsigned int n;

	words = g_strsplit_set(copy, " \t", -1);
	n = 0;
	/* Collapse runs of blanks. */
	for (unsigned int i = 0; words[i]; i++) {
		if (words[i][0] == '\0') {
			g_free(words[i]);
			continue;
		}
		words[n++] = words[i];
	}
	words[n] = NULL;

	if (n != 2) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "expected \"press NAME\" or \"release NAME\", got "
			    "\"%s\"",
			    copy);
		return false;
	}
	if (g_ascii_strcasecmp(words[0], "press") == 0) {
		*pressed = true;
	} else if (g_ascii_strcasecmp(words[0], "release") == 0) {
		*pressed = false;
	} else {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "unknown command \"%s\" (press, release)",
			    words[0]);
		return false;
	}
	if (!rb_button_from_name(words[1], button)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "unknown button \"%s\" (QUIZZER_RESET, "
			    "TIMER_RESET, TIMER_530, CONTEST)",
			    words[1]);
		return false;
	}
	return true;
}

static void fifo_handle_line(FifoSource *f, const char *line)
{
	g_autoptr(GError) error = NULL;
	RbButtonEdge edge = {0};
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return;
	if (!rb_buttons_fifo_parse_line(line, &edge.button, &edge.pressed,
					&error)) {
		g_message("%s: ignoring a line: %s", f->path, error->message);
		return;
	}
	edge.timestamp_ms = rb_buttons_now_ms();
	rb_buttons_source_emit(&f->base, &edge);
}

static void fifo_feed(FifoSource *f, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			f->line[f->len] = '\0';
			if (f->overlong)
				g_message("%s: ignoring an overlong line",
					  f->path);
			else
				fifo_handle_line(f, f->line);
			f->len = 0;
			f->overlong = false;
			continue;
		}
		if (c == '\r')
			continue;
		if (f->len + 1 >= sizeof(f->line)) {
			f->overlong = true;
			continue;
		}
		f->line[f->len++] = c;
	}
}

static gboolean fifo_readable_cb(gint fd, GIOCondition cond, gpointer data);

/*
 * Whoever can write the FIFO can press the buttons, the pairing chord
 * included, and whoever can read it can steal the presses. So the FIFO is
 * taken only if it is a FIFO itself (not a symlink to one), owned by the
 * daemon's effective uid and closed to group and others (0600 or
 * stricter).
 */
static bool fifo_check(const char *path, const struct stat *st, GError **error)
{
	if (S_ISLNK(st->st_mode)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s is a symbolic link, not a FIFO", path);
		return false;
	}
	if (!S_ISFIFO(st->st_mode)) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s is not a FIFO", path);
		return false;
	}
	if (st->st_uid != geteuid()) {
		g_set_error(error, RB_ERROR, RB_ERROR_PERMISSION,
			    "button FIFO %s is owned by uid %u, not by the "
			    "daemon's uid %u",
			    path, (unsigned int)st->st_uid,
			    (unsigned int)geteuid());
		return false;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		g_set_error(error, RB_ERROR, RB_ERROR_PERMISSION,
			    "button FIFO %s has mode %04o: group and others "
			    "must have no access (0600)",
			    path, (unsigned int)(st->st_mode & 07777));
		return false;
	}
	return true;
}

static bool fifo_open(FifoSource *f, GError **error)
{
	struct stat before, st;
	int fd;

	/* lstat first: never open what is not a FIFO (a device, say). */
	if (lstat(f->path, &before) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR,
			    e == EACCES ? RB_ERROR_PERMISSION : RB_ERROR_IO,
			    "cannot open button FIFO %s: %s", f->path,
			    g_strerror(e));
		return false;
	}
	if (!fifo_check(f->path, &before, error))
		return false;
	/*
	 * O_RDWR: the daemon holds a writer itself, so the FIFO never reaches
	 * EOF between two writers; a writer that opens it while the daemon
	 * reopens would otherwise lose its line or get SIGPIPE. (Linux
	 * allows O_RDWR on a FIFO.) O_NONBLOCK: reads never block the loop.
	 * O_NOFOLLOW: a symlink put there since the lstat is not followed.
	 */
	fd = open(f->path,
		  O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s is a symbolic link, not a FIFO",
				    f->path);
		else
			g_set_error(error, RB_ERROR,
				    e == EACCES ? RB_ERROR_PERMISSION
						: RB_ERROR_IO,
				    "cannot open button FIFO %s: %s", f->path,
				    g_strerror(e));
		return false;
	}
	/* What was opened is what was checked, and still passes. */
	if (fstat(fd, &st) < 0 || st.st_dev != before.st_dev ||
	    st.st_ino != before.st_ino) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "button FIFO %s was replaced while opening it",
			    f->path);
		close(fd);
		return false;
	}
	if (!fifo_check(f->path, &st, error)) {
		close(fd);
		return false;
	}
	f->fd = fd;
	f->watch_id = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
				    fifo_readable_cb, f);
	return true;
}

static void fifo_close(FifoSource *f)
{
	if (f->watch_id) {
		g_source_remove(f->watch_id);
		f->watch_id = 0;
	}
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
}

static gboolean fifo_readable_cb(gint fd, GIOCondition cond, gpointer data)
{
	FifoSource *f = data;
	g_autoptr(GError) error = NULL;
	char buf[256];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		fifo_feed(f, buf, (size_t)n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n < 0)
		g_message("%s: read failed: %s; reopening", f->path,
			  g_strerror(errno));
	/* EOF: the last writer went away. A partial last line counts. */
	if (f->len > 0)
		fifo_feed(f, "\n", 1);
	f->watch_id = 0; /* removed by returning G_SOURCE_REMOVE */
	close(f->fd);
	f->fd = -1;
	if (!fifo_open(f, &error))
		g_warning("%s: button FIFO lost: %s", f->path, error->message);
	return G_SOURCE_REMOVE;
}

static void fifo_destroy(RbButtonsSource *source)
{
	FifoSource *f = (FifoSource *)source;

	fifo_close(f);
	g_free(f->path);
	g_free(f);
}

RbButtonsSource *rb_buttons_fifo_new(const char *path, RbButtonsEdgeFunc cb,
				     void *user_data, GError **error)
{
	FifoSource *f;

	if (!path || !*path) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "no button FIFO path");
		return NULL;
	}
	/* An existing FIFO is checked by fifo_open(). */
	if (mkfifo(path, 0600) == 0) {
		/*
		 * 0600 whatever the umask: a umask can only take bits away,
		 * and one that takes the owner's away would leave a FIFO the
		 * daemon cannot open. AT_SYMLINK_NOFOLLOW: if a symlink
		 * replaced it already, change nothing (fifo_open() refuses).
		 */
		if (fchmodat(AT_FDCWD, path, 0600, AT_SYMLINK_NOFOLLOW) < 0)
			g_debug("%s: cannot set mode 0600: %s", path,
				g_strerror(errno));
	} else if (errno != EEXIST) {
		int e = errno;

		g_set_error(error, RB_ERROR,
			    e == EACCES ? RB_ERROR_PERMISSION : RB_ERROR_IO,
			    "cannot create button FIFO %s: %s", path,
			    g_strerror(e));
		return NULL;
	}
	f = g_new0(FifoSource, 1);
	rb_buttons_source_init(&f->base, "fifo", fifo_destroy, cb, user_data);
	f->path = g_strdup(path);
	f->fd = -1;
	if (!fifo_open(f, error)) {
		fifo_destroy(&f->base);
		return NULL;
	}
	g_debug("reading button commands from %s", path);
	return &f->base;
}
