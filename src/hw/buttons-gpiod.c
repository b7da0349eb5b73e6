// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Buttons on GPIO lines through libgpiod, v1 (Debian 12) or v2 (Debian 13),
 * as configure found. Both paths are thin: request the four lines as inputs
 * with both-edge events, bias and active-low; watch the event fds in the
 * main loop; translate each kernel event with rb_buttons_gpio_translate().
 *
 * Timestamps: the kernel stamps line events with CLOCK_MONOTONIC since
 * Linux 5.7 for the v1 uAPI (before, CLOCK_REALTIME) and by default for v2;
 * the v2 path asks for the monotonic clock explicitly.
 */
#define G_LOG_DOMAIN "rb-buttons-gpiod"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <gpiod.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "hw/buttons-private.h"

#define DEFAULT_CHIP "gpiochip0"
#define DEFAULT_CONSUMER "reaction-boxd"

bool rb_gpio_bias_from_string(const char *s, RbGpioBias *out)
{
	static const char *const names[] = {
		[RB_GPIO_BIAS_PULL_UP] = "pull-up",
		[RB_GPIO_BIAS_PULL_DOWN] = "pull-down",
		[RB_GPIO_BIAS_DISABLE] = "disable",
		[RB_GPIO_BIAS_AS_IS] = "as-is",
	};

	for (unsigned int i = 0; s && i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(s, names[i]) == 0) {
			*out = (RbGpioBias)i;
			return true;
		}
	}
	return false;
}

bool rb_buttons_gpio_parse_line(const char *spec, unsigned int *offset,
				bool *is_offset)
{
	guint64 v;

	if (!spec || !*spec)
		return false;
	/* Anything that starts like a number must be one. */
	if (g_ascii_isdigit(spec[0]) || spec[0] == '-' || spec[0] == '+') {
		if (!g_ascii_string_to_unsigned(spec, 10, 0, 1023, &v, NULL))
			return false;
		*offset = (unsigned int)v;
		*is_offset = true;
		return true;
	}
	for (const char *p = spec; *p; p++)
		if (!g_ascii_isgraph(*p))
			return false;
	*offset = 0;
	*is_offset = false;
	return true;
}

bool rb_buttons_gpio_translate(const unsigned int offsets[RB_BUTTON_COUNT],
			       unsigned int offset, bool rising, uint64_t ts_ns,
			       RbButtonEdge *out)
{
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		if (offsets[i] != offset)
			continue;
		out->button = (RbButton)i;
		out->pressed = rising;
		out->timestamp_ms = ts_ns / 1000000;
		return true;
	}
	return false;
}

static RbErrorCode errno_code(int e)
{
	switch (e) {
	case EBUSY:
		return RB_ERROR_BUSY;
	case EACCES:
	case EPERM:
		return RB_ERROR_PERMISSION;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return RB_ERROR_NOT_FOUND;
	case EINVAL:
		return RB_ERROR_INVALID;
	}
	return RB_ERROR_IO;
}

static bool check_opts(const RbButtonsGpiodOptions *opts, const char *chip,
		       GError **error)
{
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		unsigned int off;
		bool is_off;

		if (!rb_buttons_gpio_parse_line(opts->lines[i], &off,
						&is_off)) {
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s: bad line \"%s\" for %s (a name like "
				    "GPIO17 or an offset)",
				    chip, opts->lines[i] ? opts->lines[i] : "",
				    rb_button_name((RbButton)i));
			return false;
		}
	}
	return true;
}

static bool check_distinct(const char *chip,
			   const unsigned int offsets[RB_BUTTON_COUNT],
			   const RbButtonsGpiodOptions *opts, GError **error)
{
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		for (unsigned int j = 0; j < i; j++) {
			if (offsets[i] != offsets[j])
				continue;
			g_set_error(error, RB_ERROR, RB_ERROR_INVALID,
				    "%s: %s and %s are both line %u (%s)", chip,
				    rb_button_name((RbButton)j),
				    rb_button_name((RbButton)i), offsets[i],
				    opts->lines[i]);
			return false;
		}
	}
	return true;
}

#if defined(HAVE_GPIOD_V2)

typedef struct {
	RbButtonsSource base;
	char *chip_name;
	struct gpiod_chip *chip;
	struct gpiod_line_request *request;
	struct gpiod_edge_event_buffer *events;
	unsigned int offsets[RB_BUTTON_COUNT];
	guint watch_id;
} GpiodSource;

