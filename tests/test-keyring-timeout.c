/* test-keyring-timeout.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A keyring that does not answer: the setup page under Xvfb, on a D-Bus
 * session of its own (GTestDBus) with a gnome-keyring-daemon of its own,
 * stopped with SIGSTOP while the page waits for it and resumed with
 * SIGCONT. The bus is private so that no other test meets the stopped
 * keyring.
 */

#include "config.h"

#include <adwaita.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "relay-oauth-account.h"
#include "relay-probe-view.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "relay-setup-page.h"
#include "test-helpers.h"
#include "widget-helpers.h"

/* How long the page waits for the keyring (relay-secrets.h) */
#define KEYRING_DEADLINE_SECONDS 10

static GSubprocess *keyring_daemon;

/* A test that fails while the keyring is stopped leaves no stopped
 * daemon behind: SIGKILL reaches a stopped process */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
keyring_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("mail-relay-keyring-XXXXXX", &error);
  g_autofree char *home = NULL;
  g_autofree char *data = NULL;
  g_autofree char *run = NULL;
  GOutputStream *input;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  gboolean owned = FALSE;

  g_assert_no_error (error);
  home = g_build_filename (root, "home", NULL);
  data = g_build_filename (home, ".local", "share", NULL);
  run = g_build_filename (root, "run", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (run, 0700), ==, 0);

  /* as build-aux/keyring-session: a login keyring made and unlocked with
   * the password on standard input */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", run, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  keyring_daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                                "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (keyring_daemon);
  g_assert_true (g_output_stream_write_all (input, "keyring-timeout-test", 20, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (input, NULL, &error));

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  while (!owned && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GVariant) reply = NULL;

      reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(b)", &owned);
      if (!owned)
        g_usleep (G_USEC_PER_SEC / 10);
    }
  g_assert_true (owned);
}

/* Stops (or resumes) the keyring: calls to it wait on the bus */
static void
keyring_pause (gboolean pause)
{
  int pid = atoi (g_subprocess_get_identifier (keyring_daemon));

  g_assert_cmpint (kill (pid, pause ? SIGSTOP : SIGCONT), ==, 0);
}

static void
keyring_stop (void)
{
  keyring_pause (FALSE);
  g_subprocess_force_exit (keyring_daemon);
  g_subprocess_wait (keyring_daemon, NULL, NULL);
  g_clear_object (&keyring_daemon);
}

typedef struct
{
  RelayAccountStore *store;
  GtkWindow         *window;
  RelaySetupPage    *page;
} Page;

static void
page_open (Page *page)
{
  page->store = relay_account_store_new (NULL);
  g_assert_true (relay_account_store_load (page->store, NULL));
  page->page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", page->store, NULL);
  page->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (page->window, 600, 900);
  gtk_window_set_child (page->window, GTK_WIDGET (page->page));
  gtk_window_present (page->window);
}

static void
page_close (Page *page)
{
  g_object_ref (page->page);
  gtk_window_destroy (page->window);
  g_assert_true (await_finalize (g_steal_pointer (&page->page)) == g_thread_self ());
  g_assert_finalize_object (page->store);
}

