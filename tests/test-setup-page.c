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

#include "relay-diagnosis.h"
#include "relay-format.h"
#include "relay-probe-view.h"
#include "relay-message.h"
#include "relay-secrets.h"
#include "relay-send-log.h"
#include "relay-setup-page.h"
#include "page-helpers.h"
#include "test-helpers.h"
#include "widget-helpers.h"

typedef PageFixture Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);

  if (data == NULL)
    remove_tree (dir);

  page_fixture_open (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  page_fixture_close (fixture);
}

static gboolean
is_pin_remove_button (GtkWidget     *widget,
                      gconstpointer  data)
{
  GtkWidget *icon = GTK_IS_BUTTON (widget) ? gtk_button_get_child (GTK_BUTTON (widget)) : NULL;

  return GTK_IS_IMAGE (icon) && g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (icon)), "user-trash-symbolic") == 0;
}

static void
count_matches (GtkWidget     *root,
               WidgetMatch    match,
               gconstpointer  data,
               guint         *n)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      if (match (child, data))
        (*n)++;
      count_matches (child, match, data, n);
    }
}

/* How many certificates the settings group lists as pinned */
static guint
pins_listed (Fixture *fixture)
{
  guint n = 0;

  count_matches (row (fixture, "Pinned Certificates"), is_pin_remove_button, NULL, &n);
  return n;
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

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

static gboolean
is_reveal_button (GtkWidget     *widget,
                  gconstpointer  data)
{
  GtkWidget *icon = GTK_IS_BUTTON (widget) ? gtk_button_get_child (GTK_BUTTON (widget)) : NULL;

  return GTK_IS_IMAGE (icon) && g_str_has_prefix (gtk_image_get_icon_name (GTK_IMAGE (icon)) ?: "", "view-");
}

/* What a screen reader finds: each button named once, the password's
 * reveal button named for what it does, and Tab stops only at what can
 * be used, not at rows that only say something */
static void
test_accessible (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *info_rows[] = { "Sending Limits", "Sharing Credentials With a Team" };
  GtkWidget *password = row (fixture, "Password");
  GtkWidget *reveal = find_widget (password, is_reveal_button, NULL);
  GtkEditable *text = gtk_editable_get_delegate (GTK_EDITABLE (password));
  g_autofree char *problem = NULL;
  GtkWidget *first;
  guint stops = 0;

  assert_buttons_named_once (GTK_WIDGET (fixture->page));

  g_assert_nonnull (reveal);
  problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (reveal), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                "Show Password");
  g_assert_null (problem);
  gtk_text_set_visibility (GTK_TEXT (text), TRUE);
  g_clear_pointer (&problem, g_free);
  problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (reveal), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                "Hide Password");
  g_assert_null (problem);
  gtk_text_set_visibility (GTK_TEXT (text), FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (info_rows); i++)
    {
      g_assert_true (gtk_widget_get_visible (row (fixture, info_rows[i])));
      g_assert_false (gtk_widget_get_focusable (row (fixture, info_rows[i])));
    }

  /* once round the whole form with Tab: the window wraps round */
  gtk_window_set_focus (fixture->window, NULL);
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (fixture->window), GTK_DIR_TAB_FORWARD));
  first = gtk_window_get_focus (fixture->window);
  do
    {
      for (guint i = 0; i < G_N_ELEMENTS (info_rows); i++)
        g_assert_false (focus_is_in (row (fixture, info_rows[i])));
      g_assert_true (gtk_widget_child_focus (GTK_WIDGET (fixture->window), GTK_DIR_TAB_FORWARD));
    }
  while (gtk_window_get_focus (fixture->window) != first && ++stops < 200);
  g_assert_cmpuint (stops, >, 5);
  g_assert_cmpuint (stops, <, 200);
}

/* mail-relay-cli, the one the build made */
static void
run_cli_account_set (const char *first,
                     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;
  va_list args;

  g_ptr_array_add (argv, (char *)g_getenv ("MAIL_RELAY_CLI"));
  g_ptr_array_add (argv, (char *)"account");
  g_ptr_array_add (argv, (char *)"set");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_assert_nonnull (g_ptr_array_index (argv, 0));
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("mail-relay-cli account set failed: %s", err);
}

