/* test-channel-transfer.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * “Export Channel…” and “Import Channel…” under Xvfb: the dialogs driven
 * through their widgets, the file chooser's answer given through the
 * function it calls, secrets in the real keyring that build-aux/test
 * starts, and every file read back through the core.
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "relay-channel-export-dialog.h"
#include "relay-channel-import-dialog.h"
#include "relay-channel-profile.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "test-helpers.h"
#include "widget-helpers.h"

#define PASSWORD "sparkpost-team-key-4711"
#define PASSPHRASE "correct horse battery"

typedef struct
{
  RelayAccountStore *store;
  char              *dir;
  char              *accounts_path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *config = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);

  remove_tree (config);
  fixture->dir = g_dir_make_tmp ("channel-transfer-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
  fixture->store = relay_account_store_new (NULL);
  g_assert_true (relay_account_store_load (fixture->store, NULL));
  fixture->accounts_path = g_strdup (relay_account_store_get_path (fixture->store));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->accounts_path);
  g_assert_finalize_object (fixture->store);
}

static RelayAccount *
make_account (const char *provider)
{
  RelayAccount *account = relay_account_new ();

  relay_account_apply_provider (account, relay_provider_lookup (provider));
  if (g_str_equal (provider, "sparkpost"))
    relay_account_set_host (account, "smtp.eu.sparkpostmail.com");
  else
    relay_account_set_username (account, "alice@example.org");
  relay_account_set_port (account, 2525);
  relay_account_set_from (account, "news@example.org");
  relay_account_set_name (account, "Team news");
  relay_account_set_senders (account, (const char * const[]) { "*@example.org", "sales@example.com", NULL });
  relay_account_set_max_messages (account, 12);
  relay_account_set_message_window (account, 90);

  return account;
}

/* The profile of a SparkPost account, written to a file; with the
 * password encrypted when @passphrase is given */
static GFile *
write_profile (Fixture    *fixture,
               const char *passphrase)
{
  g_autoptr(RelayAccount) account = make_account ("sparkpost");
  g_autoptr(RelayChannelProfile) profile = relay_channel_profile_new_from_account (account, NULL);
  g_autofree char *path = g_build_filename (fixture->dir, "team.json", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (profile);
  if (passphrase != NULL)
    {
      relay_channel_profile_set_secret (profile, PASSWORD, passphrase, &error);
      g_assert_no_error (error);
    }
  data = relay_channel_profile_to_data (profile);
  g_file_set_contents (path, data, -1, &error);
  g_assert_no_error (error);

  return g_file_new_for_path (path);
}

/* accounts.json as another program would read it now */
static guint
saved_accounts (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);

  g_assert_true (relay_account_store_load (store, NULL));
  return g_list_model_get_n_items (relay_account_store_get_accounts (store));
}

static void
loaded_cb (RelayChannelImportDialog *dialog,
           gboolean                 *loaded)
{
  *loaded = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *)data;
}

static RelayChannelImportDialog *
load (Fixture *fixture,
      GFile   *file)
{
  RelayChannelImportDialog *dialog = relay_channel_import_dialog_new (NULL, fixture->store);
  gboolean loaded = FALSE;
  gulong id;

  g_object_ref_sink (dialog);
  id = g_signal_connect (dialog, "loaded", G_CALLBACK (loaded_cb), &loaded);
  relay_channel_import_dialog_load_file (dialog, file);
  gtk_window_present (GTK_WINDOW (dialog));
  wait_for (is_true, &loaded);
  /* @loaded goes with this frame */
  g_signal_handler_disconnect (dialog, id);

  return dialog;
}

static GtkWidget *
row (gpointer    dialog,
     const char *title)
{
  GtkWidget *found = find_row (GTK_WIDGET (dialog), title);

  if (found == NULL)
    g_error ("no row titled “%s”", title);

  return found;
}

static void
assert_value (gpointer    dialog,
              const char *title,
              const char *value)
{
  const char *shown = adw_action_row_get_subtitle (ADW_ACTION_ROW (row (dialog, title)));

  g_assert_true (gtk_widget_get_visible (row (dialog, title)));
  g_assert_cmpstr (shown, ==, value);
}

static gboolean
is_shown_error_with (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "error") && gtk_widget_get_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

static void
assert_error (gpointer    dialog,
              const char *needle)
{
  if (find_widget (GTK_WIDGET (dialog), is_shown_error_with, needle) == NULL)
    g_error ("no error shown with “%s”", needle);
}

typedef struct
{
  RelayAccount *account;
  char         *todo;
} Imported;

static void
imported_cb (RelayChannelImportDialog *dialog,
             RelayAccount             *account,
             const char               *todo,
             Imported                 *imported)
{
  imported->account = g_object_ref (account);
  imported->todo = g_strdup (todo);
}

