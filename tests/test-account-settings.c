/* test-account-settings.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The setup page's Advanced group under Xvfb: the sending limits, the
 * CA file and the pinned certificates, each loaded from accounts.json,
 * changed through its widgets, saved through the page and read back
 * through the account store.
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "relay-format.h"
#include "relay-sandbox-cert.h"
#include "page-helpers.h"
#include "test-helpers.h"
#include "widget-helpers.h"

#define PIN_ONE "4fa10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
#define PIN_TWO "abababababababababababababababababababababababababababababababab"

typedef PageFixture Fixture;

static char *
accounts_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
}

/* A custom server saved as `mail-relay-cli account set` saves it */
static RelayAccount *
saved_account (void)
{
  RelayAccount *account = relay_account_new ();

  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "relay.lan.example");
  relay_account_set_port (account, 587);
  relay_account_set_security (account, RELAY_SECURITY_STARTTLS);
  relay_account_set_from (account, "me@example.org");
  relay_account_set_max_messages (account, 7);
  relay_account_set_message_window (account, 90);
  relay_account_set_max_recipients (account, 250);
  relay_account_set_recipient_window (account, 7200);

  return account;
}

static void
save_account (RelayAccount *account)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_account_store_load (store, &error));
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);
}

/* @data: the account saved before the page opens, or NULL for none */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);

  remove_tree (dir);
  if (data != NULL)
    {
      g_autoptr(RelayAccount) account = saved_account ();
      const char *pins[] = { PIN_ONE, PIN_TWO, NULL };

      if (g_str_equal (data, "pins"))
        relay_account_set_pins (account, pins);
      else if (g_str_equal (data, "oauthbearer"))
        relay_account_set_auth (account, RELAY_AUTH_METHOD_OAUTHBEARER);
      save_account (account);
    }

  page_fixture_open (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  page_fixture_close (fixture);
}

static const char *
text (Fixture    *fixture,
      const char *title)
{
  return gtk_editable_get_text (GTK_EDITABLE (row (fixture, title)));
}

/* The drop-down of a window's unit, inside its row */
static GtkDropDown *
unit (Fixture    *fixture,
      const char *title)
{
  GtkWidget *found = find_type (row (fixture, title), GTK_TYPE_DROP_DOWN);

  g_assert_nonnull (found);
  return GTK_DROP_DOWN (found);
}

static const char *
unit_name (Fixture    *fixture,
           const char *title)
{
  GtkDropDown *drop_down = unit (fixture, title);
  GtkStringObject *item = gtk_drop_down_get_selected_item (drop_down);

  return gtk_string_object_get_string (item);
}

static char *
read_accounts (void)
{
  g_autofree char *path = accounts_path ();
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");

  return contents;
}

/* The limits saved by the CLI are shown in the largest unit that holds
 * them whole; a change is saved, and a limit of 0 takes its window */
static void
test_limits_load_and_save (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(RelayAccount) saved = NULL;

  g_assert_cmpstr (text (fixture, "Message Limit"), ==, "7");
  g_assert_cmpstr (text (fixture, "Messages Within"), ==, "90");
  g_assert_cmpstr (unit_name (fixture, "Messages Within"), ==, "Seconds");
  g_assert_cmpstr (text (fixture, "Recipient Limit"), ==, "250");
  g_assert_cmpstr (text (fixture, "Recipients Within"), ==, "2");
  g_assert_cmpstr (unit_name (fixture, "Recipients Within"), ==, "Hours");
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row (fixture, "Throttling"))),
                            "250 recipients every 7200 seconds"));
  g_assert_false (action_enabled (fixture, "setup.save"));

  type (fixture, "Message Limit", "12");
  type (fixture, "Messages Within", "5");
  gtk_drop_down_set_selected (unit (fixture, "Messages Within"), 1);
  g_assert_true (action_enabled (fixture, "setup.save"));
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row (fixture, "Throttling"))),
                            "12 messages every 300 seconds"));
  type (fixture, "Recipient Limit", "0");
  save_and_wait (fixture);

  saved = reload_default ();
  g_assert_cmpuint (relay_account_get_max_messages (saved), ==, 12);
  g_assert_cmpuint (relay_account_get_message_window (saved), ==, 300);
  g_assert_cmpuint (relay_account_get_max_recipients (saved), ==, 0);
  g_assert_cmpuint (relay_account_get_recipient_window (saved), ==, 0);
  /* what else was saved is kept */
  g_assert_cmpstr (relay_account_get_host (saved), ==, "relay.lan.example");
  g_assert_false (action_enabled (fixture, "setup.save"));

  /* shown as saved: 300 seconds read as 5 minutes */
  g_assert_cmpstr (text (fixture, "Messages Within"), ==, "5");
  g_assert_cmpstr (unit_name (fixture, "Messages Within"), ==, "Minutes");

  /* Revert brings back what was saved */
  type (fixture, "Message Limit", "99");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.revert", NULL));
  g_assert_cmpstr (text (fixture, "Message Limit"), ==, "12");
  g_assert_false (action_enabled (fixture, "setup.save"));
}

