/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Button sources: where the box's four buttons come from. One opaque type,
 * several implementations (libgpiod, Linux input events, a command FIFO),
 * in the shape of BlueZ's src/shared/io.h.
 *
 * A source reports raw edges, undebounced, with the time they happened on
 * CLOCK_MONOTONIC in milliseconds (the kernel's event timestamp where there
 * is one). Debounce and chords are the core's business (core/buttons.h).
 * Every source runs on the thread-default GMainContext at construction,
 * through fd watches: no polling, no threads. The callback is never called
 * from inside a constructor; buttons already held when a source starts are
 * reported as press edges from the main loop right after.
 */
#pragma once

#include <glib.h>
#include <linux/input.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"

typedef struct RbButtonsSource RbButtonsSource;

typedef void (*RbButtonsEdgeFunc)(RbButton button, bool pressed,
				  uint64_t timestamp_ms, void *user_data);

/* One edge, as the pure translation functions below return it. */
typedef struct {
	RbButton button;
	bool pressed;
	uint64_t timestamp_ms; /* CLOCK_MONOTONIC */
} RbButtonEdge;

/* Stops the source, closes its fds and releases its lines. NULL is fine. */
void rb_buttons_source_free(RbButtonsSource *source);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RbButtonsSource, rb_buttons_source_free)

/* ---- libgpiod (buttons-gpiod.c) ---- */

typedef enum {
	RB_GPIO_BIAS_PULL_UP = 0,
	RB_GPIO_BIAS_PULL_DOWN,
	RB_GPIO_BIAS_DISABLE,
	RB_GPIO_BIAS_AS_IS,
} RbGpioBias;

/* "pull-up", "pull-down", "disable", "as-is"; false if unknown. */
bool rb_gpio_bias_from_string(const char *s, RbGpioBias *out);

typedef struct {
	/* "gpiochip0", "/dev/gpiochip0" (v1 also accepts a label or
	 * number). NULL: "gpiochip0". */
	const char *chip;
	/* Per RbButton: a line name ("GPIO17") or a decimal offset ("17"). */
	const char *lines[RB_BUTTON_COUNT];
	bool active_low; /* true for buttons to ground with pull-ups */
	RbGpioBias bias;
	const char *consumer; /* NULL: "reaction-boxd" */
} RbButtonsGpiodOptions;

/*
 * Requests the four lines as inputs with both-edge events. Errors
 * (RB_ERROR_NOT_FOUND, _BUSY, _PERMISSION, _IO, _INVALID) name the chip, the
 * line and the system error. Returns a new source; free it with
 * rb_buttons_source_free().
 */
RbButtonsSource *rb_buttons_gpiod_new(const RbButtonsGpiodOptions *opts,
				      RbButtonsEdgeFunc cb, void *user_data,
				      GError **error);

/*
 * Parses a line spec: a decimal offset ("17", *is_offset = true) or a line
 * name ("GPIO17", *is_offset = false). False on an empty or bad spec.
 */
bool rb_buttons_gpio_parse_line(const char *spec, unsigned int *offset,
				bool *is_offset);

/*
 * The pure event translation: a kernel edge on line @offset at @ts_ns
 * (CLOCK_MONOTONIC ns) to a button edge. @offsets are the requested
 * offsets per RbButton. The kernel reports the logical level (active-low
 * applied), so a rising edge is a press. False if @offset is not ours.
 */
bool rb_buttons_gpio_translate(const unsigned int offsets[RB_BUTTON_COUNT],
			       unsigned int offset, bool rising, uint64_t ts_ns,
			       RbButtonEdge *out);

/* ---- Linux input events (buttons-evdev.c) ---- */

typedef struct {
	/* /dev/input/eventN or a /dev/input/by-path/ link. NULL: the first
	 * /dev/input/event* that has all four keys. */
	const char *device;
	unsigned int keys[RB_BUTTON_COUNT]; /* per RbButton: KEY_* code */
	bool grab; /* EVIOCGRAB: others see nothing */
} RbButtonsEvdevOptions;

RbButtonsSource *rb_buttons_evdev_new(const RbButtonsEvdevOptions *opts,
				      RbButtonsEdgeFunc cb, void *user_data,
				      GError **error);

/*
 * The same on an already open fd that delivers struct input_event records
 * (a pipe in tests). Takes ownership of @fd, also on error. No ioctls are
 * made on it; timestamps are taken as they come.
 */
RbButtonsSource *rb_buttons_evdev_new_from_fd(
	int fd, const unsigned int keys[RB_BUTTON_COUNT], RbButtonsEdgeFunc cb,
	void *user_data, GError **error);

/*
 * The first /dev/input/event* (in numeric order) under @dir (NULL:
 * "/dev/input") whose EVIOCGBIT(EV_KEY) has all of @keys. Returns a newly
 * allocated path, or NULL with RB_ERROR_NOT_FOUND.
 */
char *rb_buttons_evdev_find_device(const char *dir,
				   const unsigned int keys[RB_BUTTON_COUNT],
				   GError **error);

/*
 * The pure translation: EV_KEY with value 1 (press) or 0 (release) of a
 * mapped key. Autorepeat (2), other types and unmapped keys: false.
 */
bool rb_buttons_evdev_translate(const unsigned int keys[RB_BUTTON_COUNT],
				const struct input_event *ev,
				RbButtonEdge *out);

/* ---- command FIFO (buttons-fifo.c) ---- */

/*
 * Reads lines "press NAME" and "release NAME" (NAME as rb_button_from_name,
 * e.g. "press QUIZZER_RESET") from the FIFO at @path, creating it (0600)
 * if missing, and holding it open for writing too so that it never reaches
 * EOF between writers; a line counts once its newline arrives. Blank lines and
 * lines starting with '#' are ignored; bad lines are logged and ignored.
 * Timestamps are the time of reading. Error if @path exists and is not a
 * FIFO.
 */
RbButtonsSource *rb_buttons_fifo_new(const char *path, RbButtonsEdgeFunc cb,
				     void *user_data, GError **error);

/* The pure line parser of the FIFO source. */
bool rb_buttons_fifo_parse_line(const char *line, RbButton *button,
				bool *pressed, GError **error);
