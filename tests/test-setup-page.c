/* test-setup-page.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The setup form under Xvfb, driven through its widgets, saving into the
 * real keyring that build-aux/test starts.
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "relay-probe-view.h"
#include "relay-secrets.h"
#include "relay-setup-page.h"
#include "test-helpers.h"
#include "widget-helpers.h"

typedef struct
{
  RelayAccountStore *store;
  GtkWindow         *window;
  RelaySetupPage    *page;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);

  if (data == NULL)
    remove_tree (dir);

  fixture->store = relay_account_store_new (NULL);
  g_assert_true (relay_account_store_load (fixture->store, NULL));

  fixture->page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", fixture->store, NULL);
  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 600, 900);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  gtk_window_present (fixture->window);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  /* a keyring look-up still on its way holds the page until it returns;
   * the page goes on this thread, never in a worker that ran a task of it
   * (GLib drops a threaded task's last reference in its worker, possibly
   * after the callback has run) */
  g_object_ref (fixture->page);
  gtk_window_destroy (fixture->window);
  g_assert_true (await_finalize (g_steal_pointer (&fixture->page)) == g_thread_self ());
  g_assert_finalize_object (fixture->store);
}

static GtkWidget *
row (Fixture    *fixture,
     const char *title)
{
  GtkWidget *found = find_row (GTK_WIDGET (fixture->page), title);

  if (found == NULL)
    g_error ("no row titled “%s”", title);

  return found;
}

static void
type (Fixture    *fixture,
      const char *title,
      const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row (fixture, title)), text);
}

static gboolean
error_label_shows (GtkWidget  *root,
                   const char *needle)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && gtk_widget_has_css_class (child, "error") &&
          gtk_widget_get_visible (child) &&
          strstr (gtk_label_get_text (GTK_LABEL (child)), needle) != NULL)
        return TRUE;
      if (error_label_shows (child, needle))
        return TRUE;
    }

  return FALSE;
}

static gboolean
action_enabled (Fixture    *fixture,
                const char *name)
{
  GtkWidget *button = NULL;
  gboolean enabled;

  /* the buttons bound to the action follow its state */
  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (fixture->page)); w; )
    {
      if (GTK_IS_ACTIONABLE (w) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (w)), name) == 0)
        {
          button = w;
          break;
        }
      if (gtk_widget_get_first_child (w))
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w && !gtk_widget_get_next_sibling (w))
            {
              w = gtk_widget_get_parent (w);
              if (w == GTK_WIDGET (fixture->page))
                w = NULL;
            }
          if (w)
            w = gtk_widget_get_next_sibling (w);
        }
    }

  g_assert_nonnull (button);
  enabled = gtk_widget_get_sensitive (button);
  return enabled;
}

static void
saved_cb (RelaySetupPage *page,
          gboolean       *saved)
{
  *saved = TRUE;
}

static void
save_and_wait (Fixture *fixture)
{
  gboolean saved = FALSE;
  gulong id = g_signal_connect (fixture->page, "saved", G_CALLBACK (saved_cb), &saved);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  while (!saved && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_signal_handler_disconnect (fixture->page, id);
  g_assert_true (saved);
}

static void
test_presets (Fixture       *fixture,
              gconstpointer  data)
{
  AdwComboRow *provider = ADW_COMBO_ROW (row (fixture, "Provider"));
  GtkWidget *password = row (fixture, "Password");

  /* a new account starts from the first preset */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Server"))), ==, "smtp.office365.com");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Port"))), ==, "587");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row (fixture, "Security"))), ==, RELAY_SECURITY_STARTTLS);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, "Sending Limits"))),
                            "30 messages per minute"));
  g_assert_true (gtk_widget_get_visible (password));

  adw_combo_row_set_selected (provider, relay_provider_get_position ("gmail"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Server"))), ==, "smtp.gmail.com");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Port"))), ==, "465");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row (fixture, "Security"))), ==, RELAY_SECURITY_TLS);
  /* Gmail signs in instead of taking a password */
  g_assert_false (gtk_widget_get_visible (password));
  g_assert_true (gtk_widget_get_visible (row (fixture, "Sign In With Google")));

  adw_combo_row_set_selected (provider, relay_provider_get_position ("sparkpost"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "User Name"))), ==, "SMTP_Injection");
  g_assert_true (gtk_widget_get_visible (password));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, "Sharing Credentials With a Team"))),
                            "may be shared"));
}