typedef struct
{
  Fixture    *fixture;
  const char *title;
  const char *text;
} RowText;

static gboolean
row_shows (gpointer data)
{
  RowText *wanted = data;

  return g_str_equal (gtk_editable_get_text (GTK_EDITABLE (row (wanted->fixture, wanted->title))), wanted->text);
}

static gboolean
banner_says (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *revealer = find_type (GTK_WIDGET (fixture->page), GTK_TYPE_REVEALER);
  GtkWidget *label = gtk_widget_get_next_sibling (gtk_widget_get_first_child (gtk_revealer_get_child (GTK_REVEALER (revealer))));

  return gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)) &&
         strstr (gtk_label_get_text (GTK_LABEL (label)), "changed outside Mail Relay") != NULL;
}

static void
on_saved (RelaySetupPage *page,
          guint          *count)
{
  (*count)++;
}

/* mail-relay-cli account set while the window is open: the form shows
 * it, and changes typed into the form are never overwritten unasked */
static void
test_external_change (Fixture       *fixture,
                      gconstpointer  data)
{
  RowText wanted = { fixture, "Server", "relay-two.example.org" };
  guint saved = 0;

  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "relay-one.example.org");
  type (fixture, "Port", "2525");
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_STARTTLS);
  type (fixture, "User Name", "");
  type (fixture, "Sender Address", "me@example.org");
  save_and_wait (fixture);
  g_signal_connect (fixture->page, "saved", G_CALLBACK (on_saved), &saved);

  /* nothing typed since: the form follows the file */
  run_cli_account_set ("--host", "relay-two.example.org", "--port", "465", "--security", "tls", NULL);
  wait_for (row_shows, &wanted);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Port"))), ==, "465");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row (fixture, "Security"))), ==, RELAY_SECURITY_TLS);
  g_assert_false (action_enabled (fixture, "setup.save"));
  /* the window passes the new limits on to the send log */
  g_assert_cmpuint (saved, ==, 1);

  /* with a change typed, the form keeps it and says what happened */
  type (fixture, "Sender Address", "typed@example.org");
  run_cli_account_set ("--host", "relay-three.example.org", NULL);
  wait_for (banner_says, fixture);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Sender Address"))), ==, "typed@example.org");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Server"))), ==, "relay-two.example.org");

  /* Revert shows what the other program saved */
  g_assert_true (action_enabled (fixture, "setup.revert"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.revert", NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Server"))), ==, "relay-three.example.org");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Sender Address"))), ==, "me@example.org");
  g_assert_false (action_enabled (fixture, "setup.save"));
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

/* The newest event of the Send Log */
static RelaySendLogEntry *
newest_logged (void)
{
  g_autofree char *path = relay_send_log_get_default_path ();
  g_autoptr(GPtrArray) lines = relay_send_log_read_tail (path, 1, RELAY_SEND_STATUS_ANY, NULL);
  g_autoptr(GError) error = NULL;
  RelaySendLogEntry *entry;

  g_assert_nonnull (lines);
  g_assert_cmpuint (lines->len, ==, 1);
  entry = relay_send_log_entry_new_from_line (lines->pdata[0], -1, &error);
  g_assert_no_error (error);

  return entry;
}

/* The page's test message is in the Send Log, sent from the app, with
 * its recipient's outcome as the server gave it */