static gboolean
has_account (gpointer data)
{
  return ((Imported *)data)->account != NULL;
}

static void
press (gpointer    dialog,
       const char *label)
{
  GtkWidget *button = find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static void
test_preview (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GFile) file = write_profile (fixture, NULL);
  g_autoptr(RelayAccount) taken = make_account ("sparkpost");
  RelayChannelImportDialog *dialog;
  Imported imported = { NULL };
  RelayAccount *saved;

  /* an account already called as the profile's */
  relay_account_store_put (fixture->store, taken);
  g_assert_true (relay_account_store_save (fixture->store, NULL));

  dialog = load (fixture, file);
  g_signal_connect (dialog, "imported", G_CALLBACK (imported_cb), &imported);

  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row (dialog, "Name"))), ==, "Team news 2");
  assert_value (dialog, "Provider", "SparkPost");
  assert_value (dialog, "Server", "smtp.eu.sparkpostmail.com");
  assert_value (dialog, "Port", "2525");
  assert_value (dialog, "Security", "STARTTLS");
  assert_value (dialog, "Shared User Name", "SMTP_Injection");
  assert_value (dialog, "Sender Address", "news@example.org");
  assert_value (dialog, "Extra Senders", "*@example.org, sales@example.com");
  assert_value (dialog, "Sending Limits", "12 messages in 90 s");
  /* no password inside: the person's own, now or later */
  g_assert_false (gtk_widget_get_visible (row (dialog, "Passphrase")));
  g_assert_true (gtk_widget_get_visible (row (dialog, "Your Password (optional)")));
  assert_buttons_named_once (GTK_WIDGET (dialog));

  /* shown, and nothing saved */
  g_assert_cmpuint (saved_accounts (), ==, 1);

  /* the name of another account is refused, naming the field */
  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Name")), "team NEWS");
  press (dialog, "Import");
  assert_error (dialog, "Name");
  g_assert_true (focus_is_in (row (dialog, "Name")));
  g_assert_cmpuint (saved_accounts (), ==, 1);

  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Name")), "Sales");
  press (dialog, "Import");
  wait_for (has_account, &imported);
  g_assert_cmpstr (imported.todo, ==, "It has no password yet: give yours in its settings.");

  {
    g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);

    g_assert_true (relay_account_store_load (store, NULL));
    g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (store)), ==, 2);
    saved = relay_account_store_find (store, "Sales");
    g_assert_nonnull (saved);
    g_assert_cmpstr (relay_account_get_id (saved), ==, relay_account_get_id (imported.account));
    g_assert_cmpstr (relay_account_get_host (saved), ==, "smtp.eu.sparkpostmail.com");
    g_assert_cmpuint (relay_account_get_port (saved), ==, 2525);
    g_assert_cmpuint (relay_account_get_max_messages (saved), ==, 12);
    g_assert_cmpstr (relay_account_get_senders (saved)[1], ==, "sales@example.com");
    /* the default stays */
    g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (store)), ==,
                     relay_account_get_id (taken));
  }

  g_assert_finalize_object (dialog);
  g_object_unref (imported.account);
  g_free (imported.todo);
}

static void
test_damaged (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "damaged.json", NULL);
  g_autoptr(GFile) good = write_profile (fixture, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *text = NULL;
  g_autofree char *damaged = NULL;
  const char *description;
  const char *port;
  RelayChannelImportDialog *dialog;
  GtkWidget *status;

  g_assert_true (g_file_load_contents (good, NULL, &text, NULL, NULL, NULL));
  port = strstr (text, "\"port\" : 2525");
  g_assert_nonnull (port);
  damaged = g_strdup_printf ("%.*s\"port\" : \"2525\"%s", (int)(port - text), text, port + strlen ("\"port\" : 2525"));
  g_assert_true (g_file_set_contents (path, damaged, -1, NULL));

  dialog = load (fixture, file);
  status = find_type (GTK_WIDGET (dialog), ADW_TYPE_STATUS_PAGE);
  g_assert_true (gtk_widget_get_mapped (status));
  description = adw_status_page_get_description (ADW_STATUS_PAGE (status));
  g_assert_nonnull (strstr (description, "damaged.json"));
  g_assert_nonnull (strstr (description, "“port”"));
  g_assert_nonnull (strstr (description, "not a whole number"));
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (dialog), "Import")));
  g_assert_false (g_file_test (fixture->accounts_path, G_FILE_TEST_EXISTS));

  /* a file cut short, in the same dialog */
  text[strlen (text) / 2] = '\0';
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  {
    gboolean loaded = FALSE;
    gulong id = g_signal_connect (dialog, "loaded", G_CALLBACK (loaded_cb), &loaded);

    relay_channel_import_dialog_load_file (dialog, file);
    wait_for (is_true, &loaded);
    g_signal_handler_disconnect (dialog, id);
  }
  g_assert_true (gtk_widget_get_mapped (status));
  description = adw_status_page_get_description (ADW_STATUS_PAGE (status));
  /* as markup: the parser's “&lt;data&gt;” */
  g_assert_nonnull (strstr (description, "not complete JSON"));
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (dialog), "Import")));
  g_assert_false (g_file_test (fixture->accounts_path, G_FILE_TEST_EXISTS));

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_finalize_object (dialog);
}

