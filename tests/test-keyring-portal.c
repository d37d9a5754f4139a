/* test-keyring-portal.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Secret portal's answer lost, as libsecret 0.20.5 can lose it in a
 * Flatpak: libsecret's file backend (SECRET_BACKEND=file, as in a
 * Flatpak or, as here, a Snap) on a D-Bus session of its own (GTestDBus), where a portal of
 * this test takes RetrieveSecret and never sends its Response. The
 * keyring deadline must end the lookup on the caller's main loop.
 * libsecret 0.20.5 connects to the cancellable it is given, while it
 * waits for the portal, a handler that disconnects itself, which
 * deadlocks the thread that cancels: had the deadline cancelled a
 * cancellable that libsecret holds, the main loop would hang for ever
 * (the alarm ends the test then).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "relay-secrets.h"

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Secret'>"
  "    <method name='RetrieveSecret'>"
  "      <arg type='h' name='fd' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "</node>";

static guint retrieve_calls;

static void
portal_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  /* a request whose Response never comes */
  g_atomic_int_inc (&retrieve_calls);
  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(o)", "/org/freedesktop/portal/desktop/request/1_1/lost"));
}

static GVariant *
portal_get_property (GDBusConnection  *connection,
                     const char       *sender,
                     const char       *object_path,
                     const char       *interface_name,
                     const char       *property_name,
                     GError          **error,
                     gpointer          user_data)
{
  return g_variant_new_uint32 (1);
}

static const GDBusInterfaceVTable portal_vtable = { portal_method_call, portal_get_property, NULL };

/* The portal in a thread of its own, on a connection of its own */
static gpointer
portal_thread (gpointer user_data)
{
  GAsyncQueue *ready = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  g_main_context_push_thread_default (context);
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (connection, "/org/freedesktop/portal/desktop", info->interfaces[0],
                                     &portal_vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.portal.Desktop", 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_async_queue_push (ready, GINT_TO_POINTER (1));

  for (;;)
    g_main_context_iteration (context, TRUE);

  return NULL;
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GError **error = user_data;
  char *secret = relay_secrets_lookup_finish (result, error);

  g_assert_null (secret);
  g_assert_nonnull (*error);
}

static void
test_lost_portal_answer (void)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  /* the deadline and a little more; a hung main loop never gets here */
  alarm (RELAY_SECRETS_TIMEOUT_SECONDS + 20);

  relay_secrets_lookup_async ("lost-answer", RELAY_SECRET_PASSWORD, NULL, lookup_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  alarm (0);

  g_assert_error (error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_TIMEOUT);
  g_assert_cmpuint (g_atomic_int_get (&retrieve_calls), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (RELAY_SECRETS_TIMEOUT_SECONDS - 1) * G_USEC_PER_SEC);

  /* the main loop goes on, and so does a caller's cancellation */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GError) cancelled = NULL;

    alarm (20);
    relay_secrets_lookup_async ("lost-answer", RELAY_SECRET_PASSWORD, cancellable, lookup_cb, &cancelled);
    /* a while into the wait for the portal */
    g_timeout_add_once (1000, (GSourceOnceFunc)g_cancellable_cancel, cancellable);
    while (cancelled == NULL)
      g_main_context_iteration (NULL, TRUE);
    alarm (0);
    g_assert_error (cancelled, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GAsyncQueue) ready = g_async_queue_new ();
  int status;

  g_test_init (&argc, &argv, NULL);

  /* libsecret's file backend, which asks the Secret portal for its key */
  dir = g_dir_make_tmp ("mail-relay-portal-XXXXXX", NULL);
  path = g_build_filename (dir, "default.keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  /* libsecret asks the portal only in a Flatpak or a Snap */
  g_setenv ("SNAP_NAME", "mail-relay-test", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", path, TRUE);
  g_unsetenv ("SECRET_FILE_TEST_PASSWORD");

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  g_thread_unref (g_thread_new ("portal", portal_thread, ready));
  g_async_queue_pop (ready);

  g_test_add_func ("/keyring-portal/lost-answer", test_lost_portal_answer);
  status = g_test_run ();

  /* the portal's thread and libsecret's abandoned call hold the bus: it
   * is not taken down (its daemon ends with this process) */
  g_rmdir (dir);
  return status;
}