static gboolean gpiod_readable_cb(gint fd, GIOCondition cond, gpointer data)
{
	GpiodSource *g = data;
	int n;

	n = gpiod_line_request_read_edge_events(g->request, g->events,
						RB_BUTTON_COUNT * 4);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return G_SOURCE_CONTINUE;
		g_warning("%s: reading line events failed: %s", g->chip_name,
			  g_strerror(errno));
		g->watch_id = 0;
		return G_SOURCE_REMOVE;
	}
	for (int i = 0; i < n; i++) {
		struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(
			g->events, i);
		RbButtonEdge edge;

		if (rb_buttons_gpio_translate(
			    g->offsets, gpiod_edge_event_get_line_offset(ev),
			    gpiod_edge_event_get_event_type(ev) ==
				    GPIOD_EDGE_EVENT_RISING_EDGE,
			    gpiod_edge_event_get_timestamp_ns(ev), &edge))
			rb_buttons_source_emit(&g->base, &edge);
	}
	return G_SOURCE_CONTINUE;
}

static void gpiod_destroy(RbButtonsSource *source)
{
	GpiodSource *g = (GpiodSource *)source;

	if (g->watch_id)
		g_source_remove(g->watch_id);
	if (g->events)
		gpiod_edge_event_buffer_free(g->events);
	if (g->request)
		gpiod_line_request_release(g->request);
	if (g->chip)
		gpiod_chip_close(g->chip);
	g_free(g->chip_name);
	g_free(g);
}

static enum gpiod_line_bias v2_bias(RbGpioBias bias)
{
	switch (bias) {
	case RB_GPIO_BIAS_PULL_UP:
		return GPIOD_LINE_BIAS_PULL_UP;
	case RB_GPIO_BIAS_PULL_DOWN:
		return GPIOD_LINE_BIAS_PULL_DOWN;
	case RB_GPIO_BIAS_DISABLE:
		return GPIOD_LINE_BIAS_DISABLED;
	case RB_GPIO_BIAS_AS_IS:
		return GPIOD_LINE_BIAS_AS_IS;
	}
	return GPIOD_LINE_BIAS_AS_IS;
}

