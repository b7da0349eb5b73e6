// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Buttons from a Linux input device: the gpio-keys overlay
 * (dtoverlay=gpio-key,...), a USB keypad, or a pipe in tests.
 */
#define G_LOG_DOMAIN "rb-buttons-evdev"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/buttons-private.h"

#define BITS_PER_LONG_ (8 * sizeof(unsigned long))
#define NLONGS(x) (((x) + BITS_PER_LONG_ - 1) / BITS_PER_LONG_)

typedef struct {
	RbButtonsSource base;
	char *name; /* path or "fd N", for logs */
	int fd;
	guint watch_id;
	unsigned int keys[RB_BUTTON_COUNT];
	bool level[RB_BUTTON_COUNT]; /* last reported */
	bool is_evdev; /* ioctls work (not a pipe) */
	bool dropped; /* SYN_DROPPED: skip to next SYN_REPORT */
	uint8_t buf[sizeof(struct input_event)];
	size_t buf_len;
} EvdevSource;

static bool test_bit(const unsigned long *bits, unsigned int bit)
{
	return bits[bit / BITS_PER_LONG_] & (1UL << (bit % BITS_PER_LONG_));
}

static bool keys_valid(const unsigned int keys[RB_BUTTON_COUNT], GError **error)
{
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		if (keys[i] == 0 || keys[i] > KEY_MAX) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "key code %u for %s is not a key (1..%u)",
				    keys[i], rb_button_name((RbButton)i),
				    KEY_MAX);
			return false;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (keys[j] == keys[i]) {
				g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
					    "key code %u is mapped to both %s "
					    "and %s",
					    keys[i],
					    rb_button_name((RbButton)j),
					    rb_button_name((RbButton)i));
				return false;
			}
		}
	}
	return true;
}

bool rb_buttons_evdev_translate(const unsigned int keys[RB_BUTTON_COUNT],
				const struct input_event *ev, RbButtonEdge *out)
{
	if (ev->type != EV_KEY || (ev->value != 0 && ev->value != 1))
		return false;
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		if (keys[i] != ev->code)
			continue;
		out->button = (RbButton)i;
		out->pressed = ev->value == 1;
		out->timestamp_ms = (uint64_t)ev->input_event_sec * 1000 +
				    (uint64_t)ev->input_event_usec / 1000;
		return true;
	}
	return false;
}

/* After SYN_DROPPED (or at start): the key state now, from EVIOCGKEY. */
static bool evdev_read_keys(int fd, const unsigned int keys[RB_BUTTON_COUNT],
			    bool held[RB_BUTTON_COUNT])
{
	unsigned long bits[NLONGS(KEY_CNT)] = {0};

	if (ioctl(fd, EVIOCGKEY(sizeof(bits)), bits) < 0)
		return false;
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
		held[i] = test_bit(bits, keys[i]);
	return true;
}

static void evdev_resync(EvdevSource *e)
{
	bool held[RB_BUTTON_COUNT];
	uint64_t now = rb_buttons_now_ms();

	if (!e->is_evdev || !evdev_read_keys(e->fd, e->keys, held))
		return;
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		RbButtonEdge edge = {(RbButton)i, held[i], now};

		if (held[i] == e->level[i])
			continue;
		e->level[i] = held[i];
		rb_buttons_source_emit(&e->base, &edge);
	}
}

static void evdev_handle(EvdevSource *e, const struct input_event *ev)
{
	RbButtonEdge edge;

	if (ev->type == EV_SYN && ev->code == SYN_DROPPED) {
		g_debug("%s: events dropped, resyncing", e->name);
		e->dropped = true;
		return;
	}
	if (e->dropped) {
		if (ev->type == EV_SYN && ev->code == SYN_REPORT) {
			e->dropped = false;
			evdev_resync(e);
		}
		return;
	}
	if (!rb_buttons_evdev_translate(e->keys, ev, &edge))
		return;
	if (e->level[edge.button] == edge.pressed)
		return;
	e->level[edge.button] = edge.pressed;
	rb_buttons_source_emit(&e->base, &edge);
}

static gboolean evdev_readable_cb(gint fd, GIOCondition cond, gpointer data)
{
	EvdevSource *e = data;
	uint8_t buf[64 * sizeof(struct input_event)];
	size_t off = 0;
	ssize_t n;

	memcpy(buf, e->buf, e->buf_len);
	n = read(fd, buf + e->buf_len, sizeof(buf) - e->buf_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		if (n < 0)
			g_warning("%s: input device lost: %s", e->name,
				  g_strerror(errno));
		else
			g_warning("%s: input device closed", e->name);
		e->watch_id = 0;
		return G_SOURCE_REMOVE;
	}
	n += (ssize_t)e->buf_len;
	while ((size_t)n - off >= sizeof(struct input_event)) {
		struct input_event ev;

		memcpy(&ev, buf + off, sizeof(ev));
		evdev_handle(e, &ev);
		off += sizeof(ev);
	}
	e->buf_len = (size_t)n - off;
	memcpy(e->buf, buf + off, e->buf_len);
	return G_SOURCE_CONTINUE;
}

static void evdev_destroy(RbButtonsSource *source)
{
	EvdevSource *e = (EvdevSource *)source;

	if (e->watch_id)
		g_source_remove(e->watch_id);
	if (e->fd >= 0)
		close(e->fd);
	g_free(e->name);
	g_free(e);
}

