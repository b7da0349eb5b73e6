// SPDX-License-Identifier: GPL-2.0-or-later
#define G_LOG_DOMAIN "rb-agent"

#include <string.h>

#include "bluez/agent.h"
#include "bluez/dbus-util.h"
#include "core/error.h"

#define AGENT_IFACE "org.bluez.Agent1"
#define AGENT_MANAGER_IFACE "org.bluez.AgentManager1"
#define AGENT_MANAGER_PATH "/org/bluez"

static const char agent_xml[] =
	"<node>"
	" <interface name='org.bluez.Agent1'>"
	"  <method name='Release'/>"
	"  <method name='RequestPinCode'>"
	"   <arg name='device' type='o' direction='in'/>"
	"   <arg name='pincode' type='s' direction='out'/>"
	"  </method>"
	"  <method name='DisplayPinCode'>"
	"   <arg name='device' type='o' direction='in'/>"
	"   <arg name='pincode' type='s' direction='in'/>"
	"  </method>"
	"  <method name='RequestPasskey'>"
	"   <arg name='device' type='o' direction='in'/>"
	"   <arg name='passkey' type='u' direction='out'/>"
	"  </method>"
	"  <method name='DisplayPasskey'>"
	"   <arg name='device' type='o' direction='in'/>"
	"   <arg name='passkey' type='u' direction='in'/>"
	"   <arg name='entered' type='q' direction='in'/>"
	"  </method>"
	"  <method name='RequestConfirmation'>"
	"   <arg name='device' type='o' direction='in'/>"
	"   <arg name='passkey' type='u' direction='in'/>"
	"  </method>"
	"  <method name='RequestAuthorization'>"
	"   <arg name='device' type='o' direction='in'/>"
	"  </method>"
	"  <method name='AuthorizeService'>"
	"   <arg name='device' type='o' direction='in'/>"
	"   <arg name='uuid' type='s' direction='in'/>"
	"  </method>"
	"  <method name='Cancel'/>"
	" </interface>"
	"</node>";

struct _RbAgent {
	RbBluez *bluez;
	GDBusConnection *conn;
	RbAgentCallbacks cb;
	void *user_data;
	GDBusNodeInfo *node;
	RbDbusGuard *guard; /* Introspect, Properties */
	guint reg_id;
	guint vanish_id;
	char *adapter_path;
	gboolean registered;
};

static gboolean on_own_adapter(RbAgent *self, const char *device_path)
{
	size_t n;

	if (!self->adapter_path)
		return FALSE;
	n = strlen(self->adapter_path);
	return strncmp(device_path, self->adapter_path, n) == 0 &&
	       device_path[n] == '/';
}

static void reject(RbAgent *self, GDBusMethodInvocation *inv,
		   const char *method, const char *device, const char *why)
{
	g_message("Agent %s for %s rejected: %s", method, device, why);
	if (on_own_adapter(self, device) && self->cb.refused)
		self->cb.refused(method, device, self->user_data);
	g_dbus_method_invocation_return_dbus_error(inv, RB_BLUEZ_ERROR_REJECTED,
						   why);
}

static void display_passkey(RbAgent *self, GVariant *params,
			    GDBusMethodInvocation *inv)
{
	const char *device;
	guint32 passkey;
	guint16 entered;

	g_variant_get(params, "(&ouq)", &device, &passkey, &entered);
	if (!on_own_adapter(self, device)) {
		g_message("Agent DisplayPasskey for %s rejected: not on the "
			  "box's adapter %s",
			  device,
			  self->adapter_path ? self->adapter_path : "(none)");
		g_dbus_method_invocation_return_dbus_error(
			inv, RB_BLUEZ_ERROR_REJECTED,
			"Device not on the box's adapter");
		return;
	}
	if (passkey > 999999) {
		reject(self, inv, "DisplayPasskey", device,
		       "Passkey out of range");
		return;
	}
	if (!self->cb.display_passkey ||
	    !self->cb.display_passkey(device, passkey, entered,
				      self->user_data)) {
		g_message("Agent DisplayPasskey for %s refused by the daemon",
			  device);
		g_dbus_method_invocation_return_dbus_error(
			inv, RB_BLUEZ_ERROR_REJECTED,
			"Pairing not allowed now");
		return;
	}
	g_debug("Agent DisplayPasskey for %s (entered %u)", device, entered);
	g_dbus_method_invocation_return_value(inv, NULL);
}

