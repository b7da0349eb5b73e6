// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Registration with BlueZ (RegStep and RegJob in daemon/private.h): power
 * and LE only, then the agent, the Alias, Secure Connections and the GATT
 * application at once, then the advertisement.
 *
 * Why the GATT application need not wait for the agent, Pairable off and
 * Secure Connections: a write is judged by the policy on facts none of
 * them changes (the owner's bond, the link's encryption and key type from
 * the kernel, the sender being org.bluez), and a peer already connected
 * (a restart with the phone on the link) can start SMP with or without the
 * application. What the box offers to the air, the advertisement, waits
 * for all of them.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <systemd/sd-daemon.h>

#include "core/error.h"
#include "daemon/private.h"

#define REG_RETRY_MS 2000

/*
 * What start-up freed goes back to the kernel: above all BlueZ's
 * GetManagedObjects reply, parsed by GDBus's worker thread in its own
 * malloc arena (every device BlueZ stores, on every adapter: with 100
 * stored devices on two adapters it left 1.4 MiB dirty in that arena and
 * 0.9 MiB in the main heap, measured in the bench's guest). glibc keeps
 * freed memory below an arena's top; malloc_trim releases its free pages.
 */
static void trim_heap(void)
{
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

static const char *const reg_names[] = {
	[REG_POWER] = "powering on", [REG_LE_ONLY] = "switching BR/EDR off",
	[REG_SETUP] = "setting up",  [REG_ADVERT] = "RegisterAdvertisement",
	[REG_DONE] = "done",
};

static const char *job_name(RegJob job)
{
	switch (job) {
	case REG_JOB_AGENT:
		return "RegisterAgent";
	case REG_JOB_ALIAS:
		return "setting Alias";
	case REG_JOB_SC:
		return "Secure Connections";
	case REG_JOB_APP:
		return "RegisterApplication";
	case REG_JOB_ALL:
		break;
	}
	return "?";
}

static gboolean reg_retry(gpointer data)
{
	RbDaemon *d = data;

	d->reg_retry_id = 0;
	if (d->registering)
		reg_run(d, d->reg_step);
	return G_SOURCE_REMOVE;
}

static void reg_failed(RbDaemon *d, const char *what, const GError *e)
{
	g_warning("%s on %s failed: %s; retrying in %u s", what,
		  d->adapter_path, e->message, REG_RETRY_MS / 1000);
	sd_notifyf(0, "STATUS=%s failed: %s", what, e->message);
	if (!d->reg_retry_id)
		d->reg_retry_id = g_timeout_add(REG_RETRY_MS, reg_retry, d);
}

/* A step finished: go on, or retry it later. Takes @error. */
static void reg_next(RbDaemon *d, RegStep step, GError *error)
{
	g_autoptr(GError) e = error;

	if (e && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!d->registering || d->reg_step != (int)step)
		return;
	if (e) {
		reg_failed(d, reg_names[step], e);
		return;
	}
	reg_run(d, step + 1);
}

/* A job of REG_SETUP finished; a failed one is started again by the
 * retry. Takes @error. */
static void job_done(RbDaemon *d, RegJob job, GError *error)
{
	g_autoptr(GError) e = error;

	if (e && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!d->registering || d->reg_step != REG_SETUP ||
	    !(d->reg_started & job) || (d->reg_done & job))
		return;
	if (e) {
		d->reg_started &= ~(unsigned int)job;
		reg_failed(d, job_name(job), e);
		return;
	}
	d->reg_done |= job;
	/* RegisterAgent and RequestDefaultAgent turned Pairable on. */
	if (job == REG_JOB_AGENT)
		enforce_pairable(d);
	reg_check(d);
}

void reg_check(RbDaemon *d)
{
	const RbBluezAdapter *ad;
	bool want;

	if (!d->registering || d->reg_step != REG_SETUP ||
	    d->reg_done != REG_JOB_ALL || !d->agent_watch_ready)
		return;
	/* Nothing goes on the air while Pairable, as bluetoothd shows it and
	 * as the kernel's flag is, is not what the policy says:
	 * enforce_pairable's answer or the adapter's change calls again. */
	ad = rb_bluez_lookup_adapter(d->bluez, d->adapter_path);
	want = rb_policy_pairing_mode(d->policy);
	if (!ad || d->pairable_inflight || ad->pairable != want ||
	    (d->kernel_bondable >= 0 && d->kernel_bondable != (int)want)) {
		enforce_pairable(d);
		return;
	}
	reg_run(d, REG_ADVERT);
}

static void powered_on(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_bluez_set_adapter_property_finish(d->bluez, res, &error);
	reg_next(d, REG_POWER, error);
}

static void agent_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_agent_register_finish(d->agent, res, &error);
	job_done(d, REG_JOB_AGENT, error);
}