static void
test_passphrase (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GFile) file = write_profile (fixture, PASSPHRASE);
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  RelayChannelImportDialog *dialog;
  Imported imported = { NULL };

  dialog = load (fixture, file);
  g_signal_connect (dialog, "imported", G_CALLBACK (imported_cb), &imported);
  g_assert_true (gtk_widget_get_visible (row (dialog, "Passphrase")));
  g_assert_false (gtk_widget_get_visible (row (dialog, "Your Password (optional)")));

  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Passphrase")), "wrong horse battery");
  press (dialog, "Import");
  assert_error (dialog, "Passphrase");
  g_assert_false (g_file_test (fixture->accounts_path, G_FILE_TEST_EXISTS));

  /* Enter in the field imports */
  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Passphrase")), PASSPHRASE);
  g_signal_emit_by_name (find_type (row (dialog, "Passphrase"), GTK_TYPE_TEXT), "activate");
  wait_for (has_account, &imported);
  g_assert_cmpstr (imported.todo, ==, "The team’s password is in the keyring.");
  g_assert_cmpuint (saved_accounts (), ==, 1);

  stored = relay_secrets_lookup_sync (relay_account_get_id (imported.account), RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, PASSWORD);
  assert_no_file_contains (PASSWORD);

  relay_secrets_clear_sync (relay_account_get_id (imported.account), NULL, NULL);
  g_assert_finalize_object (dialog);
  g_object_unref (imported.account);
  g_free (imported.todo);
}

/* How many items of Mail Relay's in the keyring hold @secret */
static guint
keyring_holding (const char *secret)
{
  g_autoptr(GError) error = NULL;
  GList *items;
  guint found = 0;

  items = secret_password_search_sync (relay_secrets_get_schema (), SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK |
                                       SECRET_SEARCH_LOAD_SECRETS, NULL, &error, "kind", "password", NULL);
  g_assert_no_error (error);
  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(SecretValue) value = secret_item_get_secret (l->data);

      if (value != NULL && g_strcmp0 (secret_value_get_text (value), secret) == 0)
        found++;
    }
  g_list_free_full (items, g_object_unref);

  return found;
}

/* accounts.json cannot be written: the keyring item stored first is
 * taken back, and the dialog stays with the error */
static void
test_taken_back (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GFile) file = write_profile (fixture, PASSPHRASE);
  RelayChannelImportDialog *dialog;
  Imported imported = { NULL };
  gboolean failed = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (fixture->accounts_path, 0700), ==, 0);
  g_assert_cmpuint (keyring_holding (PASSWORD), ==, 0);

  dialog = load (fixture, file);
  g_signal_connect (dialog, "imported", G_CALLBACK (imported_cb), &imported);
  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Passphrase")), PASSPHRASE);
  press (dialog, "Import");
  while (!failed)
    {
      g_main_context_iteration (NULL, TRUE);
      failed = find_widget (GTK_WIDGET (dialog), is_shown_error_with, "could not save the account") != NULL;
    }

  g_assert_null (imported.account);
  g_assert_true (gtk_widget_get_sensitive (find_button (GTK_WIDGET (dialog), "Import")));
  g_assert_cmpuint (keyring_holding (PASSWORD), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (fixture->store)), ==, 0);

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_finalize_object (dialog);
  g_assert_cmpint (g_rmdir (fixture->accounts_path), ==, 0);
}

static void
exported_cb (RelayChannelExportDialog *dialog,
             GFile                    *file,
             gboolean                 *exported)
{
  *exported = TRUE;
}

static RelayChannelExportDialog *
export_dialog (RelayAccount *account,
               gboolean     *exported)
{
  RelayChannelExportDialog *dialog = relay_channel_export_dialog_new (NULL, account);

  g_object_ref_sink (dialog);
  g_signal_connect (dialog, "exported", G_CALLBACK (exported_cb), exported);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static RelayChannelProfile *
read_back (GFile *file)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr(GError) error = NULL;
  RelayChannelProfile *profile;

  g_assert_true (g_file_load_contents (file, NULL, &data, &length, NULL, NULL));
  profile = relay_channel_profile_new_from_data (data, length, &error);
  g_assert_no_error (error);
  return profile;
}

static gboolean
is_switch (GtkWidget     *widget,
           gconstpointer  data)
{
  return GTK_IS_SWITCH (widget);
}

