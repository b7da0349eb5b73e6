// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rb-display-probe: drives the SSD1306 backend over the real i2c-dev
 * transport against a kernel i2c device, and checks every transfer by
 * reading the device back. Made for the i2c-stub module in the VM tests
 * (modprobe i2c-dev; modprobe i2c-stub chip_addr=0x3c): i2c-stub is
 * SMBus-only, so this proves the SMBus fallback of src/hw/i2c.c, and its
 * registers keep what each SMBus block write put there (register = the
 * command byte + i).
 *
 * Usage: rb-display-probe [--hd44780] BUS [ADDR]
 *                          show two screens on an SSD1306 (default, ADDR
 *                          0x3c) or a 16x2 HD44780 behind a PCF8574 (ADDR
 *                          0x27), verify every transfer
 *        rb-display-probe --dump BUS ADDR REG LEN
 *                          print LEN registers from REG
 *
 * The HD44780 goes through rb_i2c_dev_stream_ops (its writes are plain
 * port byte streams). The first form prints one "PASS: ..." line and exits
 * 0, or "FAIL: ..."
 * lines and exits 1. It fails if the backend logs a failure, if a transfer
 * fails, or if a register read back differs from what was written.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hw/display.h"
#include "hw/i2c-smbus.h"

typedef struct {
	const RbI2cOps *ops; /* the real transport under test */
	RbI2cSplitMode split; /* how it splits on SMBus-only adapters */
	unsigned int transfers; /* SMBus transfers checked */
	unsigned int unchecked; /* single-byte writes: nothing to read */
	unsigned int writes; /* i2c writes by the backend */
	unsigned int failures;
	unsigned int log_failures;
} Probe;

typedef struct {
	Probe *probe;
	void *real;
	int fd; /* a second fd on the bus, for reading back */
} Handle;