static void
assert_test_message_logged (RelaySendStatus  status,
                            const char      *recipient,
                            const char      *reply_start)
{
  g_autoptr(RelaySendLogEntry) entry = newest_logged ();
  const char *recipients[] = { recipient, NULL };

  g_test_message ("logged: %s", relay_send_log_entry_get_reply (entry));
  g_assert_cmpstr (relay_send_log_entry_get_source (entry), ==, "app");
  g_assert_cmpint (relay_send_log_entry_get_status (entry), ==, status);
  g_assert_true (g_strv_equal (relay_send_log_entry_get_recipients (entry), recipients));
  g_assert_cmpstr (relay_send_log_entry_get_subject (entry), ==, RELAY_MESSAGE_TEST_SUBJECT);
  g_assert_true (g_str_has_prefix (relay_send_log_entry_get_reply (entry), reply_start));
  g_assert_cmpuint (relay_send_log_entry_get_attempt (entry), ==, 1);
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
  assert_test_message_logged (RELAY_SEND_STATUS_SENT, "you@example.org", "250 ");
  /* the user chose nothing: the test server's certificate came with it */
  g_assert_null (find_widget (GTK_WIDGET (view), is_label_containing, "You chose to trust"));
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "own test server"));

  /* the certificate's dates have the year, in the one form used
   * everywhere; its rows are read, not Tab stops; the buttons are named
   * once */
  {
    GtkWidget *valid = find_row (GTK_WIDGET (view), "Valid");
    const char *dates;

    g_assert_nonnull (valid);
    dates = adw_action_row_get_subtitle (ADW_ACTION_ROW (valid));
    g_test_message ("Valid: %s", dates);
    g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2} – [0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                         dates, 0, 0));
    g_assert_false (gtk_widget_get_focusable (valid));
    g_assert_false (gtk_widget_get_focusable (find_row (GTK_WIDGET (view), "Issuer")));
    g_assert_false (gtk_widget_get_focusable (find_row (GTK_WIDGET (view), "Connect")));
    assert_buttons_named_once (GTK_WIDGET (view));
  }
  gtk_window_destroy (GTK_WINDOW (view));

  fixture_tear_down (&fixture, NULL);
  relay_sandbox_server_stop (sandbox);
}

/* A scripted SMTP server on 127.0.0.1 that offers AUTH PLAIN without
 * encryption, accepts any sign-in and keeps every line it was sent */
typedef struct
{
  GSocketService *service;
  guint           port;
  GMutex          lock;
  GString        *lines;
} Scripted;

static gboolean
scripted_run_cb (GThreadedSocketService *service,
                 GSocketConnection      *connection,
                 GObject                *source_object,
                 Scripted               *server)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = NULL;
  const char *greeting = "220 scripted.invalid ESMTP\r\n";

  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  if (!g_output_stream_write_all (out, greeting, strlen (greeting), NULL, NULL, NULL))
    return TRUE;

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      const char *reply = "250 2.0.0 ok\r\n";
      gboolean quit = FALSE;

      if (line == NULL)
        break;

      g_mutex_lock (&server->lock);
      g_string_append_printf (server->lines, "%s\n", line);
      g_mutex_unlock (&server->lock);

      if (g_ascii_strncasecmp (line, "EHLO", 4) == 0)
        reply = "250-scripted.invalid\r\n250 AUTH PLAIN\r\n";
      else if (g_ascii_strcasecmp (line, "AUTH PLAIN") == 0)
        reply = "334 \r\n";
      else if (g_ascii_strncasecmp (line, "AUTH", 4) == 0 || !strchr (line, ' '))
        reply = g_ascii_strcasecmp (line, "QUIT") == 0 ? "221 2.0.0 bye\r\n" : "235 2.7.0 accepted\r\n";
      quit = g_ascii_strcasecmp (line, "QUIT") == 0;

      if (!g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL) || quit)
        break;
    }

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
scripted_start (Scripted *server)
{
  g_mutex_init (&server->lock);
  server->lines = g_string_new (NULL);
  server->service = loopback_service_start (G_CALLBACK (scripted_run_cb), server, &server->port);
}

static void
scripted_stop (Scripted *server)
{
  loopback_service_stop (&server->service);
  g_string_free (server->lines, TRUE);
  g_mutex_clear (&server->lock);
}

static char *
scripted_lines (Scripted *server)
{
  char *copy;

  g_mutex_lock (&server->lock);
  copy = g_strdup (server->lines->str);
  g_mutex_unlock (&server->lock);

  return copy;
}

