// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The i2c-dev transport (write(), or SMBus block writes on adapters
 * without plain i2c: see hw/i2c-smbus.h) and the step pump that drives an
 * i2c display from main-loop sources, one short transfer per dispatch.
 */
#define G_LOG_DOMAIN "rb-i2c"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/display-private.h"
#include "hw/i2c-smbus.h"

/* A failed display is tried again on a screen change after this long. */
#define RETRY_US (30 * G_USEC_PER_SEC)

/* ---- the SMBus splitting (pure) ---- */

bool rb_i2c_smbus_next(RbI2cSplitMode mode, const uint8_t *buf, size_t len,
		       size_t *pos, RbI2cSmbusChunk *out)
{
	size_t n;

	if (!buf || len == 0 || *pos >= len)
		return false;
	switch (mode) {
	case RB_I2C_SPLIT_CONTROL_BYTE:
		if (len == 1) {
			/* A lone control byte: one SMBus write byte. */
			*out = (RbI2cSmbusChunk){buf[0], NULL, 0};
			*pos = 1;
			return true;
		}
		if (*pos == 0)
			*pos = 1;
		n = MIN(len - *pos, (size_t)RB_I2C_SMBUS_BLOCK_MAX);
		*out = (RbI2cSmbusChunk){buf[0], buf + *pos, n};
		*pos += n;
		return true;
	case RB_I2C_SPLIT_STREAM:
		n = MIN(len - *pos - 1, (size_t)RB_I2C_SMBUS_BLOCK_MAX);
		*out = (RbI2cSmbusChunk){buf[*pos], n ? buf + *pos + 1 : NULL,
					 n};
		*pos += 1 + n;
		return true;
	}
	return false;
}

/* ---- i2c-dev ---- */

typedef struct {
	int fd;
	char *path;
	unsigned int addr;
	bool smbus; /* no plain I2C on this adapter: SMBus transfers */
	unsigned long funcs; /* I2C_FUNCS */
	RbI2cSplitMode split;
} I2cDev;

static void *i2c_dev_open_mode(const char *bus, unsigned int addr,
			       RbI2cSplitMode split, GError **error)
{
	g_autofree char *path = NULL;
	unsigned long funcs = 0;
	I2cDev *dev;
	int fd;

	if (addr < 0x03 || addr > 0x77) {
		g_set_error(error, RB_ERROR, RB_ERROR_RANGE,
			    "i2c address 0x%02x: 0x03..0x77", addr);
		return NULL;
	}
	path = g_ascii_isdigit(bus[0]) ? g_strconcat("/dev/i2c-", bus, NULL)
				       : g_strdup(bus);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR,
			    e == EACCES	  ? RB_ERROR_PERMISSION
			    : e == ENOENT ? RB_ERROR_NOT_FOUND
					  : RB_ERROR_IO,
			    "cannot open i2c bus %s: %s%s", path, g_strerror(e),
			    e == ENOENT ? " (dtparam=i2c_arm=on?)" : "");
		return NULL;
	}
	if (ioctl(fd, I2C_FUNCS, &funcs) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "i2c bus %s: I2C_FUNCS: %s (not an i2c-dev "
			    "device?)",
			    path, g_strerror(e));
		close(fd);
		return NULL;
	}
	if (!(funcs & I2C_FUNC_I2C) &&
	    !(funcs & I2C_FUNC_SMBUS_WRITE_I2C_BLOCK)) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "i2c bus %s can do neither plain i2c writes nor "
			    "SMBus i2c block writes (I2C_FUNCS 0x%08lx)",
			    path, funcs);
		close(fd);
		return NULL;
	}
	if (ioctl(fd, I2C_SLAVE, (unsigned long)addr) < 0) {
		int e = errno;

		g_set_error(error, RB_ERROR,
			    e == EBUSY ? RB_ERROR_BUSY : RB_ERROR_IO,
			    "i2c bus %s address 0x%02x: %s%s", path, addr,
			    g_strerror(e),
			    e == EBUSY ? " (a kernel driver holds it)" : "");
		close(fd);
		return NULL;
	}
	dev = g_new0(I2cDev, 1);
	dev->fd = fd;
	dev->path = g_steal_pointer(&path);
	dev->addr = addr;
	dev->funcs = funcs;
	dev->smbus = !(funcs & I2C_FUNC_I2C);
	dev->split = split;
	if (dev->smbus)
		g_debug("i2c bus %s has no plain i2c, using SMBus block "
			"writes",
			dev->path);
	return dev;
}