/* A bad value is named in its error, and Save writes nothing */
static void
test_limits_bad (Fixture       *fixture,
                 gconstpointer  data)
{
  struct {
    const char *title;
    const char *value;
    const char *message;
  } cases[] = {
    { "Message Limit", "many", "Message limit: “many” is not a whole number" },
    { "Message Limit", "-3", "Message limit:" },
    { "Messages Within", "0", "Message window: “0” is not a whole number of at least 1" },
    { "Recipient Limit", "1e5", "Recipient limit:" },
    { "Recipients Within", "", "Recipient window:" },
    { "Recipients Within", "9999999", "Recipient window: “9999999” is longer than a window can be" },
  };
  g_autofree char *before = read_accounts ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *after = NULL;

      type (fixture, cases[i].title, cases[i].value);
      if (g_str_equal (cases[i].title, "Recipients Within"))
        gtk_drop_down_set_selected (unit (fixture, "Recipients Within"), 3);

      /* checked as it is typed */
      g_assert_true (gtk_widget_has_css_class (row (fixture, cases[i].title), "error"));
      g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), cases[i].message));

      /* Save opens the group, goes to the field, and writes nothing */
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row (fixture, "Throttling")), FALSE);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
      g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row (fixture, "Throttling"))));
      g_assert_true (focus_is_in (row (fixture, cases[i].title)));
      after = read_accounts ();
      g_assert_cmpstr (after, ==, before);

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.revert", NULL));
      g_assert_false (gtk_widget_has_css_class (row (fixture, cases[i].title), "error"));
      g_assert_false (error_label_shows (GTK_WIDGET (fixture->page), ":"));
    }

  /* a window does not matter without a maximum */
  type (fixture, "Message Limit", "0");
  type (fixture, "Messages Within", "");
  g_assert_false (gtk_widget_has_css_class (row (fixture, "Messages Within"), "error"));
}

/* A new account starts from the provider's limits, explained; Reset
 * brings them back, and another provider brings its own */
