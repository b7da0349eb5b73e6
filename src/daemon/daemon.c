// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's wiring. Events from BlueZ (D-Bus), the kernel (mgmt,
 * HCIGETCONNINFO), the buttons and the timer become calls into the pure
 * policy (src/core/policy.h); its effects become D-Bus calls, display
 * updates, notifications and atomic writes. Nothing here decides who may
 * do what.
 *
 * This file: the daemon's life (new, stop, free, the watchdog), the
 * buttons and the display, and small helpers the other files share. The
 * other concerns have a file each: see daemon/private.h.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "bluez/dbus-util.h"
#include "daemon/private.h"
#include "kernel/bondinfo.h"

#define STOP_TIMEOUT_MS 3000

/* The policy's clock: CLOCK_BOOTTIME, which no wall-clock step moves. */
RbTime now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (RbTime)ts.tv_sec * 1000 + (RbTime)(ts.tv_nsec / 1000000);
}

/* The policy's clock minus CLOCK_MONOTONIC, in ms (the time suspended). */
int64_t boottime_offset_ms(void)
{
	return (int64_t)now_ms() - (int64_t)(g_get_monotonic_time() / 1000);
}

/* A CLOCK_MONOTONIC ms stamp (button edges) on the policy's clock. */
static RbTime from_monotonic_ms(uint64_t mono_ms)
{
	return (RbTime)((int64_t)mono_ms + boottime_offset_ms());
}

int64_t wall_ms(void)
{
	return g_get_real_time() / 1000;
}

char *peer_key(const RbPeer *p)
{
	return g_strdup_printf("%s/%d", p->addr, (int)p->type);
}

const RbBluezDevice *device_of_peer(RbDaemon *d, const RbPeer *peer)
{
	g_autoptr(GPtrArray) devs = NULL;

	if (!d->bluez || !d->adapter_path)
		return NULL;
	devs = rb_bluez_list_devices(d->bluez);
	for (guint i = 0; i < devs->len; i++) {
		const RbBluezDevice *dev = g_ptr_array_index(devs, i);

		if (g_strcmp0(dev->adapter_path, d->adapter_path) == 0 &&
		    g_ascii_strcasecmp(dev->address, peer->addr) == 0 &&
		    dev->address_type == peer->type)
			return dev;
	}
	return NULL;
}

bool peer_of_device(const RbBluezDevice *dev, RbPeer *out)
{
	return rb_peer_set(out, dev->address, dev->address_type);
}

/* ---- hardware ---- */

static void on_button(RbButton button, bool pressed, uint64_t ts, void *data)
{
	RbDaemon *d = data;

	g_debug("button %s %s", rb_button_name(button),
		pressed ? "down" : "up");
	rb_policy_button(d->policy, button, pressed, from_monotonic_ms(ts),
			 d->fx);
	run_effects(d);
}

static bool open_buttons(RbDaemon *d, GError **error)
{
	const RbDaemonConfig *c = d->cfg;
	RbButtonsGpiodOptions g;
	RbButtonsEvdevOptions e;
	RbGpioBias bias = RB_GPIO_BIAS_PULL_UP;

	switch (c->buttons_backend) {
	case RB_BUTTONS_BACKEND_GPIOD:
		memset(&g, 0, sizeof(g));
		g.chip = c->gpio_chip;
		for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
			g.lines[i] = c->gpio_lines[i];
		g.active_low = c->gpio_active_low;
		if (c->gpio_bias)
			rb_gpio_bias_from_string(c->gpio_bias, &bias);
		g.bias = bias;
		d->buttons = rb_buttons_gpiod_new(&g, on_button, d, error);
		break;
	case RB_BUTTONS_BACKEND_EVDEV:
		memset(&e, 0, sizeof(e));
		e.device = c->evdev_device && c->evdev_device[0]
				   ? c->evdev_device
				   : NULL;
		for (unsigned int i = 0; i < RB_BUTTON_COUNT; i++)
			e.keys[i] = c->evdev_keys[i];
		e.grab = c->evdev_grab;
		d->buttons = rb_buttons_evdev_new(&e, on_button, d, error);
		break;
	case RB_BUTTONS_BACKEND_FIFO:
		d->buttons = rb_buttons_fifo_new(c->fifo_path, on_button, d,
						 error);
		break;
	case RB_BUTTONS_BACKEND_NONE:
		g_message("no buttons configured: pairing mode cannot open");
		return true;
	}
	return d->buttons != NULL;
}