static void *i2c_dev_open(const char *bus, unsigned int addr, void *user_data,
			  GError **error)
{
	return i2c_dev_open_mode(bus, addr, RB_I2C_SPLIT_CONTROL_BYTE, error);
}

static void *i2c_dev_open_stream(const char *bus, unsigned int addr,
				 void *user_data, GError **error)
{
	return i2c_dev_open_mode(bus, addr, RB_I2C_SPLIT_STREAM, error);
}

/* One SMBus write transfer (I2C_SMBUS ioctl). */
static bool i2c_dev_smbus_write(I2cDev *dev, const RbI2cSmbusChunk *c,
				GError **error)
{
	union i2c_smbus_data data;
	struct i2c_smbus_ioctl_data args = {
		.read_write = I2C_SMBUS_WRITE,
		.command = c->command,
	};

	if (c->len == 0) {
		if (!(dev->funcs & I2C_FUNC_SMBUS_WRITE_BYTE)) {
			g_set_error(error, RB_ERROR, RB_ERROR_IO,
				    "i2c bus %s cannot write a single byte "
				    "(no SMBus write byte)",
				    dev->path);
			return false;
		}
		args.size = I2C_SMBUS_BYTE;
		args.data = NULL;
	} else {
		data.block[0] = (uint8_t)c->len;
		memcpy(&data.block[1], c->data, c->len);
		args.size = I2C_SMBUS_I2C_BLOCK_DATA;
		args.data = &data;
	}
	if (ioctl(dev->fd, I2C_SMBUS, &args) < 0) {
		g_set_error(error, RB_ERROR, RB_ERROR_IO,
			    "i2c SMBus write of %zu bytes to %s address "
			    "0x%02x: %s",
			    c->len + 1, dev->path, dev->addr,
			    g_strerror(errno));
		return false;
	}
	return true;
}

static bool i2c_dev_write(void *handle, const uint8_t *buf, size_t len,
			  GError **error)
{
	I2cDev *dev = handle;
	RbI2cSmbusChunk chunk;
	size_t pos = 0;
	ssize_t n;

	if (dev->smbus) {
		while (rb_i2c_smbus_next(dev->split, buf, len, &pos, &chunk))
			if (!i2c_dev_smbus_write(dev, &chunk, error))
				return false;
		return true;
	}
	n = write(dev->fd, buf, len);
	if (n == (ssize_t)len)
		return true;
	g_set_error(error, RB_ERROR, RB_ERROR_IO,
		    "i2c write of %zu bytes to %s address 0x%02x: %s", len,
		    dev->path, dev->addr,
		    n < 0 ? g_strerror(errno) : "short write");
	return false;
}

static void i2c_dev_close(void *handle)
{
	I2cDev *dev = handle;

	close(dev->fd);
	g_free(dev->path);
	g_free(dev);
}

const RbI2cOps rb_i2c_dev_ops = {
	.open = i2c_dev_open,
	.write = i2c_dev_write,
	.close = i2c_dev_close,
};

const RbI2cOps rb_i2c_dev_stream_ops = {
	.open = i2c_dev_open_stream,
	.write = i2c_dev_write,
	.close = i2c_dev_close,
};

/* ---- the step pump ---- */