static void
type (Page       *page,
      const char *title,
      const char *text)
{
  GtkWidget *row = find_row (GTK_WIDGET (page->page), title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static gboolean
action_enabled (Page       *page,
                const char *name)
{
  GtkWidget *button = find_actionable (GTK_WIDGET (page->page), name);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

static GtkLabel *
problem_label (Page *page)
{
  GtkRevealer *revealer = GTK_REVEALER (find_type (GTK_WIDGET (page->page), GTK_TYPE_REVEALER));
  GtkWidget *image = gtk_widget_get_first_child (gtk_revealer_get_child (revealer));

  return GTK_LABEL (gtk_widget_get_next_sibling (image));
}

typedef struct
{
  Page       *page;
  const char *needle;
} Shown;

static gboolean
problem_shows (gpointer data)
{
  Shown *shown = data;
  GtkRevealer *revealer = GTK_REVEALER (find_type (GTK_WIDGET (shown->page->page), GTK_TYPE_REVEALER));

  return gtk_revealer_get_reveal_child (revealer) &&
         strstr (gtk_label_get_text (problem_label (shown->page)), shown->needle) != NULL;
}

static GtkWidget *
retry_button (Page *page)
{
  GtkWidget *button = find_button (GTK_WIDGET (page->page), "Try Again");

  g_assert_nonnull (button);
  return button;
}

static RelayProbeView *
find_probe_view (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (RELAY_IS_PROBE_VIEW (l->data))
      return l->data;

  return NULL;
}

/* The keyring's problem containing @needle, shown once its deadline
 * passed, with Try Again; with @no_probe_view, no connection test ran
 * meanwhile (its result, without the saved password, would be false) */
static void
wait_for_keyring_problem (Page       *page,
                          const char *needle,
                          gboolean    no_probe_view)
{
  Shown shown = { page, needle };
  gint64 started = g_get_monotonic_time ();
  gdouble waited;

  while (!problem_shows (&shown) && g_get_monotonic_time () - started < 30 * G_USEC_PER_SEC)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
      if (no_probe_view)
        g_assert_null (find_probe_view ());
    }
  g_test_message ("“%s” shown after %.1f s: %s", needle, (g_get_monotonic_time () - started) / 1e6,
                  gtk_label_get_text (problem_label (page)));
  g_assert_true (problem_shows (&shown));

  /* the keyring's deadline, not sooner (the seconds' timer may fire up
   * to one second early) and not much later */
  waited = (g_get_monotonic_time () - started) / (gdouble)G_USEC_PER_SEC;
  g_assert_cmpfloat (waited, >=, KEYRING_DEADLINE_SECONDS - 1);
  g_assert_cmpfloat (waited, <, KEYRING_DEADLINE_SECONDS + 10);
  g_assert_nonnull (strstr (gtk_label_get_text (problem_label (page)), "The keyring did not answer"));
  g_assert_true (gtk_widget_get_visible (retry_button (page)));
}

static void
saved_cb (RelaySetupPage *page,
          gboolean       *saved)
{
  *saved = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *)data;
}

static void
fill_custom_server (Page       *page,
                    const char *port,
                    const char *password)
{
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page->page), "Provider")),
                              relay_provider_get_position ("custom"));
  type (page, "Server", "127.0.0.1");
  type (page, "Port", port);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page->page), "Security")),
                              RELAY_SECURITY_NONE);
  type (page, "User Name", "user@example.org");
  type (page, "Password", password);
  type (page, "Sender Address", "user@example.org");
}

/* Save does not hang: the button comes back with the message and Try
 * Again, which saves once the keyring answers again */
static void
test_save (void)
{
  const char *password = "typed-while-stopped-3a1";
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  g_autofree char *stored = NULL;
  g_autoptr(GError) error = NULL;
  gboolean saved = FALSE;
  Page page = { 0 };
  RelayAccount *account;

  page_open (&page);
  fill_custom_server (&page, "2525", password);
  g_signal_connect (page.page, "saved", G_CALLBACK (saved_cb), &saved);

  keyring_pause (TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page.page), "setup.save", NULL));
  g_assert_false (action_enabled (&page, "setup.save"));

  wait_for_keyring_problem (&page, "The settings were not saved", FALSE);
  g_assert_true (action_enabled (&page, "setup.save"));
  g_assert_false (saved);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_row (GTK_WIDGET (page.page), "Password"))), ==,
                   password);

  keyring_pause (FALSE);
  g_signal_emit_by_name (retry_button (&page), "clicked");
  wait_for (is_true, &saved);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  account = relay_account_store_get_default (page.store);
  stored = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, password);

  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
  page_close (&page);
}

static gboolean
probe_view_done (gpointer data)
{
  RelayProbeView *view = find_probe_view ();

  return view != NULL && !relay_probe_view_get_running (view);
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

/* After a restart the keyring does not answer: the connection test does
 * not run without the saved password, says why, and runs with it on Try
 * Again */
static void
test_connection_needs_saved_password (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mail-relay-fake-smtp-XXXXXX", NULL);
  g_autofree char *log = g_build_filename (dir, "commands.log", NULL);
  g_autoptr(GSubprocess) server = NULL;
  g_autofree char *port = NULL;
  g_autofree char *commands = NULL;
  gboolean saved = FALSE;
  Page page = { 0 };
  RelayProbeView *view;
  g_autofree char *id = NULL;

  /* it signs in user@example.org with "right-pass" without TLS */
  server = fake_smtp_server_start ("no-starttls", log, &port);

  /* saved while the keyring answers */
  page_open (&page);
  fill_custom_server (&page, port, "right-pass");
  g_signal_connect (page.page, "saved", G_CALLBACK (saved_cb), &saved);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page.page), "setup.save", NULL));
  wait_for (is_true, &saved);
  id = g_strdup (relay_account_get_id (relay_account_store_get_default (page.store)));
  page_close (&page);

  /* Mail Relay starts again; the keyring does not answer */
  keyring_pause (TRUE);
  page_open (&page);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page.page), "setup.test", NULL));
  wait_for_keyring_problem (&page, "The test did not run", TRUE);
  g_assert_null (find_probe_view ());
  g_assert_false (g_file_get_contents (log, &commands, NULL, NULL) && strstr (commands, "EHLO") != NULL);

  keyring_pause (FALSE);
  g_signal_emit_by_name (retry_button (&page), "clicked");
  wait_for (probe_view_done, NULL);
  view = find_probe_view ();
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "The server works"));
  g_clear_pointer (&commands, g_free);
  g_assert_true (g_file_get_contents (log, &commands, NULL, NULL));
  g_assert_nonnull (strstr (commands, "AUTH PLAIN"));
  gtk_window_destroy (GTK_WINDOW (view));

  relay_secrets_clear_sync (id, NULL, NULL);
  page_close (&page);
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  remove_tree (dir);
}

