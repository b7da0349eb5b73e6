// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reaction-boxd: arguments, config, wiring, the main loop. Nothing else.
 */
#define G_LOG_DOMAIN "reaction-boxd"

#include "config.h"

#include <glib-unix.h>
#include <gio/gio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "daemon/daemon.h"

#define DEFAULT_CONFIG SYSCONFDIR "/reaction-boxd/reaction-boxd.conf"
#define DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/reaction-boxd"

static char *opt_config;
static char *opt_state_dir;
static char *opt_bluez_storage;
static gboolean opt_check_config;
static gboolean opt_version;

static const GOptionEntry options[] = {
	{"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
	 "Config file (default: $CONFIGURATION_DIRECTORY/reaction-boxd.conf "
	 "or " DEFAULT_CONFIG ")",
	 "FILE"},
	{"state-dir", 's', 0, G_OPTION_ARG_FILENAME, &opt_state_dir,
	 "State directory (default: $STATE_DIRECTORY or " DEFAULT_STATE_DIR ")",
	 "DIR"},
	{"bluez-storage", 0, 0, G_OPTION_ARG_FILENAME, &opt_bluez_storage,
	 "BlueZ's storage directory (default: /var/lib/bluetooth)", "DIR"},
	{"check-config", 0, 0, G_OPTION_ARG_NONE, &opt_check_config,
	 "Check the config file and exit", NULL},
	{"version", 'v', 0, G_OPTION_ARG_NONE, &opt_version,
	 "Print the version and exit", NULL},
	G_OPTION_ENTRY_NULL};

/* $VAR's first path (systemd may pass several, colon-separated). */
static char *env_dir(const char *var)
{
	const char *v = g_getenv(var);
	const char *colon;

	if (!v || !*v)
		return NULL;
	colon = strchr(v, ':');
	return colon ? g_strndup(v, (gsize)(colon - v)) : g_strdup(v);
}

static bool load_config(const char *path, RbDaemonConfig *cfg, bool explicit,
			GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GError) read_error = NULL;

	if (!g_file_get_contents(path, &data, &len, &read_error)) {
		if (!explicit && g_error_matches(read_error, G_FILE_ERROR,
						 G_FILE_ERROR_NOENT)) {
			g_message("no config file %s: using the defaults",
				  path);
			return true;
		}
		g_set_error(error, G_FILE_ERROR, read_error->code,
			    "cannot read the config file: %s",
			    read_error->message);
		return false;
	}
	return rb_daemon_config_parse(cfg, path, data, len, error);
}

static gboolean on_stopped(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

typedef struct {
	GMainLoop *loop;
	RbDaemon *daemon;
	bool stopping;
} Life;

static gboolean on_signal(gpointer data)
{
	Life *life = data;

	if (life->stopping) {
		g_main_loop_quit(life->loop);
		return G_SOURCE_CONTINUE;
	}
	g_message("stopping");
	life->stopping = true;
	rb_daemon_stop(life->daemon, on_stopped, life->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *config_path = NULL;
	g_autofree char *state_dir = NULL;
	g_autofree char *env = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	RbDaemonConfig cfg;
	RbDaemonOptions opts;
	Life life = {0};
	guint sig_term, sig_int;
	int ret = EXIT_FAILURE;

	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	rb_daemon_config_init_defaults(&cfg);

	ctx = g_option_context_new(NULL);
	g_option_context_set_summary(ctx,
				     "Reaction quiz box BLE access daemon (see "
				     "reaction-boxd(8)).");
	g_option_context_add_main_entries(ctx, options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "reaction-boxd: %s (try --help)\n",
			error->message);
		ret = 2;
		goto out;
	}
	if (argc > 1) {
		fprintf(stderr,
			"reaction-boxd: unexpected argument '%s' "
			"(try --help)\n",
			argv[1]);
		ret = 2;
		goto out;
	}
	if (opt_version) {
		printf("%s\n", PACKAGE_STRING);
		ret = EXIT_SUCCESS;
		goto out;
	}

	if (opt_config) {
		config_path = g_strdup(opt_config);
	} else if ((env = env_dir("CONFIGURATION_DIRECTORY"))) {
		config_path = g_build_filename(env, "reaction-boxd.conf", NULL);
	} else {
		config_path = g_strdup(DEFAULT_CONFIG);
	}
	if (!load_config(config_path, &cfg, opt_config != NULL, &error)) {
		fprintf(stderr, "reaction-boxd: %s\n", error->message);
		ret = 2;
		goto out;
	}
	if (opt_check_config) {
		printf("%s: OK\n", config_path);
		ret = EXIT_SUCCESS;
		goto out;
	}

	g_clear_pointer(&env, g_free);
	if (opt_state_dir)
		state_dir = g_strdup(opt_state_dir);
	else if ((env = env_dir("STATE_DIRECTORY")))
		state_dir = g_strdup(env);
	else
		state_dir = g_strdup(DEFAULT_STATE_DIR);

	bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!bus) {
		fprintf(stderr,
			"reaction-boxd: cannot connect to the system "
			"bus: %s\n",
			error->message);
		goto out;
	}
	opts.config = &cfg;
	opts.state_dir = state_dir;
	opts.bluez_storage = opt_bluez_storage;
	life.daemon = rb_daemon_new(bus, &opts, &error);
	if (!life.daemon) {
		fprintf(stderr, "reaction-boxd: %s\n", error->message);
		goto out;
	}

	loop = g_main_loop_new(NULL, FALSE);
	life.loop = loop;
	sig_term = g_unix_signal_add(SIGTERM, on_signal, &life);
	sig_int = g_unix_signal_add(SIGINT, on_signal, &life);
	g_main_loop_run(loop);
	g_source_remove(sig_term);
	g_source_remove(sig_int);
	rb_daemon_free(life.daemon);
	ret = EXIT_SUCCESS;
out:
	rb_daemon_config_clear(&cfg);
	g_free(opt_config);
	g_free(opt_state_dir);
	g_free(opt_bluez_storage);
	return ret;
}