static void
test_provider_defaults (Fixture       *fixture,
                        gconstpointer  data)
{
  AdwComboRow *provider = ADW_COMBO_ROW (row (fixture, "Provider"));
  const char *explained;

  g_assert_cmpuint (adw_combo_row_get_selected (provider), ==, relay_provider_get_position ("office365"));
  g_assert_cmpstr (text (fixture, "Message Limit"), ==, "30");
  g_assert_cmpstr (text (fixture, "Messages Within"), ==, "1");
  g_assert_cmpstr (unit_name (fixture, "Messages Within"), ==, "Minutes");
  g_assert_cmpstr (text (fixture, "Recipient Limit"), ==, "10000");
  g_assert_cmpstr (text (fixture, "Recipients Within"), ==, "1");
  g_assert_cmpstr (unit_name (fixture, "Recipients Within"), ==, "Days");
  explained = adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, "Provider’s Limits")));
  g_assert_nonnull (strstr (explained, "Office 365 accepts at most 30 messages per minute and 10,000 recipients per day"));
  g_assert_false (action_enabled (fixture, "settings.reset-limits"));

  type (fixture, "Message Limit", "5");
  g_assert_true (action_enabled (fixture, "settings.reset-limits"));
  g_assert_true (gtk_widget_activate_action (row (fixture, "Throttling"), "settings.reset-limits", NULL));
  g_assert_cmpstr (text (fixture, "Message Limit"), ==, "30");
  g_assert_false (action_enabled (fixture, "settings.reset-limits"));

  adw_combo_row_set_selected (provider, relay_provider_get_position ("gmail"));
  g_assert_cmpstr (text (fixture, "Message Limit"), ==, "0");
  g_assert_cmpstr (text (fixture, "Recipient Limit"), ==, "500");
  g_assert_cmpstr (unit_name (fixture, "Recipients Within"), ==, "Days");
  explained = adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, "Provider’s Limits")));
  g_assert_nonnull (strstr (explained, "Gmail accepts at most 500 recipients per day"));

  adw_combo_row_set_selected (provider, relay_provider_get_position ("sendgrid"));
  g_assert_cmpstr (text (fixture, "Message Limit"), ==, "0");
  g_assert_cmpstr (text (fixture, "Recipient Limit"), ==, "0");
  explained = adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, "Provider’s Limits")));
  g_assert_nonnull (strstr (explained, "SendGrid has no fixed limits"));
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row (fixture, "Throttling"))), ==,
                   "None: mail goes out as fast as the server takes it");

  /* saved as shown */
  adw_combo_row_set_selected (provider, relay_provider_get_position ("office365"));
  type (fixture, "User Name", "me@example.org");
  type (fixture, "Sender Address", "me@example.org");
  type (fixture, "Recipient Limit", "2000");
  save_and_wait (fixture);
  {
    g_autoptr(RelayAccount) saved = reload_default ();

    g_assert_cmpuint (relay_account_get_max_messages (saved), ==, 30);
    g_assert_cmpuint (relay_account_get_message_window (saved), ==, 60);
    g_assert_cmpuint (relay_account_get_max_recipients (saved), ==, 2000);
    g_assert_cmpuint (relay_account_get_recipient_window (saved), ==, 86400);
  }
}

static char *
write_ca_file (const char *name,
               gboolean    real)
{
  const guint8 serial[RELAY_SANDBOX_CERT_SERIAL_BYTES] = { 7 };
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), name, NULL);
  g_autofree char *pem = NULL;

  if (real)
    {
      g_autoptr(GTlsCertificate) certificate = relay_sandbox_cert_generate (serial, NULL);

      g_assert_nonnull (certificate);
      g_object_get (certificate, "certificate-pem", &pem, NULL);
    }
  g_assert_true (g_file_set_contents (path, real ? pem : "not a certificate\n", -1, NULL));

  return g_steal_pointer (&path);
}

typedef struct
{
  GFile    *file;
  gboolean  chosen;
  gboolean  answered;
} Choice;

static gboolean
answer_chooser (gpointer data)
{
  Choice *choice = data;
  GtkWindow *dialog = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_autoptr(GFile) selected = NULL;

  if (choice->answered)
    return TRUE;
  if (dialog == NULL)
    return FALSE;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!choice->chosen)
    g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (dialog), choice->file, NULL));
  choice->chosen = TRUE;
  /* selected once the folder is read */
  selected = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (selected == NULL || !g_file_equal (selected, choice->file))
    return FALSE;
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  choice->answered = TRUE;
  G_GNUC_END_IGNORE_DEPRECATIONS

  return TRUE;
}

/* Choose… opens the file chooser (the portal's inside Flatpak, GTK's own
 * here) and the file is checked before it is taken */
static void
choose_ca_file (Fixture    *fixture,
                const char *path)
{
  Choice choice = { g_file_new_for_path (path), FALSE, FALSE };

  g_assert_true (gtk_widget_activate_action (row (fixture, "CA File"), "settings.choose-ca-file", NULL));
  wait_for (answer_chooser, &choice);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (choice.file);
}