/* Whether the server was sent AUTH PLAIN with @password */
static gboolean
scripted_got_password (Scripted   *server,
                       const char *password)
{
  g_autofree char *text = scripted_lines (server);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    {
      const char *payload = lines[i];
      g_autofree guchar *decoded = NULL;
      gsize length = 0;

      if (g_str_has_prefix (payload, "AUTH PLAIN "))
        payload += strlen ("AUTH PLAIN ");
      else if (i == 0 || g_ascii_strcasecmp (lines[i - 1], "AUTH PLAIN") != 0)
        continue;

      decoded = g_base64_decode (payload, &length);
      /* NUL user NUL password */
      if (length > strlen (password) &&
          memcmp (decoded + length - strlen (password), password, strlen (password)) == 0)
        return TRUE;
    }

  return FALSE;
}

static RelayProbeView *
run_probe_view (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  RelayProbeView *view;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.test", NULL));
  while ((view = find_probe_view ()) == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (view);
  while (relay_probe_view_get_running (view) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (relay_probe_view_get_running (view));

  return view;
}

static void
close_probe_view (RelayProbeView *view)
{
  gtk_window_destroy (GTK_WINDOW (view));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Item 9: the saved password goes only where it was saved for, and a
 * test that did not sign in never says the server works */
static void
test_changed_server_not_signed_in (Fixture       *fixture,
                                   gconstpointer  data)
{
  const char *password = "o365-mailbox-secret-9f2";
  Scripted server = { 0 };
  g_autofree char *port = NULL;
  g_autofree char *lines = NULL;
  RelayProbeView *view;

  scripted_start (&server);
  port = g_strdup_printf ("%u", server.port);

  /* an Office 365 account, saved with its password */
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row (fixture, "Provider"))), ==,
                    relay_provider_get_position ("office365"));
  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", password);
  type (fixture, "Sender Address", "me@example.org");
  save_and_wait (fixture);

  /* another server that offers AUTH, no encryption, the password left empty */
  type (fixture, "Server", "127.0.0.1");
  type (fixture, "Port", port);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_NONE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Password"))), ==, "");

  view = run_probe_view (fixture);
  g_assert_null (find_widget (GTK_WIDGET (view), is_label_containing, "The server works"));
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "Sign-in was not tested"));
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "password for the new server"));
  close_probe_view (view);

  /* the server was asked everything up to the sign-in, and no password reached it */
  lines = scripted_lines (&server);
  g_assert_nonnull (strstr (lines, "EHLO"));
  g_assert_null (strstr (lines, "AUTH"));
  g_assert_false (scripted_got_password (&server, password));

  relay_secrets_clear_sync (relay_account_get_id (relay_account_store_get_default (fixture->store)), NULL, NULL);
  scripted_stop (&server);
}

/* ...and where it was saved for, the test signs in with it */
static void
test_same_server_signs_in (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *password = "saved-for-this-server-41c";
  Scripted server = { 0 };
  Scripted other = { 0 };
  g_autofree char *port = NULL;
  g_autofree char *other_port = NULL;
  g_autofree char *lines = NULL;
  RelayProbeView *view;

  scripted_start (&server);
  scripted_start (&other);
  port = g_strdup_printf ("%u", server.port);
  other_port = g_strdup_printf ("%u", other.port);

  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "127.0.0.1");
  type (fixture, "Port", port);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_NONE);
  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", password);
  type (fixture, "Sender Address", "me@example.org");
  save_and_wait (fixture);

  view = run_probe_view (fixture);
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "The server works"));
  close_probe_view (view);
  g_assert_true (scripted_got_password (&server, password));

  /* the same host on another port is another server */
  type (fixture, "Port", other_port);
  view = run_probe_view (fixture);
  g_assert_null (find_widget (GTK_WIDGET (view), is_label_containing, "The server works"));
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "Sign-in was not tested"));
  close_probe_view (view);
  lines = scripted_lines (&other);
  g_assert_nonnull (strstr (lines, "EHLO"));
  g_assert_null (strstr (lines, "AUTH"));

  relay_secrets_clear_sync (relay_account_get_id (relay_account_store_get_default (fixture->store)), NULL, NULL);
  scripted_stop (&server);
  scripted_stop (&other);
}