static void
test_validation (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);

  type (fixture, "Port", "70000");
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Port"), "error"));
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "Port:"));

  type (fixture, "Port", "abc");
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "not a number"));

  type (fixture, "Port", "587");
  g_assert_false (gtk_widget_has_css_class (row (fixture, "Port"), "error"));
  g_assert_false (error_label_shows (GTK_WIDGET (fixture->page), "Port:"));

  type (fixture, "Server", "bad host");
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Server"), "error"));
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "Server:"));

  type (fixture, "Server", "");
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "Server:"));

  /* an untouched, empty sender is not an error until Save */
  g_assert_false (gtk_widget_has_css_class (row (fixture, "Sender Address"), "error"));
  type (fixture, "Server", "smtp.example.org");
  g_assert_true (action_enabled (fixture, "setup.save"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Sender Address"), "error"));
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "Sender address:"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  type (fixture, "Sender Address", "me@exa mple.org");
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "Sender address:"));
}

static void
test_save_and_revert (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *password = "Hw3-widget-secret-0a7";
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autofree char *stored = NULL;
  RelayAccount *account;

  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "bücher.example");
  type (fixture, "Port", "2525");
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_TLS);
  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", password);
  type (fixture, "Sender Address", "me@example.org");
  g_assert_false (action_enabled (fixture, "setup.revert"));

  save_and_wait (fixture);

  g_assert_true (relay_account_store_load (reloaded, NULL));
  account = relay_account_store_get_default (reloaded);
  g_assert_nonnull (account);
  g_assert_cmpstr (relay_account_get_provider (account), ==, "custom");
  g_assert_cmpstr (relay_account_get_host (account), ==, "xn--bcher-kva.example");
  g_assert_cmpuint (relay_account_get_port (account), ==, 2525);
  g_assert_cmpint (relay_account_get_security (account), ==, RELAY_SECURITY_TLS);
  g_assert_cmpstr (relay_account_get_username (account), ==, "me@example.org");
  g_assert_cmpstr (relay_account_get_from (account), ==, "me@example.org");

  stored = run_secret_tool_lookup (relay_account_get_id (account), "password");
  g_assert_cmpstr (stored, ==, password);
  assert_no_file_contains (password);

  /* the password field is emptied: the keyring has it now */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Password"))), ==, "");
  g_assert_false (action_enabled (fixture, "setup.save"));

  /* Revert brings back what was saved */
  type (fixture, "Port", "9999");
  g_assert_true (action_enabled (fixture, "setup.revert"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.revert", NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Port"))), ==, "2525");
  g_assert_false (action_enabled (fixture, "setup.revert"));

  /* saving again without a password keeps the stored one */
  type (fixture, "Port", "2526");
  save_and_wait (fixture);
  g_clear_pointer (&stored, g_free);
  stored = run_secret_tool_lookup (relay_account_get_id (account), "password");
  g_assert_cmpstr (stored, ==, password);

  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
}

static void
test_corrupt_warning (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);
  g_autofree char *path = g_build_filename (dir, "accounts.json", NULL);
  Fixture fixture = { 0 };

  remove_tree (dir);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "{ \"version\": 1, \"accounts\": [", -1, NULL));

  fixture_set_up (&fixture, "keep the corrupt file");

  /* the problem is shown, naming where the file went */
  {
    GtkWidget *revealer = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (fixture.page)));
    GtkWidget *box, *label;

    g_assert_true (GTK_IS_REVEALER (revealer));
    g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
    box = gtk_revealer_get_child (GTK_REVEALER (revealer));
    label = gtk_widget_get_next_sibling (gtk_widget_get_first_child (box));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)),
                              relay_account_store_get_corrupt_path (fixture.store)));
  }

  fixture_tear_down (&fixture, NULL);
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

static void
test_connection (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *port = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  RelayProbeView *view;

  /* a port that was free a moment ago: the connection is refused */
  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "127.0.0.1");
  type (fixture, "Port", port);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_NONE);

  /* a test message needs a sender */
  type (fixture, "Send a Test Message To (Optional)", "you@example.org");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  g_assert_null (find_probe_view ());
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Sender Address"), "error"));

  /* an invalid test address is refused before anything runs */
  type (fixture, "Sender Address", "me@example.org");
  type (fixture, "Send a Test Message To (Optional)", "not an address");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  g_assert_null (find_probe_view ());
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Send a Test Message To (Optional)"), "error"));

  /* no sender and no message: the test runs all the same */
  type (fixture, "Send a Test Message To (Optional)", "");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  view = find_probe_view ();
  g_assert_nonnull (view);

  while (relay_probe_view_get_running (view) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (relay_probe_view_get_running (view));

  gtk_window_destroy (GTK_WINDOW (view));
}