static void alias_set(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_bluez_set_adapter_property_finish(d->bluez, res, &error);
	job_done(d, REG_JOB_ALIAS, error);
}

static void sc_only_done(uint16_t index, uint8_t status, void *data)
{
	RbDaemon *d = data;

	/* Not fatal: the policy refuses every key that is not an
	 * authenticated P-256 key anyway. */
	if (status == RB_MGMT_STATUS_SUCCESS)
		g_message("hci%u: LE Secure Connections on", index);
	else
		g_warning("hci%u: Secure Connections refused (%s); writes "
			  "still need an authenticated P-256 key",
			  index, rb_mgmt_status_str(status));
	job_done(d, REG_JOB_SC, NULL);
}

/*
 * LE only: a dual-mode controller's BR/EDR is switched off, so no ATT
 * bearer and no pairing over BR/EDR can reach the box. The kernel refuses
 * that while the controller is powered: power off, switch, power on.
 */
static void bredr_done(uint16_t index, uint8_t status, void *data);

static void bredr_powered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	if (!rb_bluez_set_adapter_property_finish(d->bluez, res, &error)) {
		reg_next(d, REG_LE_ONLY, error);
		return;
	}
	if (d->bredr_cycle == BREDR_POWERING_OFF) {
		d->bredr_cycle = BREDR_POWERING_ON;
		if (!rb_mgmt_set_bredr(d->mgmt, (uint16_t)d->adapter_index,
				       false, bredr_done, d, &error))
			reg_next(d, REG_LE_ONLY, error);
		return;
	}
	d->bredr_cycle = BREDR_ASKED;
	reg_next(d, REG_LE_ONLY, NULL);
}

static void bredr_done(uint16_t index, uint8_t status, void *data)
{
	RbDaemon *d = data;

	if (!d->registering || d->reg_step != REG_LE_ONLY)
		return;
	if (status == RB_MGMT_STATUS_NOT_SUPPORTED) {
		g_message("hci%u: an LE-only controller", index);
		reg_next(d, REG_LE_ONLY, NULL);
	} else if (status == RB_MGMT_STATUS_REJECTED &&
		   d->bredr_cycle == BREDR_ASKED) {
		g_message("hci%u: powering off to switch BR/EDR off", index);
		d->bredr_cycle = BREDR_POWERING_OFF;
		rb_bluez_set_adapter_property(d->bluez, d->adapter_path,
					      RB_BLUEZ_ADAPTER_PROP_POWERED,
					      g_variant_new_boolean(FALSE),
					      d->session, bredr_powered, d);
	} else if (status == RB_MGMT_STATUS_SUCCESS) {
		g_message("hci%u: BR/EDR off, LE only", index);
		if (d->bredr_cycle == BREDR_POWERING_ON) {
			rb_bluez_set_adapter_property(
				d->bluez, d->adapter_path,
				RB_BLUEZ_ADAPTER_PROP_POWERED,
				g_variant_new_boolean(TRUE), d->session,
				bredr_powered, d);
			return;
		}
		reg_next(d, REG_LE_ONLY, NULL);
	} else {
		d->bredr_cycle = BREDR_ASKED;
		reg_next(d, REG_LE_ONLY,
			 g_error_new(RB_ERROR, RB_ERROR_FAILED,
				     "Set BR/EDR off: %s",
				     rb_mgmt_status_str(status)));
	}
}

static void app_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_gatt_register_finish(d->gatt, res, &error);
	job_done(d, REG_JOB_APP, error);
}

static void advert_registered(GObject *src, GAsyncResult *res, gpointer data)
{
	RbDaemon *d = data;
	GError *error = NULL;

	rb_advert_register_finish(d->advert, res, &error);
	reg_next(d, REG_ADVERT, error);
}