/* A recipient the server refuses: the Send Log says so, with its reply */
static void
test_message_refused_logged (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GSubprocess) server = NULL;
  g_autofree char *port = NULL;
  RelayProbeView *view;

  server = fake_smtp_server_start ("rcpt-550", NULL, &port);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "127.0.0.1");
  type (fixture, "Port", port);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_NONE);
  type (fixture, "Sender Address", "me@example.org");
  type (fixture, "Send a Test Message To (Optional)", "nobody@example.org");

  view = run_probe_view (fixture);
  g_assert_null (find_widget (GTK_WIDGET (view), is_label_containing, "The server works"));
  close_probe_view (view);
  assert_test_message_logged (RELAY_SEND_STATUS_FAILED, "nobody@example.org", "550 5.1.1");

  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* Clicks the dialog's button labelled @label */
static void
respond (AdwMessageDialog *dialog,
         const char       *label)
{
  GtkWidget *button = find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Item 10: another provider's credentials are not kept unasked, and a
 * saved password never goes to a server it was not saved for unasked */
static void
test_provider_switch (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *mailbox_password = "o365-mailbox-secret-7d1";
  const char *api_key = "sparkpost-api-key-5b3";
  g_autoptr(RelayAccount) saved = NULL;
  g_autofree char *stored = NULL;
  AdwMessageDialog *dialog;
  g_autofree char *id = NULL;

  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", mailbox_password);
  type (fixture, "Sender Address", "me@example.org");
  save_and_wait (fixture);
  id = g_strdup (relay_account_get_id (relay_account_store_get_default (fixture->store)));
  stored = run_secret_tool_lookup (id, "password");
  g_assert_cmpstr (stored, ==, mailbox_password);

  /* to SparkPost: asked, and cleared by default */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("sparkpost"));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "Office 365"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "smtp.sparkpostmail.com"));
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "clear");
  assert_buttons_named_once (GTK_WIDGET (dialog));
  respond (dialog, "Clear Them");
  g_assert_null (find_message_dialog ());
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "User Name"))), ==, "SMTP_Injection");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Password"))), ==, "");

  /* the mailbox password leaves the keyring with the next Save */
  save_and_wait (fixture);
  g_clear_pointer (&stored, g_free);
  stored = run_secret_tool_lookup (id, "password");
  g_assert_null (stored);
  saved = reload_default ();
  g_assert_cmpstr (relay_account_get_provider (saved), ==, "sparkpost");
  g_assert_cmpstr (relay_account_get_username (saved), ==, "SMTP_Injection");

  /* kept when the user says so */
  type (fixture, "Password", api_key);
  save_and_wait (fixture);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("mailgun"));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  respond (dialog, "Keep Them");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "User Name"))), ==, "SMTP_Injection");
  save_and_wait (fixture);
  g_assert_null (find_message_dialog ());
  g_clear_pointer (&stored, g_free);
  stored = run_secret_tool_lookup (id, "password");
  g_assert_cmpstr (stored, ==, api_key);

  /* another server for the same provider: asked at Save, nothing saved
   * until the user chooses */
  type (fixture, "Server", "smtp.eu.mailgun.org");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "smtp.eu.mailgun.org"));
  respond (dialog, "Type a New One");
  g_clear_object (&saved);
  saved = reload_default ();
  g_assert_cmpstr (relay_account_get_host (saved), ==, "smtp.mailgun.org");
  g_assert_true (action_enabled (fixture, "setup.save"));

  relay_secrets_clear_sync (id, NULL, NULL);
}