static void
test_export_one_person (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(RelayAccount) account = make_account ("office365");
  g_autofree char *path = g_build_filename (fixture->dir, "o365.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(RelayChannelProfile) profile = NULL;
  RelayChannelExportDialog *dialog;
  gboolean exported = FALSE;

  relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, "o365", PASSWORD, NULL, NULL);
  dialog = export_dialog (account, &exported);

  /* the password is never offered, and the dialog says why */
  g_assert_false (gtk_widget_is_visible (find_widget (GTK_WIDGET (dialog), is_switch, NULL)));
  g_assert_false (gtk_widget_is_visible (row (dialog, "Passphrase")));
  {
    AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (find_type (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_GROUP));

    g_assert_nonnull (strstr (adw_preferences_group_get_description (group), "belong to one mailbox"));
  }
  assert_buttons_named_once (GTK_WIDGET (dialog));

  g_assert_true (relay_channel_export_dialog_export_to (dialog, file));
  wait_for (is_true, &exported);

  profile = read_back (file);
  g_assert_false (relay_channel_profile_has_secret (profile));
  g_assert_cmpstr (relay_channel_profile_get_username (profile), ==, "");
  g_assert_cmpstr (relay_channel_profile_get_host (profile), ==, relay_account_get_host (account));
  assert_no_file_contains (PASSWORD);

  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
  g_assert_finalize_object (dialog);
}

static void
test_export_secret (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(RelayAccount) account = make_account ("sparkpost");
  g_autofree char *path = g_build_filename (fixture->dir, "team.json", NULL);
  g_autofree char *xml_path = g_build_filename (fixture->dir, "config-v1.1.xml", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) xml_file = g_file_new_for_path (xml_path);
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *xml = NULL;
  RelayChannelExportDialog *dialog;
  GtkWidget *include;
  gboolean exported = FALSE;

  g_assert_true (relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, "team",
                                           PASSWORD, NULL, NULL));
  dialog = export_dialog (account, &exported);
  include = find_widget (GTK_WIDGET (dialog), is_switch, NULL);
  g_assert_true (gtk_widget_is_visible (include));
  g_assert_false (gtk_widget_get_sensitive (row (dialog, "Passphrase")));
  gtk_switch_set_active (GTK_SWITCH (include), TRUE);
  g_assert_true (gtk_widget_get_sensitive (row (dialog, "Passphrase")));

  /* too short, then not confirmed: each error names its field */
  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Passphrase")), "short one");
  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Confirm Passphrase")), "short one");
  g_assert_false (relay_channel_export_dialog_export_to (dialog, file));
  assert_error (dialog, "Passphrase: at least 12 characters");
  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Passphrase")), PASSPHRASE);
  g_assert_false (relay_channel_export_dialog_export_to (dialog, file));
  assert_error (dialog, "Confirm Passphrase");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  gtk_editable_set_text (GTK_EDITABLE (row (dialog, "Confirm Passphrase")), PASSPHRASE);
  g_assert_true (relay_channel_export_dialog_export_to (dialog, file));
  wait_for (is_true, &exported);
  g_assert_finalize_object (dialog);

  profile = read_back (file);
  g_assert_true (relay_channel_profile_has_secret (profile));
  opened = relay_channel_profile_open_secret (profile, PASSPHRASE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened, ==, PASSWORD);
  g_assert_cmpstr (relay_channel_profile_get_name (profile), ==, "Team news");
  assert_no_file_contains (PASSWORD);

  /* the autoconfig form: published, so never a password */
  exported = FALSE;
  dialog = export_dialog (account, &exported);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row (dialog, "Format")), 1);
  g_assert_false (gtk_widget_is_visible (find_widget (GTK_WIDGET (dialog), is_switch, NULL)));
  g_assert_true (relay_channel_export_dialog_export_to (dialog, xml_file));
  wait_for (is_true, &exported);
  g_assert_finalize_object (dialog);
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, NULL));
  g_assert_nonnull (strstr (xml, "<hostname>smtp.eu.sparkpostmail.com</hostname>"));

  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  g_test_add ("/channel-transfer/preview", Fixture, NULL, fixture_set_up, test_preview, fixture_tear_down);
  g_test_add ("/channel-transfer/damaged", Fixture, NULL, fixture_set_up, test_damaged, fixture_tear_down);
  g_test_add ("/channel-transfer/passphrase", Fixture, NULL, fixture_set_up, test_passphrase, fixture_tear_down);
  g_test_add ("/channel-transfer/taken-back", Fixture, NULL, fixture_set_up, test_taken_back, fixture_tear_down);
  g_test_add ("/channel-transfer/export-one-person", Fixture, NULL, fixture_set_up, test_export_one_person,
              fixture_tear_down);
  g_test_add ("/channel-transfer/export-secret", Fixture, NULL, fixture_set_up, test_export_secret,
              fixture_tear_down);

  return g_test_run ();
}