typedef struct
{
  Page     *page;
  gboolean  problem_seen;
} Watch;

static gboolean
password_found (gpointer data)
{
  Watch *watch = data;
  GtkRevealer *revealer = GTK_REVEALER (find_type (GTK_WIDGET (watch->page->page), GTK_TYPE_REVEALER));

  watch->problem_seen |= gtk_revealer_get_reveal_child (revealer);
  return find_widget (GTK_WIDGET (watch->page->page), is_label_containing,
                      (gpointer)"A password is kept in your keyring") != NULL;
}

/* A keyring that misses the page's own look-up at start (inside the
 * Flatpak the runtime's libsecret loses the Secret portal's answer now
 * and then) is asked once more before anything is said: the password is
 * found, and no problem was shown meanwhile */
static void
test_start_asks_again (void)
{
  Page page = { 0 };
  Watch watch = { &page, FALSE };
  gboolean saved = FALSE;
  g_autofree char *id = NULL;
  gint64 resume;

  page_open (&page);
  fill_custom_server (&page, "2525", "right-pass");
  g_signal_connect (page.page, "saved", G_CALLBACK (saved_cb), &saved);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page.page), "setup.save", NULL));
  wait_for (is_true, &saved);
  id = g_strdup (relay_account_get_id (relay_account_store_get_default (page.store)));
  page_close (&page);

  /* started again while the keyring does not answer; it answers again
   * after the first look-up's deadline, during the second */
  keyring_pause (TRUE);
  page_open (&page);
  resume = g_get_monotonic_time () + (KEYRING_DEADLINE_SECONDS + 2) * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < resume)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
      password_found (&watch);
    }
  keyring_pause (FALSE);
  wait_for (password_found, &watch);
  g_assert_false (watch.problem_seen);

  relay_secrets_clear_sync (id, NULL, NULL);
  page_close (&page);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
is_linked_in_time (RelayAccount  *account,
                   gint64        *elapsed,
                   GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gint64 started = g_get_monotonic_time ();
  gboolean linked;

  relay_oauth_account_is_linked_async (account, NULL, result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  linked = relay_oauth_account_is_linked_finish (result, error);
  *elapsed = g_get_monotonic_time () - started;

  return linked;
}

/* The OAuth account's keyring calls (the sign-in row's "is it linked"
 * check) have the same deadline: a stopped keyring is a timeout, not a
 * row that stays on "checking" */
static void
test_oauth_account (void)
{
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GError) error = NULL;
  gint64 elapsed;

  relay_account_apply_provider (account, relay_provider_lookup ("gmail"));
  relay_account_set_username (account, "someone@gmail.com");

  keyring_pause (TRUE);
  g_assert_false (is_linked_in_time (account, &elapsed, &error));
  keyring_pause (FALSE);
  g_assert_error (error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "keyring did not answer"));
  g_assert_cmpint (elapsed, >=, (KEYRING_DEADLINE_SECONDS - 1) * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, (KEYRING_DEADLINE_SECONDS + 5) * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* answered again: not linked, and no error */
  g_assert_false (is_linked_in_time (account, &elapsed, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus;
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));
  int ret;

  /* before GTK and libadwaita connect to the session bus; it unsets
   * DISPLAY, which Xvfb set */
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);

  widget_test_init (&argc, &argv);
  keyring_start ();

  g_test_add_func ("/keyring-timeout/save", test_save);
  g_test_add_func ("/keyring-timeout/connection-needs-saved-password", test_connection_needs_saved_password);
  g_test_add_func ("/keyring-timeout/oauth-account", test_oauth_account);
  g_test_add_func ("/keyring-timeout/start-asks-again", test_start_asks_again);

  ret = g_test_run ();

  keyring_stop ();
  /* the bus goes without waiting for libsecret and libadwaita to let go
   * of their connection to it (g_test_dbus_down() would, and they never
   * do): the GTestDBus is left to the end of the process */
  g_test_dbus_stop (bus);

  return ret;
}