#define POWER_WAIT_MS 3000

static gboolean power_wait_over(gpointer data)
{
	RbDaemon *d = data;

	d->power_wait_id = 0;
	if (!d->registering || d->reg_step != REG_POWER)
		return G_SOURCE_REMOVE;
	g_message("powering %s on", d->adapter_path);
	rb_bluez_set_adapter_property(
		d->bluez, d->adapter_path, RB_BLUEZ_ADAPTER_PROP_POWERED,
		g_variant_new_boolean(TRUE), d->session, powered_on, d);
	return G_SOURCE_REMOVE;
}

/* Starts the jobs of REG_SETUP that are neither under way nor done. */
static void start_jobs(RbDaemon *d)
{
	g_autoptr(GError) error = NULL;
	unsigned int todo = REG_JOB_ALL & ~d->reg_started;

	d->reg_started |= todo;
	if (todo & REG_JOB_AGENT)
		rb_agent_register(d->agent, d->session, agent_registered, d);
	if (todo & REG_JOB_ALIAS)
		rb_bluez_set_adapter_property(d->bluez, d->adapter_path,
					      RB_BLUEZ_ADAPTER_PROP_ALIAS,
					      g_variant_new_string(d->name),
					      d->session, alias_set, d);
	/*
	 * LE Secure Connections on, but not the kernel's "SC only" mode (2):
	 * on Linux 6.1 that mode also applies the BR/EDR link-key check to LE
	 * links and drops every LE link the moment it is encrypted (measured
	 * in tests/vm). The policy refuses every key but an authenticated
	 * P-256 one instead.
	 */
	if ((todo & REG_JOB_SC) &&
	    !rb_mgmt_set_secure_conn(d->mgmt, (uint16_t)d->adapter_index,
				     RB_MGMT_SC_ON, sc_only_done, d, &error)) {
		g_warning("Secure Connections not set: %s", error->message);
		job_done(d, REG_JOB_SC, NULL);
	}
	if (todo & REG_JOB_APP)
		rb_gatt_register(d->gatt, d->adapter_path, d->session,
				 app_registered, d);
}

void reg_run(RbDaemon *d, RegStep step)
{
	const RbBluezAdapter *ad = rb_bluez_lookup_adapter(d->bluez,
							   d->adapter_path);
	g_autoptr(GError) error = NULL;

	d->reg_step = step;
	switch (step) {
	case REG_POWER:
		d->reg_started = 0;
		d->reg_done = 0;
		if (ad && ad->powered) {
			reg_run(d, REG_LE_ONLY);
			break;
		}
		/* bluetoothd powers its adapters itself (AutoEnable) right
		 * after it starts, and a second Powered set while it does
		 * may never be answered: give it a moment first. */
		if (!d->power_wait_id) {
			g_message("%s is off: waiting for it to power on",
				  d->adapter_path);
			d->power_wait_id = g_timeout_add(POWER_WAIT_MS,
							 power_wait_over, d);
		}
		break;
	case REG_LE_ONLY:
		d->reg_started = 0;
		d->reg_done = 0;
		d->bredr_cycle = BREDR_ASKED;
		if (!rb_mgmt_set_bredr(d->mgmt, (uint16_t)d->adapter_index,
				       false, bredr_done, d, &error))
			reg_next(d, REG_LE_ONLY, g_steal_pointer(&error));
		break;
	case REG_SETUP:
		start_jobs(d);
		reg_check(d);
		break;
	case REG_ADVERT:
		rb_advert_register(d->advert, d->adapter_path, d->session,
				   advert_registered, d);
		break;
	case REG_DONE:
		d->registering = false;
		d->registered = true;
		g_message("registered on %s as %s", d->adapter_path, d->name);
		sd_notifyf(0, "%sSTATUS=advertising as %s on %s",
			   d->ready_sent ? "" : "READY=1\n", d->name,
			   d->adapter_path);
		d->ready_sent = true;
		if (d->agent_taken_early) {
			d->agent_taken_early = false;
			retake_agent(d, "another process requested the "
					"default agent while the box "
					"registered");
		}
		enforce_pairable(d);
		rb_policy_tick(d->policy, now_ms(), d->fx);
		run_effects(d);
		trim_heap();
		break;
	}
}