/* Item 11: the settings the diagnoses name are in the window */
static void
test_authentication_row (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(RelayDiagnosis) unsupported = relay_diagnose_reply ("auth", 504, "5.5.4", "Unrecognized authentication type");
  g_autoptr(RelayAccount) saved = NULL;
  AdwComboRow *auth = ADW_COMBO_ROW (row (fixture, "Authentication"));
  GListModel *model;

  g_assert_nonnull (strstr (unsupported->hint, "Set Authentication to “Automatic”"));

  model = adw_combo_row_get_model (auth);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 0), ==, "Automatic");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 1), ==, "PLAIN");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 2), ==, "LOGIN");
  g_assert_cmpuint (adw_combo_row_get_selected (auth), ==, 0);

  /* the sign-in providers sign in with tokens */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("gmail"));
  model = adw_combo_row_get_model (auth);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 0), ==, "XOAUTH2");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 1), ==, "OAUTHBEARER");

  /* and the choice is saved */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  g_assert_null (find_message_dialog ());
  type (fixture, "Server", "smtp.example.org");
  type (fixture, "Sender Address", "me@example.org");
  adw_combo_row_set_selected (auth, 2);
  save_and_wait (fixture);
  saved = reload_default ();
  g_assert_cmpint (relay_account_get_auth (saved), ==, RELAY_AUTH_METHOD_LOGIN);
  g_assert_cmpuint (adw_combo_row_get_selected (auth), ==, 2);
  g_assert_false (action_enabled (fixture, "setup.save"));
  adw_combo_row_set_selected (auth, 1);
  g_assert_true (action_enabled (fixture, "setup.save"));
}

static void
test_custom_starts_clean (Fixture       *fixture,
                          gconstpointer  data)
{
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (fixture, "Server"))), ==, "");
  g_assert_false (gtk_widget_has_css_class (row (fixture, "Server"), "error"));
  g_assert_false (error_label_shows (GTK_WIDGET (fixture->page), "Server:"));

  /* typed, it is checked at once */
  type (fixture, "Server", "bad host");
  g_assert_true (gtk_widget_has_css_class (row (fixture, "Server"), "error"));
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "Server:"));
}

static void
test_insecure_save (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  g_autoptr(RelayAccount) saved = NULL;
  GtkWidget *revealer = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (fixture->page)));
  GtkWidget *label = gtk_widget_get_next_sibling (gtk_widget_get_first_child (gtk_revealer_get_child (GTK_REVEALER (revealer))));

  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Provider")), relay_provider_get_position ("custom"));
  type (fixture, "Server", "mail.example.org");
  type (fixture, "Port", "25");
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (fixture, "Security")), RELAY_SECURITY_NONE);
  type (fixture, "User Name", "me@example.org");
  type (fixture, "Password", "never-in-clear-save-8e2");
  type (fixture, "Sender Address", "me@example.org");

  /* warned, and nothing saved yet */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "plain text"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "Save again"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Save again is the consent */
  save_and_wait (fixture);
  saved = reload_default ();
  g_assert_cmpint (relay_account_get_security (saved), ==, RELAY_SECURITY_NONE);
  g_assert_true (relay_account_get_allow_insecure (saved));

  relay_secrets_clear_sync (relay_account_get_id (saved), NULL, NULL);
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

/* Saves a custom server with a CA file, a pin and the consent to an
 * unencrypted password, as `account set` would */
static void
save_trusting_account (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);
  g_autofree char *ca_file = g_build_filename (g_get_user_config_dir (), "lan-ca.pem", NULL);
  const char *pins[] = { "abababababababababababababababababababababababababababababababab", NULL };

  remove_tree (dir);
  g_assert_true (g_file_set_contents (ca_file, "not read by this test\n", -1, NULL));
  g_assert_true (relay_account_store_load (store, NULL));
  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "relay.lan.example");
  relay_account_set_port (account, 587);
  relay_account_set_security (account, RELAY_SECURITY_STARTTLS);
  relay_account_set_from (account, "me@example.org");
  relay_account_set_ca_file (account, ca_file);
  relay_account_set_pins (account, pins);
  relay_account_set_allow_insecure (account, TRUE);
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, NULL));
}

/* Saving the form for another port, or after switching to Office 365,
 * drops the CA file, pins and consent given for the old server */
