// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rb-uinput: a virtual keyboard through /dev/uinput, driven from stdin, for
 * the VM tests of the evdev button source on the real kernel input path.
 *
 * Usage: rb-uinput [KEY...]    (default: KEY_F1 KEY_F2 KEY_F3 KEY_F4, the
 *                               daemon's default button keys)
 *
 * Creates a keyboard that has exactly the given keys, prints
 * "ready /dev/input/eventN" on stdout, then reads commands, one a line:
 *   press KEY      EV_KEY value 1 + SYN_REPORT
 *   release KEY    EV_KEY value 0 + SYN_REPORT
 *   sleep MS       wait MS milliseconds (0..60000)
 * and answers each with "ok" (or "error: ..." on stderr, exit 1). KEY is
 * KEY_F1..KEY_F12 or a decimal code, and must be one of the device's keys.
 * Blank lines and lines starting with '#' are ignored. At the end of input
 * every key still down is released and the device is destroyed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/uinput.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 16

static int ufd = -1;
static unsigned int keys[MAX_KEYS];
static bool down[MAX_KEYS];
static size_t n_keys;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt,
								...)
{
	va_list ap;

	fprintf(stderr, "rb-uinput: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static bool parse_key(const char *s, unsigned int *code)
{
	static const unsigned int fkeys[] = {
		KEY_F1, KEY_F2, KEY_F3, KEY_F4,	 KEY_F5,  KEY_F6,
		KEY_F7, KEY_F8, KEY_F9, KEY_F10, KEY_F11, KEY_F12,
	};
	char *end;
	long v;

	if (strncmp(s, "KEY_F", 5) == 0) {
		v = strtol(s + 5, &end, 10);
		if (end == s + 5 || *end || v < 1 || v > 12)
			return false;
		*code = fkeys[v - 1];
		return true;
	}
	v = strtol(s, &end, 10);
	if (end == s || *end || v <= 0 || v > KEY_MAX)
		return false;
	*code = (unsigned int)v;
	return true;
}

static int key_index(unsigned int code)
{
	for (size_t i = 0; i < n_keys; i++)
		if (keys[i] == code)
			return (int)i;
	return -1;
}

static void emit(unsigned int type, unsigned int code, int value)
{
	struct input_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (unsigned short)type;
	ev.code = (unsigned short)code;
	ev.value = value;
	if (write(ufd, &ev, sizeof(ev)) != (ssize_t)sizeof(ev))
		die("write to /dev/uinput: %s", strerror(errno));
}

static void set_key(size_t i, bool pressed)
{
	emit(EV_KEY, keys[i], pressed ? 1 : 0);
	emit(EV_SYN, SYN_REPORT, 0);
	down[i] = pressed;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* /dev/input/eventN of the uinput device, from sysfs. */
static void find_event_node(char *out, size_t size)
{
	char sysname[64] = "", dir[128 + sizeof(sysname)];
	struct dirent *e;
	DIR *d;

	if (ioctl(ufd, UI_GET_SYSNAME(sizeof(sysname)), sysname) < 0)
		die("UI_GET_SYSNAME: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "/sys/devices/virtual/input/%s", sysname);
	/* The event node appears when evdev binds: give it a few seconds. */
	for (int tries = 0; tries < 500; tries++) {
		d = opendir(dir);
		if (!d)
			die("cannot open %s", dir);
		while ((e = readdir(d)))
			if (strncmp(e->d_name, "event", 5) == 0) {
				snprintf(out, size, "/dev/input/%s", e->d_name);
				closedir(d);
				if (access(out, F_OK) == 0)
					return;
				break;
			}
		closedir(d);
		sleep_ms(10);
	}
	die("no event node under %s (is the evdev module loaded?)", dir);
}

static void setup(void)
{
	struct uinput_setup us;
	char node[300];

	ufd = open("/dev/uinput", O_WRONLY | O_CLOEXEC);
	if (ufd < 0)
		die("cannot open /dev/uinput: %s (modprobe uinput?)",
		    strerror(errno));
	if (ioctl(ufd, UI_SET_EVBIT, EV_KEY) < 0)
		die("UI_SET_EVBIT: %s", strerror(errno));
	for (size_t i = 0; i < n_keys; i++)
		if (ioctl(ufd, UI_SET_KEYBIT, keys[i]) < 0)
			die("UI_SET_KEYBIT: %s", strerror(errno));
	memset(&us, 0, sizeof(us));
	us.id.bustype = BUS_VIRTUAL;
	us.id.vendor = 0x1d6b; /* Linux Foundation */
	us.id.product = 0x5242; /* "RB" */
	snprintf(us.name, sizeof(us.name), "reaction-box test buttons");
	if (ioctl(ufd, UI_DEV_SETUP, &us) < 0)
		die("UI_DEV_SETUP: %s", strerror(errno));
	if (ioctl(ufd, UI_DEV_CREATE) < 0)
		die("UI_DEV_CREATE: %s", strerror(errno));
	find_event_node(node, sizeof(node));
	printf("ready %s\n", node);
	fflush(stdout);
}

static void command(char *line)
{
	char *verb = strtok(line, " \t\r\n");
	char *arg = strtok(NULL, " \t\r\n");
	unsigned int code;
	char *end;
	long ms;
	int i;

	if (!verb || verb[0] == '#')
		return;
	if (!arg || strtok(NULL, " \t\r\n"))
		die("bad command '%s': want press KEY, release KEY, sleep MS",
		    verb);
	if (strcmp(verb, "sleep") == 0) {
		ms = strtol(arg, &end, 10);
		if (end == arg || *end || ms < 0 || ms > 60000)
			die("sleep %s: want 0..60000 ms", arg);
		sleep_ms(ms);
	} else if (strcmp(verb, "press") == 0 || strcmp(verb, "release") == 0) {
		if (!parse_key(arg, &code) || (i = key_index(code)) < 0)
			die("key %s is not one of this device's keys", arg);
		set_key((size_t)i, verb[0] == 'p');
	} else {
		die("unknown command '%s'", verb);
	}
	printf("ok\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char line[256];

	if (argc > 1 && argv[1][0] == '-') {
		fprintf(stderr, "usage: rb-uinput [KEY...]\n");
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		if (n_keys == MAX_KEYS)
			die("more than %d keys", MAX_KEYS);
		if (!parse_key(argv[a], &keys[n_keys]))
			die("bad key '%s': KEY_F1..KEY_F12 or a code", argv[a]);
		n_keys++;
	}
	if (n_keys == 0) {
		const unsigned int def[] = {KEY_F1, KEY_F2, KEY_F3, KEY_F4};

		memcpy(keys, def, sizeof(def));
		n_keys = 4;
	}
	setup();
	while (fgets(line, sizeof(line), stdin))
		command(line);
	for (size_t i = 0; i < n_keys; i++)
		if (down[i])
			set_key(i, false);
	if (ioctl(ufd, UI_DEV_DESTROY) < 0)
		die("UI_DEV_DESTROY: %s", strerror(errno));
	close(ufd);
	return 0;
}