static void open_display(RbDaemon *d)
{
	const RbDaemonConfig *c = d->cfg;
	g_autoptr(GError) error = NULL;

	switch (c->display_backend) {
	case RB_DISPLAY_BACKEND_SSD1306:
		d->display = rb_display_ssd1306_new(&rb_i2c_dev_ops, NULL,
						    c->i2c_bus, c->i2c_address,
						    c->display_height, &error);
		break;
	case RB_DISPLAY_BACKEND_HD44780:
		d->display = rb_display_hd44780_new(
			&rb_i2c_dev_stream_ops, NULL, c->i2c_bus,
			c->i2c_address, c->display_width, c->display_height,
			&rb_hd44780_default_pins, &error);
		break;
	case RB_DISPLAY_BACKEND_FILE:
		d->display = rb_display_file_new(c->display_file,
						 RB_DISPLAY_FILE_PBM,
						 c->display_height, &error);
		break;
	case RB_DISPLAY_BACKEND_NONE:
		break;
	}
	if (!d->display) {
		if (error)
			g_warning("display: %s; screens (and PINs) go to the "
				  "journal instead",
				  error->message);
		d->display = rb_display_none_new();
	}
}

/* ---- life ---- */

static void read_boot_id(char out[RB_BOOT_ID_LEN])
{
	g_autofree char *text = NULL;

	out[0] = '\0';
	if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &text, NULL,
				 NULL))
		return;
	g_strstrip(text);
	if (rb_state_boot_id_valid(text))
		g_strlcpy(out, text, RB_BOOT_ID_LEN);
	else
		g_warning("the kernel's boot id '%s' is not usable: a lockout "
			  "restarts in full after a restart",
			  text);
}

static void agent_watch_up(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	g_autoptr(GError) error = NULL;

	d->agent_watch = rb_agent_watch_new_finish(res, &error);
	if (!d->agent_watch)
		g_message("not watching who takes the default agent (%s): a "
			  "pairing another agent handles is still judged",
			  error->message);
	d->agent_watch_ready = true;
	reg_check(d);
}

static gboolean watchdog_ping(gpointer data)
{
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

RbDaemon *rb_daemon_new(GDBusConnection *bus, const RbDaemonOptions *opts,
			GError **error)
{
	g_autoptr(RbDaemon) d = g_new0(RbDaemon, 1);
	g_autoptr(GError) load_error = NULL;
	RbState st;
	uint64_t wd_usec = 0;

	d->bus = g_object_ref(bus);
	d->cfg = opts->config;
	d->bluez_storage = g_strdup(opts->bluez_storage
					    ? opts->bluez_storage
					    : RB_BONDINFO_DEFAULT_ROOT);
	d->adapter_index = -1;
	d->kernel_bondable = -1;
	d->kernel_passkey = G_MAXUINT32;
	d->agent_passkey = G_MAXUINT32 - 1;
	d->session = g_cancellable_new();
	d->fx = rb_effects_new();
	d->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	d->links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 g_free);
	d->bonds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 g_free);
	d->reassembly = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      free_reassembler);
	d->bonds_gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      g_free);
	g_strlcpy(d->name, "Reaction", sizeof(d->name));

	d->store = rb_store_open(opts->state_dir, error);
	if (!d->store)
		return NULL;
	if (!rb_store_load(d->store, &st, wall_ms(),
			   d->cfg->policy.value[RB_SETTING_PIN_LOCKOUT_MS],
			   &load_error))
		g_warning("state in %s unusable: %s; starting with no owner "
			  "and pairing locked out",
			  opts->state_dir, load_error->message);

	/* The mgmt socket first: without it there is no policy to enforce. */
	d->mgmt = rb_mgmt_new(&mgmt_callbacks, d, error);
	if (!d->mgmt)
		return NULL;

	open_display(d);
	read_boot_id(d->boot_id);
	d->policy = rb_policy_new(&d->cfg->policy, &st, d->name, now_ms(),
				  wall_ms(), d->boot_id, d->fx);
	if (!open_buttons(d, error))
		return NULL;

	d->bluez = rb_bluez_new(bus, &bluez_callbacks, d);
	/* The daemon looks only at its own adapter's devices: with one named,
	 * the others (BlueZ keeps every device it met) are never cached. */
	if (d->cfg->adapter) {
		g_autofree char *path = g_strconcat(RB_BLUEZ_ADAPTER_PREFIX,
						    d->cfg->adapter, NULL);

		rb_bluez_keep_devices_of(d->bluez, path);
	}
	d->agent = rb_agent_new(d->bluez, &agent_callbacks, d, error);
	if (!d->agent)
		return NULL;
	/* Up before the advertisement (reg_check), not before anything else:
	 * a taker seen while registering is answered once registered. */
	rb_agent_watch_new_async(NULL, on_default_agent_requested, d, NULL,
				 agent_watch_up, d);
	d->gatt = rb_gatt_new(d->bluez, &gatt_callbacks, d);
	d->advert = rb_advert_new(d->bluez, d->name, NULL, d, error);
	if (!d->advert)
		return NULL;
	d->api = rb_api_new(bus, d->cfg->api_group, &api_callbacks, d);
	run_effects(d);

	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
		d->watchdog_id = g_timeout_add((guint)MAX(wd_usec / 2000, 1),
					       watchdog_ping, d);
	sd_notify(0, "STATUS=waiting for org.bluez");
	return g_steal_pointer(&d);
}