static void
test_trust_stays_with_server (void)
{
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(RelayAccount) saved = NULL;
      Fixture fixture = { 0 };

      save_trusting_account ();
      fixture_set_up (&fixture, "keep");
      g_assert_cmpuint (pins_listed (&fixture), ==, 1);
      g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (&fixture, "CA File"))), !=,
                       "None: the system’s certificate authorities are trusted");

      if (i == 0)
        type (&fixture, "Port", "465");
      else
        {
          adw_combo_row_set_selected (ADW_COMBO_ROW (row (&fixture, "Provider")),
                                      relay_provider_get_position ("office365"));
          g_assert_null (find_message_dialog ());
          type (&fixture, "User Name", "me@example.org");
        }
      /* what the form shows applies to the new server */
      g_assert_cmpuint (pins_listed (&fixture), ==, 0);
      g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (&fixture, "CA File"))), ==,
                       "None: the system’s certificate authorities are trusted");
      save_and_wait (&fixture);

      saved = reload_default ();
      g_assert_cmpuint (relay_account_get_port (saved), ==, i == 0 ? 465 : 587);
      g_assert_cmpstr (relay_account_get_provider (saved), ==, i == 0 ? "custom" : "office365");
      g_assert_cmpstr (relay_account_get_ca_file (saved), ==, "");
      g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (saved)), ==, 0);
      g_assert_false (relay_account_get_allow_insecure (saved));
      fixture_tear_down (&fixture, NULL);
    }
}

/* A certificate pinned for the server has been replaced: the setup page
 * says what the pin means, and the new certificate takes the old one's
 * place only when the user chooses it in the test window */