static int open_bus(const char *bus, unsigned int addr, unsigned long *funcs)
{
	int fd = open(bus, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("FAIL: cannot open %s: %s\n", bus, g_strerror(errno));
		return -1;
	}
	if (ioctl(fd, I2C_FUNCS, funcs) < 0 ||
	    ioctl(fd, I2C_SLAVE, (unsigned long)addr) < 0) {
		printf("FAIL: %s address 0x%02x: %s\n", bus, addr,
		       g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* SMBus "I2C block read" of @len (1..32) registers from @reg. */
static bool read_regs(int fd, uint8_t reg, uint8_t *out, size_t len)
{
	union i2c_smbus_data data;
	struct i2c_smbus_ioctl_data args = {
		.read_write = I2C_SMBUS_READ,
		.command = reg,
		.size = I2C_SMBUS_I2C_BLOCK_DATA,
		.data = &data,
	};

	data.block[0] = (uint8_t)len;
	if (ioctl(fd, I2C_SMBUS, &args) < 0) {
		printf("FAIL: SMBus block read at 0x%02x: %s\n", reg,
		       g_strerror(errno));
		return false;
	}
	if (data.block[0] != len) {
		printf("FAIL: SMBus block read at 0x%02x: %u bytes, want %zu\n",
		       reg, data.block[0], len);
		return false;
	}
	memcpy(out, &data.block[1], len);
	return true;
}

static void *probe_open(const char *bus, unsigned int addr, void *user_data,
			GError **error)
{
	unsigned long funcs = 0;
	Handle *h;
	void *real;
	int fd;

	Probe *p = user_data;

	real = p->ops->open(bus, addr, NULL, error);
	if (!real)
		return NULL;
	fd = open_bus(bus, addr, &funcs);
	if (fd < 0) {
		p->ops->close(real);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot open %s for reading back", bus);
		return NULL;
	}
	printf("%s: I2C_FUNCS 0x%08lx, plain i2c %s, SMBus i2c block write "
	       "%s\n",
	       bus, funcs, funcs & I2C_FUNC_I2C ? "yes" : "no",
	       funcs & I2C_FUNC_SMBUS_WRITE_I2C_BLOCK ? "yes" : "no");
	h = g_new0(Handle, 1);
	h->probe = user_data;
	h->real = real;
	h->fd = fd;
	return h;
}

/*
 * Forwards to the real transport, then reads the registers of the last
 * SMBus transfer back: each block write leaves its data at command + i.
 */
static bool probe_write(void *handle, const uint8_t *buf, size_t len,
			GError **error)
{
	Handle *h = handle;
	RbI2cSmbusChunk chunk, last = {0};
	uint8_t got[RB_I2C_SMBUS_BLOCK_MAX];
	size_t pos = 0;

	h->probe->writes++;
	if (!h->probe->ops->write(h->real, buf, len, error)) {
		h->probe->failures++;
		return false;
	}
	while (rb_i2c_smbus_next(h->probe->split, buf, len, &pos, &chunk))
		last = chunk;
	/* A lone byte (SMBus write byte) leaves no register to read. */
	if (last.len == 0) {
		h->probe->unchecked++;
		return true;
	}
	if (!read_regs(h->fd, last.command, got, last.len)) {
		h->probe->failures++;
		return true;
	}
	if (memcmp(got, last.data, last.len) != 0) {
		printf("FAIL: write %u: registers 0x%02x..0x%02zx differ from "
		       "the %zu bytes written\n",
		       h->probe->writes, last.command,
		       last.command + last.len - 1, last.len);
		h->probe->failures++;
		return true;
	}
	h->probe->transfers++;
	return true;
}

static void probe_close(void *handle)
{
	Handle *h = handle;

	h->probe->ops->close(h->real);
	close(h->fd);
	g_free(h);
}

static const RbI2cOps probe_ops = {probe_open, probe_write, probe_close};

/* Every log line (the backends log through GLib's structured logging). */
static GLogWriterOutput log_writer(GLogLevelFlags level,
				   const GLogField *fields, gsize n_fields,
				   gpointer user_data)
{
	Probe *p = user_data;
	const char *domain = "-", *message = "";

	for (gsize i = 0; i < n_fields; i++) {
		if (fields[i].length >= 0)
			continue; /* not a string */
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if ((level & G_LOG_LEVEL_DEBUG) && !g_getenv("G_MESSAGES_DEBUG"))
		return G_LOG_WRITER_HANDLED;
	printf("log: %s: %s\n", domain, message);
	/* The i2c pump logs a display that stopped answering. */
	if (strstr(message, "does not answer") ||
	    (level &
	     (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)))
		p->log_failures++;
	return G_LOG_WRITER_HANDLED;
}

static bool parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return false;
	*out = (unsigned int)v;
	return true;
}

static int dump(const char *bus, const char *addr_s, const char *reg_s,
		const char *len_s)
{
	unsigned int addr, reg, len;
	unsigned long funcs;
	uint8_t buf[RB_I2C_SMBUS_BLOCK_MAX];
	int fd;

	if (!parse_uint(addr_s, 0x77, &addr) || !parse_uint(reg_s, 255, &reg) ||
	    !parse_uint(len_s, RB_I2C_SMBUS_BLOCK_MAX, &len) || len == 0 ||
	    reg + len > 256) {
		fprintf(stderr, "rb-display-probe: bad ADDR, REG or LEN\n");
		return 2;
	}
	fd = open_bus(bus, addr, &funcs);
	if (fd < 0)
		return 1;
	if (!read_regs(fd, (uint8_t)reg, buf, len)) {
		close(fd);
		return 1;
	}
	for (unsigned int i = 0; i < len; i++)
		printf("%s0x%02x", i ? " " : "", buf[i]);
	printf("\n");
	close(fd);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: rb-display-probe [--hd44780] BUS [ADDR]\n"
			"       rb-display-probe --dump BUS ADDR REG LEN\n");
	exit(2);
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	Probe p = {.ops = &rb_i2c_dev_ops, .split = RB_I2C_SPLIT_CONTROL_BYTE};
	RbScreen s = {.kind = RB_SCREEN_PIN, .pin = 123456};
	bool hd44780 = false;
	const char *what = "SSD1306";
	unsigned int addr = 0x3c, min_writes;
	RbDisplay *d;
	int a = 1;

	if (argc == 6 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2], argv[3], argv[4], argv[5]);
	if (a < argc && strcmp(argv[a], "--hd44780") == 0) {
		hd44780 = true;
		what = "HD44780";
		addr = 0x27;
		p.ops = &rb_i2c_dev_stream_ops;
		p.split = RB_I2C_SPLIT_STREAM;
		a++;
	}
	if (argc - a < 1 || argc - a > 2 || argv[a][0] == '-' ||
	    (argc - a == 2 && !parse_uint(argv[a + 1], 0x77, &addr)))
		usage();
	g_log_set_writer_func(log_writer, &p, NULL);

	if (hd44780)
		d = rb_display_hd44780_new(&probe_ops, &p, argv[a], addr, 16, 2,
					   NULL, &error);
	else
		d = rb_display_ssd1306_new(&probe_ops, &p, argv[a], addr, 64,
					   &error);
	if (!d) {
		printf("FAIL: %s on %s: %s\n", what, argv[a], error->message);
		return 1;
	}
	/* A full screen, then a partial update. */
	s.seconds_left = 58;
	g_strlcpy(s.name, "Reaction_A1B2C3", sizeof(s.name));
	rb_display_show(d, &s);
	rb_display_flush(d);
	s.seconds_left = 57;
	rb_display_show(d, &s);
	rb_display_flush(d);
	rb_display_free(d);

	printf("%u i2c writes: %u SMBus transfers read back, %u single "
	       "bytes\n",
	       p.writes, p.transfers, p.unchecked);
	if (p.failures || p.log_failures) {
		printf("FAIL: %u transfer failures, %u failure logs\n",
		       p.failures, p.log_failures);
		return 1;
	}
	/*
	 * SSD1306: init + 8 pages x 2 writes + display on, then at least one
	 * page. HD44780: the init steps, two rows, then one changed row.
	 */
	min_writes = hd44780 ? 8 : 1 + 16 + 1 + 2;
	if (p.writes < min_writes || p.transfers + p.unchecked != p.writes ||
	    p.transfers < p.writes / 2) {
		printf("FAIL: too few transfers checked for two screens\n");
		return 1;
	}
	printf("PASS: %s on %s address 0x%02x\n", what, argv[a], addr);
	return 0;
}