static void agent_method_call(GDBusConnection *conn, const char *sender,
			      const char *path, const char *iface,
			      const char *method, GVariant *params,
			      GDBusMethodInvocation *inv, gpointer data)
{
	RbAgent *self = data;
	const char *device = NULL;

	if (!rb_bluez_sender_is_bluez(self->bluez, sender)) {
		rb_dbus_refuse_sender(inv);
		return;
	}
	if (strcmp(method, "DisplayPasskey") == 0) {
		display_passkey(self, params, inv);
	} else if (strcmp(method, "Release") == 0) {
		g_message("Agent released by BlueZ");
		self->registered = FALSE;
		g_dbus_method_invocation_return_value(inv, NULL);
		if (self->cb.release)
			self->cb.release(self->user_data);
	} else if (strcmp(method, "Cancel") == 0) {
		g_message("Agent request cancelled by BlueZ");
		g_dbus_method_invocation_return_value(inv, NULL);
		if (self->cb.cancel)
			self->cb.cancel(self->user_data);
	} else {
		/* Every other method takes the device first. */
		g_variant_get_child(params, 0, "&o", &device);
		reject(self, inv, method, device,
		       "Only Passkey Entry with DisplayOnly is allowed");
	}
}

static const GDBusInterfaceVTable agent_vtable = {
	.method_call = agent_method_call,
};

static void agent_vanished(void *data)
{
	RbAgent *self = data;

	self->registered = FALSE;
}

RbAgent *rb_agent_new(RbBluez *bluez, const RbAgentCallbacks *callbacks,
		      void *user_data, GError **error)
{
	static const char *const paths[] = {RB_AGENT_PATH, NULL};
	RbAgent *self = g_new0(RbAgent, 1);
	g_autoptr(GError) local = NULL;

	self->bluez = bluez;
	self->conn = g_object_ref(rb_bluez_get_connection(bluez));
	if (callbacks)
		self->cb = *callbacks;
	self->user_data = user_data;
	self->node = g_dbus_node_info_new_for_xml(agent_xml, NULL);
	g_assert(self->node);
	self->guard = rb_dbus_guard_new(self->conn, paths);
	self->reg_id = g_dbus_connection_register_object(
		self->conn, RB_AGENT_PATH, self->node->interfaces[0],
		&agent_vtable, self, NULL, &local);
	if (!self->reg_id) {
		g_set_error(error, RB_ERROR, RB_ERROR_BUSY,
			    "Cannot export the agent at %s: %s", RB_AGENT_PATH,
			    local->message);
		rb_agent_free(self);
		return NULL;
	}
	self->vanish_id = rb_bluez_add_vanish_listener(bluez, agent_vanished,
						       self);
	return self;
}

void rb_agent_free(RbAgent *self)
{
	if (!self)
		return;
	if (self->vanish_id)
		rb_bluez_remove_vanish_listener(self->bluez, self->vanish_id);
	if (self->reg_id)
		g_dbus_connection_unregister_object(self->conn, self->reg_id);
	rb_dbus_guard_free(self->guard);
	g_dbus_node_info_unref(self->node);
	g_object_unref(self->conn);
	g_free(self->adapter_path);
	g_free(self);
}

void rb_agent_set_adapter(RbAgent *self, const char *adapter_path)
{
	g_free(self->adapter_path);
	self->adapter_path = g_strdup(adapter_path);
}

gboolean rb_agent_is_registered(RbAgent *self)
{
	return self->registered;
}

/*
 * Register: RegisterAgent and RequestDefaultAgent, one GTask. Both calls
 * are sent back to back (one round trip to bluetoothd, not two: each
 * switches bondable and the IO capability on every adapter): bluetoothd
 * serves a connection's calls in the order they were sent, so the
 * default is asked for once the agent is registered. The task completes
 * after both replies, with RegisterAgent's error first (an agent that was
 * not registered cannot be the default), then RequestDefaultAgent's.
 */
typedef struct {
	RbAgent *self;
	guint pending; /* replies still to come */
	GError *reg_error; /* RegisterAgent's */
	GError *default_error; /* RequestDefaultAgent's */
} AgentReg;