static void
test_certificate_renewed (void)
{
  g_autoptr(RelaySandboxServer) sandbox = relay_sandbox_server_new ();
  g_autoptr(RelayAccountStore) first = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);
  g_autofree char *path = g_build_filename (dir, "accounts.json", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *where = NULL;
  g_autofree char *fingerprint = NULL;
  const char *old_pin = "abababababababababababababababababababababababababababababababab";
  const char *pins[] = { old_pin, NULL };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  const char *sha256;
  Fixture fixture = { 0 };
  RelayProbeView *view;
  AdwMessageDialog *dialog;
  GtkWidget *pin_row;
  GtkWidget *button;

  g_assert_true (relay_sandbox_server_start (sandbox, 0, 0, &error));
  g_assert_no_error (error);
  sha256 = relay_sandbox_server_get_certificate_sha256 (sandbox);
  where = g_strdup_printf ("for 127.0.0.1, port %u", relay_sandbox_server_get_starttls_port (sandbox));

  /* a custom server whose certificate was pinned, since renewed */
  remove_tree (dir);
  g_assert_true (relay_account_store_load (first, NULL));
  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, relay_sandbox_server_get_starttls_port (sandbox));
  relay_account_set_security (account, RELAY_SECURITY_STARTTLS);
  relay_account_set_from (account, "me@example.org");
  relay_account_set_pins (account, pins);
  relay_account_store_put (first, account);
  g_assert_true (relay_account_store_save (first, &error));
  g_assert_no_error (error);

  fixture_set_up (&fixture, "keep");

  /* the page says in plain words what the pin means */
  pin_row = row (&fixture, "Pinned Certificates");
  g_assert_cmpuint (pins_listed (&fixture), ==, 1);
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (pin_row)), "Only this certificate is accepted"));
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (pin_row)), where));
  fingerprint = relay_format_fingerprint (old_pin, 16);
  g_assert_nonnull (row (&fixture, fingerprint));

  /* for another port it would not apply, and is not shown */
  type (&fixture, "Port", "2525");
  g_assert_cmpuint (pins_listed (&fixture), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.page), "setup.revert", NULL));
  g_assert_cmpuint (pins_listed (&fixture), ==, 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture.page), "setup.test", NULL));
  view = find_probe_view ();
  g_assert_nonnull (view);
  while (relay_probe_view_get_running (view) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (relay_probe_view_get_running (view));

  /* refused; nothing saved while the user only looks */
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "certificate has changed"));
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  g_assert_nonnull (strstr (before, old_pin));
  g_assert_null (strstr (before, sha256));

  button = find_button (GTK_WIDGET (view), "Trust the New Certificate");
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "trust");
  while (relay_probe_view_get_running (view) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (find_widget (GTK_WIDGET (view), is_label_containing, "The server works"));

  /* saved at once, in place of the old pin, for this server */
  g_assert_true (g_strv_equal (relay_account_get_pins (relay_account_store_get_default (fixture.store)),
                               (const char * const[]) { sha256, NULL }));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_nonnull (strstr (after, sha256));
  g_assert_null (strstr (after, old_pin));
  g_assert_nonnull (strstr (after, "\"pins_for\""));
  g_clear_pointer (&fingerprint, g_free);
  fingerprint = relay_format_fingerprint (sha256, 16);
  g_assert_nonnull (row (&fixture, fingerprint));
  g_assert_cmpuint (pins_listed (&fixture), ==, 1);
  g_assert_false (action_enabled (&fixture, "setup.save"));

  gtk_window_destroy (GTK_WINDOW (view));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  fixture_tear_down (&fixture, NULL);
  relay_sandbox_server_stop (sandbox);
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  /* tests/meson.build runs this program a second time without a session
   * bus, so without a keyring */
  if (g_strcmp0 (g_getenv ("MAIL_RELAY_TEST_NO_KEYRING"), "1") == 0)
    {
      g_test_add ("/setup-page/no-keyring", Fixture, NULL, fixture_set_up, test_no_keyring, fixture_tear_down);
      return g_test_run ();
    }

  g_test_add ("/setup-page/presets", Fixture, NULL, fixture_set_up, test_presets, fixture_tear_down);
  g_test_add ("/setup-page/accessible", Fixture, NULL, fixture_set_up, test_accessible, fixture_tear_down);
  g_test_add ("/setup-page/external-change", Fixture, NULL, fixture_set_up, test_external_change, fixture_tear_down);
  g_test_add ("/setup-page/validation", Fixture, NULL, fixture_set_up, test_validation, fixture_tear_down);
  g_test_add ("/setup-page/save-and-revert", Fixture, NULL, fixture_set_up, test_save_and_revert, fixture_tear_down);
  g_test_add ("/setup-page/insecure-consent", Fixture, NULL, fixture_set_up, test_insecure_consent, fixture_tear_down);
  g_test_add ("/setup-page/test-connection", Fixture, NULL, fixture_set_up, test_connection, fixture_tear_down);
  g_test_add ("/setup-page/changed-server-not-signed-in", Fixture, NULL, fixture_set_up,
              test_changed_server_not_signed_in, fixture_tear_down);
  g_test_add ("/setup-page/same-server-signs-in", Fixture, NULL, fixture_set_up,
              test_same_server_signs_in, fixture_tear_down);
  g_test_add ("/setup-page/message-refused-logged", Fixture, NULL, fixture_set_up,
              test_message_refused_logged, fixture_tear_down);
  g_test_add ("/setup-page/provider-switch", Fixture, NULL, fixture_set_up, test_provider_switch,
              fixture_tear_down);
  g_test_add ("/setup-page/authentication-row", Fixture, NULL, fixture_set_up, test_authentication_row,
              fixture_tear_down);
  g_test_add ("/setup-page/custom-starts-clean", Fixture, NULL, fixture_set_up, test_custom_starts_clean,
              fixture_tear_down);
  g_test_add ("/setup-page/insecure-save", Fixture, NULL, fixture_set_up, test_insecure_save,
              fixture_tear_down);
  g_test_add_func ("/setup-page/corrupt-warning", test_corrupt_warning);
  g_test_add_func ("/setup-page/first-run-sandbox", test_first_run_sandbox);
  g_test_add_func ("/setup-page/certificate-renewed", test_certificate_renewed);
  g_test_add_func ("/setup-page/trust-stays-with-server", test_trust_stays_with_server);

  return g_test_run ();
}