static void
test_ca_file (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *good = write_ca_file ("lan-ca.pem", TRUE);
  g_autofree char *junk = write_ca_file ("junk.pem", FALSE);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  AdwActionRow *ca_row = ADW_ACTION_ROW (row (fixture, "CA File"));
  GtkWidget *clear = find_actionable (GTK_WIDGET (ca_row), "settings.clear-ca-file");

  g_assert_cmpstr (adw_action_row_get_subtitle (ca_row), ==, "None: the system’s certificate authorities are trusted");
  g_assert_false (gtk_widget_get_visible (clear));

  choose_ca_file (fixture, good);
  g_assert_cmpstr (adw_action_row_get_subtitle (ca_row), ==, good);
  g_assert_true (gtk_widget_get_visible (clear));
  g_assert_true (action_enabled (fixture, "setup.save"));
  save_and_wait (fixture);
  {
    g_autoptr(RelayAccount) saved = reload_default ();

    g_assert_cmpstr (relay_account_get_ca_file (saved), ==, good);
    g_assert_cmpuint (relay_account_get_max_messages (saved), ==, 7);
  }
  g_assert_cmpstr (adw_action_row_get_subtitle (ca_row), ==, good);

  /* a file without certificates is refused, naming the field; what was
   * chosen before stays */
  before = read_accounts ();
  choose_ca_file (fixture, junk);
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "CA file: “"));
  g_assert_true (error_label_shows (GTK_WIDGET (fixture->page), "junk.pem"));
  g_assert_cmpstr (adw_action_row_get_subtitle (ca_row), ==, good);
  g_assert_false (action_enabled (fixture, "setup.save"));

  /* a CA file gone since it was chosen: Save says so and writes nothing */
  g_remove (good);
  type (fixture, "Message Limit", "8");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  {
    GtkWidget *banner = find_visible_label (GTK_WIDGET (fixture->page), "CA file:");

    g_assert_nonnull (banner);
    g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (banner)), "lan-ca.pem"));
  }
  after = read_accounts ();
  g_assert_cmpstr (after, ==, before);

  /* cleared, it is saved empty */
  g_assert_true (gtk_widget_activate_action (clear, "settings.clear-ca-file", NULL));
  g_assert_cmpstr (adw_action_row_get_subtitle (ca_row), ==, "None: the system’s certificate authorities are trusted");
  save_and_wait (fixture);
  {
    g_autoptr(RelayAccount) saved = reload_default ();

    g_assert_cmpstr (relay_account_get_ca_file (saved), ==, "");
    g_assert_cmpuint (relay_account_get_max_messages (saved), ==, 8);
  }
}

static gboolean
is_remove_button_for (GtkWidget     *widget,
                      gconstpointer  pin)
{
  g_autofree char *name = g_strdup_printf ("Remove the certificate %.8s…", (const char *)pin);
  g_autofree char *problem = NULL;

  if (!GTK_IS_BUTTON (widget) || !gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                                                      GTK_ACCESSIBLE_PROPERTY_LABEL))
    return FALSE;

  problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name);
  return problem == NULL;
}

static void
remove_pin (Fixture    *fixture,
            const char *pin,
            const char *response)
{
  GtkWidget *button = find_widget (row (fixture, "Pinned Certificates"), is_remove_button_for, pin);
  g_autofree char *fingerprint = relay_format_fingerprint (pin, 8);
  AdwMessageDialog *dialog;

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "relay.lan.example, port 587"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), fingerprint));
  adw_message_dialog_response (dialog, response);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Each pin is listed with its server; removing one (once confirmed)
 * removes that one only */