static RbButtonsSource *evdev_new(int fd, char *name, bool is_evdev,
				  const unsigned int keys[RB_BUTTON_COUNT],
				  RbButtonsEdgeFunc cb, void *user_data)
{
	EvdevSource *e = g_new0(EvdevSource, 1);
	bool held[RB_BUTTON_COUNT] = {0};

	rb_buttons_source_init(&e->base, "evdev", evdev_destroy, cb, user_data);
	e->fd = fd;
	e->name = name;
	e->is_evdev = is_evdev;
	memcpy(e->keys, keys, sizeof(e->keys));
	if (is_evdev && evdev_read_keys(fd, keys, held)) {
		memcpy(e->level, held, sizeof(held));
		rb_buttons_source_report_initial(&e->base, held,
						 rb_buttons_now_ms());
	}
	e->watch_id = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
				    evdev_readable_cb, e);
	return &e->base;
}

RbButtonsSource *rb_buttons_evdev_new_from_fd(
	int fd, const unsigned int keys[RB_BUTTON_COUNT], RbButtonsEdgeFunc cb,
	void *user_data, GError **error)
{
	if (fd < 0 || !keys_valid(keys, error)) {
		if (fd >= 0)
			close(fd);
		else
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "no input fd");
		return NULL;
	}
	if (!g_unix_set_fd_nonblocking(fd, TRUE, NULL)) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "cannot make fd %d non-blocking", fd);
		close(fd);
		return NULL;
	}
	return evdev_new(fd, g_strdup_printf("fd %d", fd), false, keys, cb,
			 user_data);
}

static bool has_keys(int fd, const unsigned int keys[RB_BUTTON_COUNT])
{
	unsigned long bits[NLONGS(KEY_CNT)] = {0};

	if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(bits)), bits) < 0)
		return false;
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
		if (!test_bit(bits, keys[i]))
			return false;
	return true;
}

static gint event_name_cmp(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	long nx = strtol(x + strlen("event"), NULL, 10);
	long ny = strtol(y + strlen("event"), NULL, 10);

	return nx < ny ? -1 : nx > ny;
}

char *rb_buttons_evdev_find_device(const char *dir,
				   const unsigned int keys[RB_BUTTON_COUNT],
				   GError **error)
{
	g_autoptr(GDir) d = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GError *local = NULL;
	const char *entry;

	if (!dir)
		dir = "/dev/input";
	if (!keys_valid(keys, error))
		return NULL;
	d = g_dir_open(dir, 0, &local);
	if (!d) {
		g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
			    "no input devices: %s", local->message);
		g_error_free(local);
		return NULL;
	}
	while ((entry = g_dir_read_name(d)))
		if (g_str_has_prefix(entry, "event"))
			g_ptr_array_add(names, g_strdup(entry));
	g_ptr_array_sort(names, event_name_cmp);
	for (unsigned int i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, names->pdata[i],
							 NULL);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		bool ok;

		if (fd < 0) {
			g_debug("%s: %s", path, g_strerror(errno));
			continue;
		}
		ok = has_keys(fd, keys);
		close(fd);
		if (ok)
			return g_steal_pointer(&path);
	}
	g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
		    "no input device under %s has the key codes %u, %u, %u "
		    "and %u (or none is readable)",
		    dir, keys[0], keys[1], keys[2], keys[3]);
	return NULL;
}

RbButtonsSource *rb_buttons_evdev_new(const RbButtonsEvdevOptions *opts,
				      RbButtonsEdgeFunc cb, void *user_data,
				      GError **error)
{
	g_autofree char *path = NULL;
	int clk = CLOCK_MONOTONIC;
	int fd;

	if (!keys_valid(opts->keys, error))
		return NULL;
	if (opts->device && *opts->device)
		path = g_strdup(opts->device);
	else
		path = rb_buttons_evdev_find_device(NULL, opts->keys, error);
	if (!path)
		return NULL;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR,
			    e == EACCES || e == EPERM	 ? RB_ERROR_PERMISSION
			    : e == ENOENT || e == ENODEV ? RB_ERROR_NOT_FOUND
							 : RB_ERROR_IO,
			    "cannot open input device %s: %s", path,
			    g_strerror(e));
		return NULL;
	}
	if (ioctl(fd, EVIOCSCLOCKID, &clk) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
			    "%s is not an input event device: %s", path,
			    g_strerror(e));
		close(fd);
		return NULL;
	}
	if (!has_keys(fd, opts->keys)) {
		g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
			    "input device %s lacks some of the key codes %u, "
			    "%u, %u, %u",
			    path, opts->keys[0], opts->keys[1], opts->keys[2],
			    opts->keys[3]);
		close(fd);
		return NULL;
	}
	if (opts->grab && ioctl(fd, EVIOCGRAB, 1) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR,
			    e == EBUSY ? RB_ERROR_BUSY : RB_ERROR_IO,
			    "cannot grab input device %s: %s", path,
			    g_strerror(e));
		close(fd);
		return NULL;
	}
	g_debug("buttons from input device %s", path);
	return evdev_new(fd, g_steal_pointer(&path), true, opts->keys, cb,
			 user_data);
}