static void
test_insecure_consent (Fixture       *fixture,
                       gconstpointer  data)
{
  RelayProbeView *view;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "mail.example.org");
  type (fixture, "Port", "25");
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_NONE);
  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", "never-in-clear-3c9");

  /* a password in the clear to another host: a warning first, nothing runs */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  g_assert_null (find_probe_view ());
  {
    GtkWidget *revealer = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (fixture->page)));
    GtkWidget *label = gtk_widget_get_next_sibling (gtk_widget_get_first_child (gtk_revealer_get_child (GTK_REVEALER (revealer))));

    g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "plain text"));
  }

  /* asking again for the same server is the consent; closing the test
   * window stops it */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  view = find_probe_view ();
  g_assert_nonnull (view);
  gtk_window_destroy (GTK_WINDOW (view));
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* to the loopback address no consent is needed */
  type (fixture, "Server", "127.0.0.1");
  type (fixture, "Port", "9");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  view = find_probe_view ();
  g_assert_nonnull (view);
  while (relay_probe_view_get_running (view) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  gtk_window_destroy (GTK_WINDOW (view));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_first_run_sandbox (void)
{
  g_autoptr(RelaySandboxServer) sandbox = relay_sandbox_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);
  g_autofree char *port = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  Fixture fixture = { 0 };
  RelayProbeView *view;

  g_assert_true (relay_sandbox_server_start (sandbox, 0, 0, &error));
  g_assert_no_error (error);

  remove_tree (dir);
  fixture.store = relay_account_store_new (NULL);
  g_assert_true (relay_account_store_load (fixture.store, NULL));
  fixture.page = g_object_new (RELAY_TYPE_SETUP_PAGE, NULL);
  relay_setup_page_set_sandbox (fixture.page, sandbox);
  relay_setup_page_set_store (fixture.page, fixture.store);
  fixture.window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (fixture.window, GTK_WIDGET (fixture.page));
  gtk_window_present (fixture.window);

  /* with no account yet, the form points at the running test server */
  port = g_strdup_printf ("%u", relay_sandbox_server_get_starttls_port (sandbox));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row (&fixture, "Provider"))), ==,
                    relay_provider_get_position ("local"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (&fixture, "Server"))), ==, "127.0.0.1");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (&fixture, "Port"))), ==, port);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (&fixture, "User Name"))), ==, "sandbox");
  g_assert_true (g_str_equal (gtk_editable_get_text (GTK_EDITABLE (row (&fixture, "Password"))),
                              relay_sandbox_server_get_password (sandbox)));

  /* and the test passes at once, message included */
  type (&fixture, "Sender Address", "me@example.org");
  type (&fixture, "Send a Test Message To (Optional)", "you@example.org");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.page), "setup.test", NULL));
  view = find_probe_view ();
  g_assert_nonnull (view);
  while ((relay_probe_view_get_running (view) || relay_sandbox_server_get_n_received (sandbox) == 0) &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (relay_sandbox_server_get_n_received (sandbox), ==, 1);
  gtk_window_destroy (GTK_WINDOW (view));

  fixture_tear_down (&fixture, NULL);
  relay_sandbox_server_stop (sandbox);
}

static void
test_no_keyring (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  GtkWidget *revealer = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (fixture->page)));
  GtkWidget *label = gtk_widget_get_next_sibling (gtk_widget_get_first_child (gtk_revealer_get_child (GTK_REVEALER (revealer))));
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", "no-keyring-widget-77e");
  type (fixture, "Sender Address", "me@example.org");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));

  while (!gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  /* a clear error, nothing saved, and the form keeps what was typed */
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "keyring"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Password"))), ==, "no-keyring-widget-77e");
  g_assert_true (action_enabled (fixture, "setup.save"));
}

int
main (int   argc,
      char *argv[])
{
  /* not G_TEST_OPTION_ISOLATE_DIRS: GTK needs the MIME data to load icons */
  isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();

  /* tests/meson.build runs this program a second time without a session
   * bus, so without a keyring */
  if (g_strcmp0 (g_getenv ("MAIL_RELAY_TEST_NO_KEYRING"), "1") == 0)
    {
      g_test_add ("/setup-page/no-keyring", Fixture, NULL, fixture_set_up, test_no_keyring, fixture_tear_down);
      return g_test_run ();
    }

  g_test_add ("/setup-page/presets", Fixture, NULL, fixture_set_up, test_presets, fixture_tear_down);
  g_test_add ("/setup-page/validation", Fixture, NULL, fixture_set_up, test_validation, fixture_tear_down);
  g_test_add ("/setup-page/save-and-revert", Fixture, NULL, fixture_set_up, test_save_and_revert, fixture_tear_down);
  g_test_add ("/setup-page/insecure-consent", Fixture, NULL, fixture_set_up, test_insecure_consent, fixture_tear_down);
  g_test_add ("/setup-page/test-connection", Fixture, NULL, fixture_set_up, test_connection, fixture_tear_down);
  g_test_add_func ("/setup-page/corrupt-warning", test_corrupt_warning);
  g_test_add_func ("/setup-page/first-run-sandbox", test_first_run_sandbox);

  return g_test_run ();
}