RbButtonsSource *rb_buttons_gpiod_new(const RbButtonsGpiodOptions *opts,
				      RbButtonsEdgeFunc cb, void *user_data,
				      GError **error)
{
	const char *chip = opts->chip ? opts->chip : DEFAULT_CHIP;
	g_autofree char *path = NULL;
	struct gpiod_line_settings *settings = NULL;
	struct gpiod_line_config *line_cfg = NULL;
	struct gpiod_request_config *req_cfg = NULL;
	enum gpiod_line_value values[RB_BUTTON_COUNT];
	bool held[RB_BUTTON_COUNT];
	GpiodSource *g;
	bool ok = false;

	if (!check_opts(opts, chip, error))
		return NULL;
	path = strchr(chip, '/') ? g_strdup(chip)
				 : g_strconcat("/dev/", chip, NULL);
	g = g_new0(GpiodSource, 1);
	rb_buttons_source_init(&g->base, "gpiod", gpiod_destroy, cb, user_data);
	g->chip_name = g_strdup(chip);
	g->chip = gpiod_chip_open(path);
	if (!g->chip) {
		int e = errno;

		g_set_error(error, RB_ERROR, errno_code(e),
			    "cannot open GPIO chip %s: %s", path,
			    g_strerror(e));
		goto out;
	}
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		unsigned int off;
		bool is_off;
		int r;

		rb_buttons_gpio_parse_line(opts->lines[i], &off, &is_off);
		if (is_off) {
			g->offsets[i] = off;
			continue;
		}
		r = gpiod_chip_get_line_offset_from_name(g->chip,
							 opts->lines[i]);
		if (r < 0) {
			g_set_error(error, RB_ERROR, RB_ERROR_NOT_FOUND,
				    "%s: no line named %s (for %s): %s", chip,
				    opts->lines[i], rb_button_name((RbButton)i),
				    g_strerror(errno));
			goto out;
		}
		g->offsets[i] = (unsigned int)r;
	}
	if (!check_distinct(chip, g->offsets, opts, error))
		goto out;

	settings = gpiod_line_settings_new();
	line_cfg = gpiod_line_config_new();
	req_cfg = gpiod_request_config_new();
	if (!settings || !line_cfg || !req_cfg ||
	    gpiod_line_settings_set_direction(settings,
					      GPIOD_LINE_DIRECTION_INPUT) < 0 ||
	    gpiod_line_settings_set_edge_detection(settings,
						   GPIOD_LINE_EDGE_BOTH) < 0 ||
	    gpiod_line_settings_set_bias(settings, v2_bias(opts->bias)) < 0 ||
	    gpiod_line_settings_set_event_clock(
		    settings, GPIOD_LINE_CLOCK_MONOTONIC) < 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "%s: cannot set up line settings: %s", chip,
			    g_strerror(errno));
		goto out;
	}
	gpiod_line_settings_set_active_low(settings, opts->active_low);
	gpiod_request_config_set_consumer(
		req_cfg, opts->consumer ? opts->consumer : DEFAULT_CONSUMER);
	if (gpiod_line_config_add_line_settings(
		    line_cfg, g->offsets, RB_BUTTON_COUNT, settings) < 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "%s: cannot set up line config: %s", chip,
			    g_strerror(errno));
		goto out;
	}
	g->request = gpiod_chip_request_lines(g->chip, req_cfg, line_cfg);
	if (!g->request) {
		int e = errno;

		g_set_error(error, RB_ERROR, errno_code(e),
			    "%s: cannot request lines %u, %u, %u, %u (%s, %s, "
			    "%s, %s): %s",
			    chip, g->offsets[0], g->offsets[1], g->offsets[2],
			    g->offsets[3], opts->lines[0], opts->lines[1],
			    opts->lines[2], opts->lines[3], g_strerror(e));
		goto out;
	}
	g->events = gpiod_edge_event_buffer_new(RB_BUTTON_COUNT * 4);
	if (!g->events ||
	    gpiod_line_request_get_values(g->request, values) < 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "%s: cannot read line values: %s", chip,
			    g_strerror(errno));
		goto out;
	}
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
		held[i] = values[i] == GPIOD_LINE_VALUE_ACTIVE;
	rb_buttons_source_report_initial(&g->base, held, rb_buttons_now_ms());
	g->watch_id = g_unix_fd_add(gpiod_line_request_get_fd(g->request),
				    G_IO_IN, gpiod_readable_cb, g);
	ok = true;
out:
	if (settings)
		gpiod_line_settings_free(settings);
	if (line_cfg)
		gpiod_line_config_free(line_cfg);
	if (req_cfg)
		gpiod_request_config_free(req_cfg);
	if (!ok) {
		gpiod_destroy(&g->base);
		return NULL;
	}
	return &g->base;
}

#elif defined(HAVE_GPIOD_V1)

/* v1: one event fd per line. */
typedef struct GpiodSource GpiodSource;

typedef struct {
	GpiodSource *owner;
	struct gpiod_line *line;
	guint watch_id;
} GpiodWatch;

struct GpiodSource {
	RbButtonsSource base;
	char *chip_name;
	struct gpiod_chip *chip;
	struct gpiod_line_bulk bulk;
	bool requested;
	unsigned int offsets[RB_BUTTON_COUNT];
	GpiodWatch watch[RB_BUTTON_COUNT];
};

static gboolean gpiod_readable_cb(gint fd, GIOCondition cond, gpointer data)
{
	GpiodWatch *w = data;
	GpiodSource *g = w->owner;
	struct gpiod_line_event ev;
	RbButtonEdge edge;

	if (gpiod_line_event_read_fd(fd, &ev) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return G_SOURCE_CONTINUE;
		g_warning("%s: reading events of line %u failed: %s",
			  g->chip_name, gpiod_line_offset(w->line),
			  g_strerror(errno));
		w->watch_id = 0;
		return G_SOURCE_REMOVE;
	}
	if (rb_buttons_gpio_translate(g->offsets, gpiod_line_offset(w->line),
				      ev.event_type ==
					      GPIOD_LINE_EVENT_RISING_EDGE,
				      (uint64_t)ev.ts.tv_sec * 1000000000u +
					      (uint64_t)ev.ts.tv_nsec,
				      &edge))
		rb_buttons_source_emit(&g->base, &edge);
	return G_SOURCE_CONTINUE;
}