static void
test_pins (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *one = relay_format_fingerprint (PIN_ONE, 16);
  g_autofree char *two = relay_format_fingerprint (PIN_TWO, 16);
  g_autofree char *before = read_accounts ();
  g_autofree char *after = NULL;
  g_autoptr(RelayAccount) saved = NULL;
  GtkWidget *pins = row (fixture, "Pinned Certificates");

  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, one))), ==, "relay.lan.example, port 587");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row (fixture, two))), ==, "relay.lan.example, port 587");
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (pins)),
                            "Only these certificates are accepted for relay.lan.example, port 587"));

  /* listed, not opened unasked */
  g_assert_false (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (pins)));

  /* Cancel keeps it */
  remove_pin (fixture, PIN_ONE, "cancel");
  g_assert_nonnull (find_row (pins, one));
  g_assert_false (action_enabled (fixture, "setup.save"));

  remove_pin (fixture, PIN_ONE, "remove");
  g_assert_null (find_row (pins, one));
  g_assert_nonnull (find_row (pins, two));
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (pins)), "Only this certificate"));
  /* nothing written before Save */
  after = read_accounts ();
  g_assert_cmpstr (after, ==, before);

  /* Revert brings it back */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.revert", NULL));
  g_assert_nonnull (find_row (pins, one));

  remove_pin (fixture, PIN_ONE, "remove");
  save_and_wait (fixture);
  saved = reload_default ();
  g_assert_true (g_strv_equal (relay_account_get_pins (saved), (const char * const[]) { PIN_TWO, NULL }));
  g_assert_cmpuint (relay_account_get_max_messages (saved), ==, 7);
  g_assert_null (find_row (pins, one));
  g_assert_nonnull (find_row (pins, two));

  g_clear_object (&saved);
  remove_pin (fixture, PIN_TWO, "remove");
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (pins)), "None."));
  save_and_wait (fixture);
  saved = reload_default ();
  g_assert_null (relay_account_get_pins (saved)[0]);
}

/* The sign-in method saved by `account set --auth` is shown, and kept
 * even where the provider's list lacks it */
static void
test_auth_loads (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(RelayAccount) saved = NULL;
  AdwComboRow *auth = ADW_COMBO_ROW (row (fixture, "Authentication"));
  GtkStringObject *item = adw_combo_row_get_selected_item (auth);

  g_assert_cmpstr (gtk_string_object_get_string (item), ==, "OAUTHBEARER");
  g_assert_false (action_enabled (fixture, "setup.save"));

  /* changed to one the custom server offers, and saved */
  adw_combo_row_set_selected (auth, 2);
  item = adw_combo_row_get_selected_item (auth);
  g_assert_cmpstr (gtk_string_object_get_string (item), ==, "LOGIN");
  save_and_wait (fixture);
  saved = reload_default ();
  g_assert_cmpint (relay_account_get_auth (saved), ==, RELAY_AUTH_METHOD_LOGIN);
}

/* What a screen reader finds: every control of the group by a name */
static void
test_accessible (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *named[] = { "Unit of the message window", "Unit of the recipient window" };
  GtkWidget *group = gtk_widget_get_ancestor (row (fixture, "Throttling"), ADW_TYPE_PREFERENCES_GROUP);

  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row (fixture, "Throttling")), TRUE);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row (fixture, "Pinned Certificates")), TRUE);
  assert_buttons_named_once (group);

  for (guint i = 0; i < G_N_ELEMENTS (named); i++)
    {
      GtkDropDown *drop_down = unit (fixture, i == 0 ? "Messages Within" : "Recipients Within");
      g_autofree char *problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (drop_down),
                                                                    GTK_ACCESSIBLE_PROPERTY_LABEL, named[i]);

      g_assert_null (problem);
    }

  g_assert_nonnull (find_widget (group, is_remove_button_for, PIN_ONE));
  g_assert_nonnull (find_widget (group, is_remove_button_for, PIN_TWO));
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  g_test_add ("/account-settings/limits-load-and-save", Fixture, "saved", fixture_set_up,
              test_limits_load_and_save, fixture_tear_down);
  g_test_add ("/account-settings/limits-bad", Fixture, "saved", fixture_set_up, test_limits_bad,
              fixture_tear_down);
  g_test_add ("/account-settings/provider-defaults", Fixture, NULL, fixture_set_up, test_provider_defaults,
              fixture_tear_down);
  g_test_add ("/account-settings/ca-file", Fixture, "saved", fixture_set_up, test_ca_file, fixture_tear_down);
  g_test_add ("/account-settings/pins", Fixture, "pins", fixture_set_up, test_pins, fixture_tear_down);
  g_test_add ("/account-settings/auth-loads", Fixture, "oauthbearer", fixture_set_up, test_auth_loads, fixture_tear_down);
  g_test_add ("/account-settings/accessible", Fixture, "pins", fixture_set_up, test_accessible, fixture_tear_down);

  return g_test_run ();
}