static void stop_step_done(RbDaemon *d)
{
	if (d->stop_pending > 0)
		d->stop_pending--;
	if (d->stop_pending == 0 && d->stop_done) {
		GSourceFunc done = d->stop_done;

		d->stop_done = NULL;
		if (d->stop_timeout_id)
			g_source_remove(d->stop_timeout_id);
		d->stop_timeout_id = 0;
		done(d->stop_data);
	}
}

static void advert_unregistered(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_advert_unregister_finish(((RbDaemon *)data)->advert, res, NULL);
	stop_step_done(data);
}

static void app_unregistered(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_gatt_unregister_finish(((RbDaemon *)data)->gatt, res, NULL);
	stop_step_done(data);
}

static void agent_unregistered(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_agent_unregister_finish(((RbDaemon *)data)->agent, res, NULL);
	stop_step_done(data);
}

static void pairable_off(GObject *src, GAsyncResult *res, gpointer data)
{
	rb_bluez_set_adapter_property_finish(((RbDaemon *)data)->bluez, res,
					     NULL);
	stop_step_done(data);
}

static gboolean stop_timeout(gpointer data)
{
	RbDaemon *d = data;

	d->stop_timeout_id = 0;
	g_message("BlueZ did not answer: stopping anyway");
	d->stop_pending = 1;
	stop_step_done(d);
	return G_SOURCE_REMOVE;
}

void rb_daemon_stop(RbDaemon *d, GSourceFunc done, void *user_data)
{
	g_autoptr(GError) error = NULL;

	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	d->stop_done = done;
	d->stop_data = user_data;
	d->stop_pending = 1;
	/* Bondable off in the kernel at once, and through bluetoothd. */
	if (d->mgmt && d->adapter_index >= 0 &&
	    !rb_mgmt_set_bondable(d->mgmt, (uint16_t)d->adapter_index, false,
				  NULL, NULL, &error))
		g_warning("Set Bondable off not sent: %s", error->message);
	if (d->bluez && rb_bluez_owner(d->bluez) && d->adapter_path) {
		d->stop_pending += 4;
		rb_advert_unregister(d->advert, NULL, advert_unregistered, d);
		rb_gatt_unregister(d->gatt, NULL, app_unregistered, d);
		rb_agent_unregister(d->agent, NULL, agent_unregistered, d);
		rb_bluez_set_adapter_property(d->bluez, d->adapter_path,
					      RB_BLUEZ_ADAPTER_PROP_PAIRABLE,
					      g_variant_new_boolean(FALSE),
					      NULL, pairable_off, d);
	}
	d->stop_timeout_id = g_timeout_add(STOP_TIMEOUT_MS, stop_timeout, d);
	stop_step_done(d);
}

void rb_daemon_free(RbDaemon *d)
{
	if (!d)
		return;
	if (d->session)
		g_cancellable_cancel(d->session);
	if (d->timer_id)
		g_source_remove(d->timer_id);
	if (d->encryption_poll_id)
		g_source_remove(d->encryption_poll_id);
	if (d->watchdog_id)
		g_source_remove(d->watchdog_id);
	if (d->stop_timeout_id)
		g_source_remove(d->stop_timeout_id);
	g_clear_handle_id(&d->reg_retry_id, g_source_remove);
	g_clear_handle_id(&d->pairable_retry_id, g_source_remove);
	g_clear_handle_id(&d->power_wait_id, g_source_remove);
	g_clear_handle_id(&d->bonds_gone_id, g_source_remove);
	g_clear_handle_id(&d->agent_check_id, g_source_remove);
	g_clear_handle_id(&d->effects_idle_id, g_source_remove);
	if (d->display)
		rb_display_flush(d->display);
	g_clear_pointer(&d->api, rb_api_free);
	g_clear_pointer(&d->app_state, g_free);
	g_clear_pointer(&d->advert, rb_advert_free);
	g_clear_pointer(&d->gatt, rb_gatt_free);
	g_clear_pointer(&d->agent_watch, rb_agent_watch_free);
	g_clear_pointer(&d->agent, rb_agent_free);
	g_clear_pointer(&d->bluez, rb_bluez_free);
	g_clear_pointer(&d->buttons, rb_buttons_source_free);
	g_clear_pointer(&d->display, rb_display_free);
	g_clear_pointer(&d->mgmt, rb_mgmt_free);
	g_clear_pointer(&d->policy, rb_policy_free);
	g_clear_pointer(&d->store, rb_store_free);
	g_clear_pointer(&d->fx, g_array_unref);
	g_clear_pointer(&d->keys, g_hash_table_unref);
	g_clear_pointer(&d->links, g_hash_table_unref);
	g_clear_pointer(&d->bonds, g_hash_table_unref);
	g_clear_pointer(&d->reassembly, g_hash_table_unref);
	g_clear_pointer(&d->bonds_gone, g_hash_table_unref);
	g_clear_object(&d->session);
	g_clear_object(&d->bus);
	g_free(d->adapter_path);
	g_free(d->bluez_storage);
	g_free(d->last_taker);
	g_free(d);
}
