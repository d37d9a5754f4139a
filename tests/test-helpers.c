/* test-helpers.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-helpers.h"

static void
scan_tree (const char *path,
           const char *secret,
           guint      *n_files)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *contents = NULL;
      gsize length = 0;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      if (memmem (contents, length, secret, strlen (secret)) != NULL)
        g_error ("%s contains the secret", path);
      (*n_files)++;
      return;
    }

  if ((dir = g_dir_open (path, 0, NULL)) == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      scan_tree (child, secret, n_files);
    }
}

/**
 * isolate_user_dirs:
 *
 * Points HOME and the XDG user directories at a fresh temporary tree.
 * For tests that need the system data directories (MIME data to load
 * SVG icons), which G_TEST_OPTION_ISOLATE_DIRS would hide. Call it before
 * anything reads those directories.
 */
void
isolate_user_dirs (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("mail-relay-test-XXXXXX", &error);
  const char *vars[][2] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
  };

  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *path = g_build_filename (root, vars[i][1], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
      g_setenv (vars[i][0], path, TRUE);
    }
}

/**
 * remove_tree:
 *
 * Deletes @path and everything below it, if it exists.
 */
void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
    }

  g_remove (path);
}

/**
 * assert_no_file_contains:
 *
 * Fails when any file under the test's XDG directories or home holds
 * @secret, and when there are no files at all (which would prove nothing).
 */
void
assert_no_file_contains (const char *secret)
{
  const char *roots[] = {
    g_get_home_dir (),
    g_get_user_config_dir (),
    g_get_user_data_dir (),
    g_get_user_cache_dir (),
    g_get_user_state_dir (),
    g_get_user_runtime_dir (),
  };
  guint n_files = 0;

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    scan_tree (roots[i], secret, &n_files);

  g_assert_cmpuint (n_files, >, 0);
}

/**
 * run_secret_tool_lookup:
 *
 * Returns: (transfer full) (nullable): what `secret-tool lookup` prints
 *   for the item, or %NULL when it finds none
 */
char *
run_secret_tool_lookup (const char *account_id,
                        const char *kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status;
  const char *argv[] = {
    "secret-tool", "lookup",
    "xdg:schema", "io.github.mailrelay.MailRelay",
    "account", account_id,
    "kind", kind,
    NULL
  };

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);

  if (!g_spawn_check_wait_status (status, NULL))
    return NULL;

  return g_steal_pointer (&out);
}

static void
finalized_cb (gpointer  data,
              GObject  *where_the_object_was)
{
  GThread **thread = data;

  /* atomic: the last reference may go in another thread */
  g_atomic_pointer_set (thread, g_thread_self ());
}

/**
 * await_finalize:
 * @object: (transfer full): a #GObject
 *
 * Drops the caller's reference to @object and waits until the object is
 * finalized, iterating the global default main context, for at most 30
 * seconds (then the test fails), as long as wait_for() waits: a worker
 * still reading a 20,000-event log under the sanitizers on a loaded
 * machine took more than ten. A GTask run in a thread drops its last
 * reference in the worker, possibly after its callback has run, so
 * g_assert_finalize_object() right after an asynchronous call is a race.
 *
 * Returns: (transfer none): the thread that finalized @object: a caller
 *   that expects no worker to hold it checks that it is g_thread_self()
 */
GThread *
await_finalize (gpointer object)
{
  GThread *thread = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_true (G_IS_OBJECT (object));
  g_object_weak_ref (object, finalized_cb, &thread);
  g_object_unref (object);

  /* not a blocking iteration: a worker's unref wakes no main context */
  while (g_atomic_pointer_get (&thread) == NULL && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (G_USEC_PER_SEC / 1000);
    }

  if (g_atomic_pointer_get (&thread) == NULL)
    g_error ("%p is still referenced 30 seconds after its last known reference was dropped", object);

  return thread;
}

/* A server of the test's own on 127.0.0.1 and a port the kernel chose:
 * @run handles each connection in a thread of its own ("run" of
 * GThreadedSocketService). Stop it with loopback_service_stop(). */
GSocketService *
loopback_service_start (GCallback  run,
                        gpointer   data,
                        guint     *port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  GSocketService *service = g_threaded_socket_service_new (2);

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (service, "run", run, data);
  g_socket_service_start (service);

  return service;
}

void
loopback_service_stop (GSocketService **service)
{
  g_socket_service_stop (*service);
  g_socket_listener_close (G_SOCKET_LISTENER (*service));
  g_clear_object (service);
}

/**
 * fake_smtp_server_start:
 * @scenario: one of tests/fake-smtp-server.py's --scenario
 * @log: (nullable): where it writes every command line it was sent
 * @port: (out): the port it listens on, on 127.0.0.1
 *
 * Starts tests/fake-smtp-server.py; stop it with g_subprocess_force_exit().
 */
GSubprocess *
fake_smtp_server_start (const char  *scenario,
                        const char  *log,
                        char       **port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "fake-smtp-server.py", NULL);
  g_autofree char *line = NULL;
  GSubprocess *server;

  if (log != NULL)
    server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "python3", script,
                               "--scenario", scenario, "--log", log, NULL);
  else
    server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "python3", script,
                               "--scenario", scenario, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "PORT "));
  *port = g_strdup (line + strlen ("PORT "));

  return server;
}
