// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The file display: <prefix>.pbm (or .pgm) and <prefix>.txt, each replaced
 * atomically and mode 0600 (the text holds the PIN), for demos and for
 * tests that read the PIN. In the PBM a lit
 * pixel is 1 (black on white, as printed); in the PGM it is 255 (white on
 * black, as on the OLED).
 */
#define G_LOG_DOMAIN "rb-display-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/display-private.h"
#include "hw/render.h"

typedef struct {
	RbDisplay base;
	char *image_path;
	char *text_path;
	RbDisplayFileFormat format;
	unsigned int height;
	bool error_logged;
} FileDisplay;

/* Writes all of @data to @fd, retrying short writes; -1 with errno set. */
static int write_full(int fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (gsize)n;
	}
	return 0;
}

/*
 * Replaces @path with @data: a 0600 temp file in the same directory,
 * written and fsync'ed, then renamed over @path. 0600 because the text
 * holds the PIN; fchmod because a umask must not change it. A symlink at
 * @path is replaced, not followed.
 */
static bool write_atomic(FileDisplay *f, const char *path, const void *data,
			 gsize len)
{
	g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	const char *what = "cannot create a temp file";
	int fd, e;

	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	what = "cannot write it";
	if (fchmod(fd, 0600) < 0) {
		what = "cannot set mode 0600";
		goto fail_unlink;
	}
	if (write_full(fd, data, len) < 0)
		goto fail_unlink;
	if (fsync(fd) < 0) {
		what = "cannot fsync it";
		goto fail_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		what = "cannot rename it into place";
		goto fail_unlink;
	}
	f->error_logged = false;
	return true;

fail_unlink:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
fail:
	if (!f->error_logged)
		g_message("display file %s: %s: %s", path, what,
			  g_strerror(errno));
	f->error_logged = true;
	return false;
}

static void file_show(RbDisplay *display, const RbScreen *screen)
{
	FileDisplay *f = (FileDisplay *)display;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree char *summary = rb_render_summary(screen);
	char lines[4][RB_TEXT_MAX_COLS + 1];
	RbFrame frame;
	unsigned int n;
	gsize len;
	const void *data;

	rb_frame_init(&frame, f->height);
	rb_render_screen(screen, &frame);
	switch (f->format) {
	case RB_DISPLAY_FILE_PBM:
		image = rb_frame_to_pbm(&frame, false);
		break;
	case RB_DISPLAY_FILE_PBM_ASCII:
		image = rb_frame_to_pbm(&frame, true);
		break;
	case RB_DISPLAY_FILE_PGM:
		image = rb_frame_to_pgm(&frame);
		break;
	}
	g_string_append_printf(text, "%s\n%.*s\n", summary,
			       (int)sizeof(screen->name), screen->name);
	n = rb_render_lines(screen, 20, 4, lines);
	for (unsigned int i = 0; i < n; i++)
		g_string_append_printf(text, "%s\n", lines[i]);

	/* The image first: a reader that polls the text sees both new. */
	data = g_bytes_get_data(image, &len);
	write_atomic(f, f->image_path, data, len);
	write_atomic(f, f->text_path, text->str, text->len);
}

static void file_destroy(RbDisplay *display)
{
	FileDisplay *f = (FileDisplay *)display;

	g_free(f->image_path);
	g_free(f->text_path);
	g_free(f);
}

RbDisplay *rb_display_file_new(const char *prefix, RbDisplayFileFormat format,
			       unsigned int height, GError **error)
{
	g_autofree char *dir = NULL;
	FileDisplay *f;
	const char *ext = NULL;

	if (!prefix || !*prefix) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "no display file prefix");
		return NULL;
	}
	if (height != 32 && height != 64) {
		g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
			    "display height %u: 32 or 64", height);
		return NULL;
	}
	dir = g_path_get_dirname(prefix);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
			    "display file %s: directory %s does not exist",
			    prefix, dir);
		return NULL;
	}
	switch (format) {
	case RB_DISPLAY_FILE_PBM:
	case RB_DISPLAY_FILE_PBM_ASCII:
		ext = ".pbm";
		break;
	case RB_DISPLAY_FILE_PGM:
		ext = ".pgm";
		break;
	}
	if (!ext) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "unknown display file format %d", (int)format);
		return NULL;
	}
	f = g_new0(FileDisplay, 1);
	rb_display_init(&f->base, "file", file_show, NULL, file_destroy);
	f->image_path = g_strconcat(prefix, ext, NULL);
	f->text_path = g_strconcat(prefix, ".txt", NULL);
	f->format = format;
	f->height = height;
	return &f->base;
}
