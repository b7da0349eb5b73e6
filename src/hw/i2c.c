// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The i2c-dev transport and the step pump that drives an i2c display from
 * main-loop sources, one short transfer per dispatch.
 */
#define G_LOG_DOMAIN "rb-i2c"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/error.h"
#include "hw/display-private.h"

/* A failed display is tried again on a screen change after this long. */
#define RETRY_US (30 * G_USEC_PER_SEC)

/* ---- i2c-dev ---- */

typedef struct {
	int fd;
	char *path;
	unsigned int addr;
} I2cDev;

static void *i2c_dev_open(const char *bus, unsigned int addr, void *user_data,
			  GError **error)
{
	g_autofree char *path = NULL;
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
	return dev;
}

static bool i2c_dev_write(void *handle, const uint8_t *buf, size_t len,
			  GError **error)
{
	I2cDev *dev = handle;
	ssize_t n = write(dev->fd, buf, len);

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