static void gpiod_destroy(RbButtonsSource *source)
{
	GpiodSource *g = (GpiodSource *)source;

	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
		if (g->watch[i].watch_id)
			g_source_remove(g->watch[i].watch_id);
	if (g->requested)
		gpiod_line_release_bulk(&g->bulk);
	if (g->chip)
		gpiod_chip_close(g->chip);
	g_free(g->chip_name);
	g_free(g);
}

static int v1_flags(const RbButtonsGpiodOptions *opts)
{
	int flags = opts->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;

	switch (opts->bias) {
	case RB_GPIO_BIAS_PULL_UP:
		return flags | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
	case RB_GPIO_BIAS_PULL_DOWN:
		return flags | GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
	case RB_GPIO_BIAS_DISABLE:
		return flags | GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
	case RB_GPIO_BIAS_AS_IS:
		return flags;
	}
	return flags;
}

RbButtonsSource *rb_buttons_gpiod_new(const RbButtonsGpiodOptions *opts,
				      RbButtonsEdgeFunc cb, void *user_data,
				      GError **error)
{
	const char *chip = opts->chip ? opts->chip : DEFAULT_CHIP;
	int values[RB_BUTTON_COUNT] = {0};
	bool held[RB_BUTTON_COUNT];
	GpiodSource *g;

	if (!check_opts(opts, chip, error))
		return NULL;
	g = g_new0(GpiodSource, 1);
	rb_buttons_source_init(&g->base, "gpiod", gpiod_destroy, cb, user_data);
	g->chip_name = g_strdup(chip);
	errno = 0;
	g->chip = gpiod_chip_open_lookup(chip);
	if (!g->chip) {
		int e = errno ? errno : ENOENT;

		g_set_error(error, RB_ERROR, errno_code(e),
			    "cannot open GPIO chip %s: %s", chip,
			    g_strerror(e));
		goto fail;
	}
	gpiod_line_bulk_init(&g->bulk);
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		struct gpiod_line *line;
		unsigned int off;
		bool is_off;

		rb_buttons_gpio_parse_line(opts->lines[i], &off, &is_off);
		errno = 0;
		line = is_off ? gpiod_chip_get_line(g->chip, off)
			      : gpiod_chip_find_line(g->chip, opts->lines[i]);
		if (!line) {
			int e = errno ? errno : ENOENT;

			g_set_error(error, RB_ERROR, errno_code(e),
				    "%s: no line %s (for %s): %s", chip,
				    opts->lines[i], rb_button_name((RbButton)i),
				    g_strerror(e));
			goto fail;
		}
		g->offsets[i] = gpiod_line_offset(line);
		g->watch[i].owner = g;
		g->watch[i].line = line;
		gpiod_line_bulk_add(&g->bulk, line);
	}
	if (!check_distinct(chip, g->offsets, opts, error))
		goto fail;
	if (gpiod_line_request_bulk_both_edges_events_flags(
		    &g->bulk,
		    opts->consumer ? opts->consumer : DEFAULT_CONSUMER,
		    v1_flags(opts)) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR, errno_code(e),
			    "%s: cannot request lines %s, %s, %s, %s: %s%s",
			    chip, opts->lines[0], opts->lines[1],
			    opts->lines[2], opts->lines[3], g_strerror(e),
			    e == EBUSY ? " (used by another program or a "
					 "kernel driver)"
				       : "");
		goto fail;
	}
	g->requested = true;
	if (gpiod_line_get_value_bulk(&g->bulk, values) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR, errno_code(e),
			    "%s: cannot read line values: %s", chip,
			    g_strerror(e));
		goto fail;
	}
	for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++) {
		int fd = gpiod_line_event_get_fd(g->watch[i].line);

		if (fd < 0) {
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "%s: line %s has no event fd: %s", chip,
				    opts->lines[i], g_strerror(errno));
			goto fail;
		}
		held[i] = values[i] != 0;
		g->watch[i].watch_id = g_unix_fd_add(
			fd, G_IO_IN, gpiod_readable_cb, &g->watch[i]);
	}
	rb_buttons_source_report_initial(&g->base, held, rb_buttons_now_ms());
	return &g->base;
fail:
	gpiod_destroy(&g->base);
	return NULL;
}

#else
#error "configure found no libgpiod"
#endif