static void agent_reg_free(gpointer p)
{
	AgentReg *r = p;

	g_clear_error(&r->reg_error);
	g_clear_error(&r->default_error);
	g_free(r);
}

/* One reply came; answers @task (taken) after the last. */
static void agent_reg_reply(GTask *task)
{
	g_autoptr(GTask) t = task;
	AgentReg *r = g_task_get_task_data(t);

	if (--r->pending > 0)
		return;
	if (r->reg_error) {
		g_task_return_error(t, g_steal_pointer(&r->reg_error));
		return;
	}
	if (r->default_error) {
		g_task_return_error(t, g_steal_pointer(&r->default_error));
		return;
	}
	r->self->registered = TRUE;
	g_message("Agent %s registered (%s) and made default", RB_AGENT_PATH,
		  RB_AGENT_CAPABILITY);
	g_task_return_boolean(t, TRUE);
}

static void default_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	AgentReg *r = g_task_get_task_data(task);

	rb_dbus_call_bluez_finish(res, rb_agent_register, &r->default_error);
	agent_reg_reply(task);
}

static void register_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	AgentReg *r = g_task_get_task_data(task);
	GError *error = NULL;

	if (!rb_dbus_call_bluez_finish(res, rb_agent_register, &error)) {
		/* Still registered with this bluetoothd (an adapter went away
		 * and came back): only the default was to take again. */
		if (g_str_has_prefix(error->message,
				     "org.bluez.Error.AlreadyExists")) {
			g_message("Agent %s is still registered: made it "
				  "default again",
				  RB_AGENT_PATH);
			g_clear_error(&error);
		}
		r->reg_error = error;
	}
	agent_reg_reply(task);
}

/* A task for rb_agent_register_finish() waiting for @pending replies. */
static GTask *agent_reg_task(RbAgent *self, guint pending,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);
	AgentReg *r = g_new0(AgentReg, 1);

	r->self = self;
	r->pending = pending;
	g_task_set_source_tag(task, rb_agent_register);
	g_task_set_task_data(task, r, agent_reg_free);
	return task;
}

/* RequestDefaultAgent; @task (taken) is answered by default_done(). */
static void request_default(RbAgent *self, GCancellable *cancellable,
			    GTask *task)
{
	rb_dbus_call_bluez(self->conn, rb_bluez_owner(self->bluez),
			   AGENT_MANAGER_PATH, AGENT_MANAGER_IFACE,
			   "RequestDefaultAgent",
			   g_variant_new("(o)", RB_AGENT_PATH), cancellable,
			   default_done, task, rb_agent_register);
}

void rb_agent_register(RbAgent *self, GCancellable *cancellable,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = agent_reg_task(self, 2, cancellable, callback, user_data);

	rb_dbus_call_bluez(
		self->conn, rb_bluez_owner(self->bluez), AGENT_MANAGER_PATH,
		AGENT_MANAGER_IFACE, "RegisterAgent",
		g_variant_new("(os)", RB_AGENT_PATH, RB_AGENT_CAPABILITY),
		cancellable, register_done, g_object_ref(task),
		rb_agent_register);
	request_default(self, cancellable, task);
}

void rb_agent_request_default(RbAgent *self, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data)
{
	request_default(
		self, cancellable,
		agent_reg_task(self, 1, cancellable, callback, user_data));
}

gboolean rb_agent_register_finish(RbAgent *self, GAsyncResult *result,
				  GError **error)
{
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				     rb_agent_register,
			     FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

void rb_agent_unregister(RbAgent *self, GCancellable *cancellable,
			 GAsyncReadyCallback callback, gpointer user_data)
{
	self->registered = FALSE;
	rb_dbus_call_bluez(self->conn, rb_bluez_owner(self->bluez),
			   AGENT_MANAGER_PATH, AGENT_MANAGER_IFACE,
			   "UnregisterAgent",
			   g_variant_new("(o)", RB_AGENT_PATH), cancellable,
			   callback, user_data, rb_agent_unregister);
}

gboolean rb_agent_unregister_finish(RbAgent *self, GAsyncResult *result,
				    GError **error)
{
	return rb_dbus_call_bluez_finish(result, rb_agent_unregister, error);
}