struct RbI2cLink {
	const RbI2cOps *ops;
	void *handle;
	char *desc;
	RbI2cStepFunc step;
	void *user_data;
	guint source_id;
	bool failed;
	bool logged;
	bool recovering;
	gint64 failed_at;
};

RbI2cLink *rb_i2c_link_new(const RbI2cOps *ops, void *ops_data, const char *bus,
			   unsigned int addr, const char *what,
			   RbI2cStepFunc step, void *user_data, GError **error)
{
	RbI2cLink *link;
	void *handle;

	if (!ops)
		ops = &rb_i2c_dev_ops;
	if (!bus || !*bus) {
		g_set_error(error, RB_ERROR, RB_ERROR_INVALID, "%s: no i2c bus",
			    what);
		return NULL;
	}
	handle = ops->open(bus, addr, ops_data, error);
	if (!handle) {
		g_prefix_error(error, "%s: ", what);
		return NULL;
	}
	link = g_new0(RbI2cLink, 1);
	link->ops = ops;
	link->handle = handle;
	link->desc = g_strdup_printf("%s on %s address 0x%02x", what, bus,
				     addr);
	link->step = step;
	link->user_data = user_data;
	return link;
}

void rb_i2c_link_free(RbI2cLink *link)
{
	if (!link)
		return;
	if (link->source_id)
		g_source_remove(link->source_id);
	link->ops->close(link->handle);
	g_free(link->desc);
	g_free(link);
}

const char *rb_i2c_link_describe(const RbI2cLink *link)
{
	return link->desc;
}

bool rb_i2c_link_write(RbI2cLink *link, const uint8_t *buf, size_t len,
		       GError **error)
{
	return link->ops->write(link->handle, buf, len, error);
}

static void link_fail(RbI2cLink *link, const GError *error)
{
	link->failed = true;
	link->recovering = false;
	link->failed_at = g_get_monotonic_time();
	if (link->logged)
		return;
	link->logged = true;
	g_message("%s does not answer, showing screens in the log instead: "
		  "%s",
		  link->desc, error ? error->message : "unknown error");
}

/* One step; returns the delay before the next or -1 when done/failed. */
static int link_step(RbI2cLink *link)
{
	g_autoptr(GError) error = NULL;
	int r = link->step(link->user_data, &error);

	if (r == -2 || error) {
		link_fail(link, error);
		return -1;
	}
	if (r < 0 && link->recovering) {
		link->recovering = false;
		link->logged = false;
		g_message("%s answers again", link->desc);
	}
	return r < 0 ? -1 : r;
}

static gboolean link_pump_cb(gpointer data);

static void link_schedule(RbI2cLink *link, int delay_ms)
{
	if (delay_ms == 0)
		link->source_id = g_idle_add(link_pump_cb, link);
	else
		link->source_id = g_timeout_add((guint)delay_ms, link_pump_cb,
						link);
}

static gboolean link_pump_cb(gpointer data)
{
	RbI2cLink *link = data;
	int delay = link_step(link);

	link->source_id = 0;
	if (delay >= 0)
		link_schedule(link, delay);
	return G_SOURCE_REMOVE;
}

void rb_i2c_link_kick(RbI2cLink *link)
{
	if (link->failed || link->source_id)
		return;
	link_schedule(link, 0);
}

void rb_i2c_link_flush(RbI2cLink *link)
{
	int delay;

	if (link->source_id) {
		g_source_remove(link->source_id);
		link->source_id = 0;
	}
	while (!link->failed && (delay = link_step(link)) >= 0)
		if (delay > 0)
			g_usleep((gulong)delay * 1000);
}

bool rb_i2c_link_failed(const RbI2cLink *link)
{
	return link->failed;
}

bool rb_i2c_link_retry_due(RbI2cLink *link)
{
	if (!link->failed ||
	    g_get_monotonic_time() - link->failed_at < RETRY_US)
		return false;
	link->failed = false;
	link->recovering = true;
	return true;
}
