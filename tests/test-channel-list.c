/* test-channel-list.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's list of delivery channels under Xvfb, with a real keyring:
 * three accounts listed with their default marker and status; add, rename
 * (a duplicate name refused), make default and remove (its secrets gone,
 * the default moved), each read back from accounts.json through a store of
 * its own; a row chosen shows its account in the form; the extra sender
 * addresses; the Send Log filtered by channel; a narrow window folds.
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "relay-application.h"
#include "relay-channel-list.h"
#include "relay-log-page.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "relay-send-log.h"
#include "relay-setup-page.h"
#include "relay-window.h"
#include "test-helpers.h"
#include "widget-helpers.h"

typedef struct
{
  RelayWindow      *window;
  RelayChannelList *list;
  RelaySetupPage   *page;
  char             *ids[3];
} Fixture;

/* one for the whole program: a registered GApplication is never
 * finalized, its actions stay exported on the bus */
static RelayApplication *application;

static RelayAccount *
make_account (const char *name,
              const char *host,
              const char *from)
{
  RelayAccount *account = relay_account_new ();

  relay_account_set_name (account, name);
  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, host);
  relay_account_set_port (account, 587);
  relay_account_set_username (account, from);
  relay_account_set_from (account, from);
  return account;
}

/* accounts.json as another program reads it */
static RelayAccountStore *
read_back (void)
{
  RelayAccountStore *store = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_account_store_load (store, &error));
  g_assert_no_error (error);
  return store;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  RelayAccountStore *store = relay_application_get_account_store (application);
  GListModel *accounts = relay_account_store_get_accounts (store);
  const char *names[] = { "Work", "Home", "Newsletters" };
  const char *hosts[] = { "smtp.work.example", "smtp.home.example", "smtp.news.example" };
  const char *froms[] = { "me@work.example", "me@home.example", "news@news.example" };
  g_autofree char *log_path = relay_send_log_get_default_path ();
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  const char *rcpt[] = { "you@example.org", NULL };
  g_autoptr(GError) error = NULL;

  while (g_list_model_get_n_items (accounts) > 0)
    {
      g_autoptr(RelayAccount) old = g_list_model_get_item (accounts, 0);

      relay_account_store_remove (store, relay_account_get_id (old));
    }

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(RelayAccount) account = make_account (names[i], hosts[i], froms[i]);

      /* Newsletters' server takes mail without signing in */
      if (i == 2)
        relay_account_set_username (account, "");

      fixture->ids[i] = g_strdup (relay_account_get_id (account));
      relay_account_store_put (store, account);
      g_assert_true (relay_secrets_store_sync (fixture->ids[i], RELAY_SECRET_PASSWORD, names[i],
                                               "s3cret-password", NULL, &error));
      g_assert_no_error (error);
    }
  /* Home is the default one */
  relay_account_store_set_default (store, fixture->ids[1]);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  /* Work's last message went, Home's last one failed, Newsletters sent none */
  g_unlink (log_path);
  for (guint i = 0; i < 3; i++)
    {
      RelaySendStatus status = i == 0 ? RELAY_SEND_STATUS_SENT : i == 1 ? RELAY_SEND_STATUS_SENT
                                                                        : RELAY_SEND_STATUS_FAILED;
      g_autofree char *message_id = g_strdup_printf ("<%u@test.example>", i);
      RelaySendLogEntry *entry = relay_send_log_entry_new (status, message_id, rcpt, "Hello", 1, "250 Ok");

      relay_send_log_entry_set_account (entry, fixture->ids[i == 0 ? 0 : 1]);
      g_ptr_array_add (entries, entry);
    }
  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);

  fixture->window = relay_window_new (application);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1100, 800);
  gtk_window_present (GTK_WINDOW (fixture->window));
  fixture->list = RELAY_CHANNEL_LIST (find_type (GTK_WIDGET (fixture->window), RELAY_TYPE_CHANNEL_LIST));
  fixture->page = RELAY_SETUP_PAGE (find_type (GTK_WIDGET (fixture->window), RELAY_TYPE_SETUP_PAGE));
  g_assert_nonnull (fixture->list);
  g_assert_nonnull (fixture->page);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  AdwMessageDialog *dialog;

  while ((dialog = find_message_dialog ()) != NULL)
    gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_add_weak_pointer (G_OBJECT (fixture->window), (gpointer *)&fixture->window);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (fixture->window);
  for (guint i = 0; i < G_N_ELEMENTS (fixture->ids); i++)
    {
      relay_secrets_clear_sync (fixture->ids[i], NULL, NULL);
      g_free (fixture->ids[i]);
    }
}

/* The list's rows, in order */
static GPtrArray *
rows (Fixture *fixture)
{
  GtkWidget *box = find_type (GTK_WIDGET (fixture->list), GTK_TYPE_LIST_BOX);
  GPtrArray *found = g_ptr_array_new ();

  for (GtkWidget *child = gtk_widget_get_first_child (box); child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_BOX_ROW (child))
      g_ptr_array_add (found, child);

  return found;
}

static gboolean
row_has_label (GtkWidget  *row,
               const char *text)
{
  return find_visible_label (row, text) != NULL;
}

static GtkWidget *
row_named (Fixture    *fixture,
           const char *name)
{
  g_autoptr(GPtrArray) all = rows (fixture);

  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *problem = NULL;

      problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (g_ptr_array_index (all, i)),
                                                    GTK_ACCESSIBLE_PROPERTY_LABEL, name);
      if (problem == NULL)
        return g_ptr_array_index (all, i);
    }

  return NULL;
}

static const char *
form_text (Fixture    *fixture,
           const char *title)
{
  GtkWidget *row = find_row (GTK_WIDGET (fixture->page), title);

  g_assert_nonnull (row);
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static gboolean
statuses_read (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *row = row_named (fixture, "Work");

  return row != NULL && row_has_label (row, "Works");
}

static gboolean
password_missing (gpointer data)
{
  Fixture *fixture = data;

  return row_has_label (row_named (fixture, "Work"), "No password saved");
}

static void
test_listed (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) all = rows (fixture);
  GtkWidget *work, *home, *news;

  g_assert_cmpuint (all->len, ==, 3);
  work = row_named (fixture, "Work");
  home = row_named (fixture, "Home");
  news = row_named (fixture, "Newsletters");
  g_assert_nonnull (work);
  g_assert_nonnull (home);
  g_assert_nonnull (news);

  /* the default one, marked, chosen and in the form */
  g_assert_true (row_has_label (home, "Default"));
  g_assert_false (row_has_label (work, "Default"));
  g_assert_false (row_has_label (news, "Default"));
  g_assert_true (gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (home)));
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.home.example");
  {
    g_autofree char *server = g_strdup_printf ("%s · smtp.work.example",
                                               relay_provider_get_name (relay_provider_lookup ("custom")));

    g_assert_true (row_has_label (work, server));
  }

  /* each one's last outcome in the send log */
  wait_for (statuses_read, fixture);
  g_assert_true (row_has_label (row_named (fixture, "Home"), "Failing"));
  g_assert_true (row_has_label (row_named (fixture, "Newsletters"), "Not tested"));

  /* a password the keyring no longer keeps */
  g_assert_true (relay_secrets_clear_sync (fixture->ids[0], NULL, NULL));
  relay_channel_list_refresh (fixture->list);
  wait_for (password_missing, fixture);
  g_assert_false (row_has_label (row_named (fixture, "Work"), "Works"));
  g_assert_false (row_has_label (row_named (fixture, "Home"), "No password saved"));

  assert_buttons_named_once (GTK_WIDGET (fixture->window));
}

static void
test_select (Fixture       *fixture,
             gconstpointer  data)
{
  gtk_widget_activate (row_named (fixture, "Newsletters"));
  g_assert_cmpstr (relay_channel_list_get_selected_id (fixture->list), ==, fixture->ids[2]);
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.news.example");
  g_assert_cmpstr (form_text (fixture, "Sender Address"), ==, "news@news.example");

  gtk_widget_activate (row_named (fixture, "Work"));
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.work.example");
}

static AdwMessageDialog *
name_dialog (void)
{
  AdwMessageDialog *dialog = find_message_dialog ();

  g_assert_nonnull (dialog);
  g_assert_nonnull (find_row (GTK_WIDGET (dialog), "Name"));
  return dialog;
}

static gboolean
is_error_label_with (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) && gtk_widget_has_css_class (widget, "error") &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

static void
type_name (AdwMessageDialog *dialog,
           const char       *name)
{
  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (dialog), "Name")), name);
}

static void
saved_cb (gboolean *saved)
{
  *saved = TRUE;
}

static void
save_and_wait (Fixture *fixture)
{
  gboolean saved = FALSE;
  gulong id = g_signal_connect_swapped (fixture->page, "saved", G_CALLBACK (saved_cb), &saved);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  while (!saved)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (fixture->page, id);
}

static void
test_rename (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(RelayAccountStore) store = NULL;
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "channels.rename", "s", fixture->ids[0]));
  dialog = name_dialog ();
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_row (GTK_WIDGET (dialog), "Name"))), ==, "Work");

  /* another one's name, in another case: refused, the field named */
  type_name (dialog, "home");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "name"));
  g_assert_nonnull (find_widget (GTK_WIDGET (dialog), is_error_label_with, "Name:"));
  g_assert_true (gtk_widget_has_css_class (find_row (GTK_WIDGET (dialog), "Name"), "error"));
  adw_message_dialog_response (dialog, "name");
  store = read_back ();
  g_assert_cmpstr (relay_account_get_name (relay_account_store_lookup (store, fixture->ids[0])), ==, "Work");
  g_clear_object (&store);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "channels.rename", "s", fixture->ids[0]));
  dialog = name_dialog ();
  type_name (dialog, "Office");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "name"));
  adw_message_dialog_response (dialog, "name");

  store = read_back ();
  g_assert_cmpstr (relay_account_get_name (relay_account_store_lookup (store, fixture->ids[0])), ==, "Office");
  g_assert_nonnull (row_named (fixture, "Office"));
  g_assert_null (row_named (fixture, "Work"));

  /* a Save of the form later keeps the new name */
  gtk_widget_activate (row_named (fixture, "Office"));
  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (fixture->page), "Server")), "smtp2.work.example");
  save_and_wait (fixture);
  g_clear_object (&store);
  store = read_back ();
  g_assert_cmpstr (relay_account_get_host (relay_account_store_lookup (store, fixture->ids[0])), ==,
                   "smtp2.work.example");
  g_assert_cmpstr (relay_account_get_name (relay_account_store_lookup (store, fixture->ids[0])), ==, "Office");
}

static void
test_make_default (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(RelayAccountStore) store = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "channels.make-default", "s",
                                             fixture->ids[2]));
  store = read_back ();
  g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (store)), ==, fixture->ids[2]);
  g_assert_true (row_has_label (row_named (fixture, "Newsletters"), "Default"));
  g_assert_false (row_has_label (row_named (fixture, "Home"), "Default"));
}

static gboolean
account_gone (gpointer data)
{
  Fixture *fixture = data;

  return relay_account_store_lookup (relay_application_get_account_store (application), fixture->ids[1]) == NULL;
}

static void
test_remove (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *other = NULL;
  AdwMessageDialog *dialog;

  /* the default one: asked first, naming it and its password */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "channels.remove", "s", fixture->ids[1]));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), "Home"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "password"));
  adw_message_dialog_response (dialog, "cancel");
  store = read_back ();
  g_assert_nonnull (relay_account_store_lookup (store, fixture->ids[1]));
  g_clear_object (&store);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "channels.remove", "s", fixture->ids[1]));
  adw_message_dialog_response (find_message_dialog (), "remove");
  wait_for (account_gone, fixture);

  store = read_back ();
  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (store)), ==, 2);
  g_assert_null (relay_account_store_lookup (store, fixture->ids[1]));
  /* the default moved to another one, and the form shows it */
  g_assert_nonnull (relay_account_store_get_default (store));
  g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (store)), !=, fixture->ids[1]);
  g_assert_true (row_has_label (row_named (fixture, relay_account_get_name (relay_account_store_get_default (store))),
                                "Default"));
  g_assert_cmpstr (relay_channel_list_get_selected_id (fixture->list), ==,
                   relay_account_get_id (relay_account_store_get_default (store)));
  g_assert_null (row_named (fixture, "Home"));

  /* its password is gone from the keyring, the others' stay */
  secret = relay_secrets_lookup_sync (fixture->ids[1], RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (secret);
  other = relay_secrets_lookup_sync (fixture->ids[0], RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (other, ==, "s3cret-password");
}

static void
test_add (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr(RelayAccountStore) store = NULL;
  AdwMessageDialog *dialog;
  RelayAccount *added;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->list), "channels.add", NULL));
  dialog = name_dialog ();
  /* a name of its own to start from */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_row (GTK_WIDGET (dialog), "Name"))), ==, "Channel 4");
  type_name (dialog, "WORK");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "name"));
  g_assert_nonnull (find_widget (GTK_WIDGET (dialog), is_error_label_with, "Name:"));
  type_name (dialog, "Backup");
  adw_message_dialog_response (dialog, "name");

  /* an empty form, and a row for it */
  g_assert_null (relay_channel_list_get_selected_id (fixture->list));
  g_assert_cmpstr (relay_channel_list_get_new_name (fixture->list), ==, "Backup");
  g_assert_nonnull (row_named (fixture, "Backup"));
  g_assert_cmpstr (form_text (fixture, "Sender Address"), ==, "");

  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (fixture->page), "User Name")), "backup@backup.example");
  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (fixture->page), "Password")), "another-password");
  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (fixture->page), "Sender Address")),
                         "backup@backup.example");
  save_and_wait (fixture);

  store = read_back ();
  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (store)), ==, 4);
  added = relay_account_store_find (store, "Backup");
  g_assert_nonnull (added);
  g_assert_cmpstr (relay_account_get_from (added), ==, "backup@backup.example");
  /* the default stays */
  g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (store)), ==, fixture->ids[1]);
  /* the list chose the saved one */
  g_assert_cmpstr (relay_channel_list_get_selected_id (fixture->list), ==, relay_account_get_id (added));
  g_assert_null (relay_channel_list_get_new_name (fixture->list));
  {
    g_autoptr(GPtrArray) all = rows (fixture);

    g_assert_cmpuint (all->len, ==, 4);
  }
  relay_secrets_clear_sync (relay_account_get_id (added), NULL, NULL);
}

static void
test_senders (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(RelayAccountStore) store = NULL;
  GtkWidget *entry;
  GtkWidget *remove;

  gtk_widget_activate (row_named (fixture, "Work"));
  entry = find_row (GTK_WIDGET (fixture->page), "Sender");
  g_assert_nonnull (entry);

  gtk_editable_set_text (GTK_EDITABLE (entry), "not an address");
  g_signal_emit_by_name (entry, "apply");
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->page), is_error_label_with, "Sender:"));
  store = read_back ();
  g_assert_null (relay_account_get_senders (relay_account_store_lookup (store, fixture->ids[0]))[0]);
  g_clear_object (&store);

  gtk_editable_set_text (GTK_EDITABLE (entry), "*@Sales.Example");
  g_signal_emit_by_name (entry, "apply");
  gtk_editable_set_text (GTK_EDITABLE (entry), "boss@work.example");
  g_signal_emit_by_name (entry, "apply");
  g_assert_null (find_widget (GTK_WIDGET (fixture->page), is_error_label_with, "Sender:"));
  store = read_back ();
  {
    const char * const *senders = relay_account_get_senders (relay_account_store_lookup (store, fixture->ids[0]));

    g_assert_cmpuint (g_strv_length ((char **)senders), ==, 2);
    g_assert_cmpstr (senders[0], ==, "*@sales.example");
    g_assert_cmpstr (senders[1], ==, "boss@work.example");
  }
  g_clear_object (&store);
  g_assert_nonnull (find_row (GTK_WIDGET (fixture->page), "*@sales.example"));

  /* listed already */
  gtk_editable_set_text (GTK_EDITABLE (entry), "boss@work.example");
  g_signal_emit_by_name (entry, "apply");
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->page), is_error_label_with, "Sender:"));

  remove = find_type (find_row (GTK_WIDGET (fixture->page), "*@sales.example"), GTK_TYPE_BUTTON);
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  store = read_back ();
  {
    const char * const *senders = relay_account_get_senders (relay_account_store_lookup (store, fixture->ids[0]));

    g_assert_cmpuint (g_strv_length ((char **)senders), ==, 1);
    g_assert_cmpstr (senders[0], ==, "boss@work.example");
  }
  g_clear_object (&store);

  /* a Save of the form keeps them */
  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (fixture->page), "Server")), "smtp3.work.example");
  save_and_wait (fixture);
  store = read_back ();
  g_assert_cmpstr (relay_account_get_senders (relay_account_store_lookup (store, fixture->ids[0]))[0], ==,
                   "boss@work.example");
  assert_buttons_named_once (GTK_WIDGET (fixture->window));
}

static gboolean
log_shows (gpointer data)
{
  Fixture *fixture = data;
  RelayLogPage *page = RELAY_LOG_PAGE (find_type (GTK_WIDGET (fixture->window), RELAY_TYPE_LOG_PAGE));

  return g_list_model_get_n_items (relay_log_page_get_model (page)) == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (page), "wanted"));
}

static void
test_log_filter (Fixture       *fixture,
                 gconstpointer  data)
{
  RelayLogPage *page = RELAY_LOG_PAGE (find_type (GTK_WIDGET (fixture->window), RELAY_TYPE_LOG_PAGE));
  GtkWidget *dropdown;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-log", NULL));
  g_object_set_data (G_OBJECT (page), "wanted", GUINT_TO_POINTER (3));
  wait_for (log_shows, fixture);

  /* the status filter comes first, the channel filter after it */
  dropdown = gtk_widget_get_next_sibling (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN));
  g_assert_true (GTK_IS_DROP_DOWN (dropdown));
  g_assert_true (gtk_widget_get_visible (dropdown));
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (dropdown))), ==, 4);

  /* Home (the second account) went through twice */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 2);
  g_object_set_data (G_OBJECT (page), "wanted", GUINT_TO_POINTER (2));
  wait_for (log_shows, fixture);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 3);
  g_object_set_data (G_OBJECT (page), "wanted", GUINT_TO_POINTER (0));
  wait_for (log_shows, fixture);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  g_object_set_data (G_OBJECT (page), "wanted", GUINT_TO_POINTER (3));
  wait_for (log_shows, fixture);
}

/* Another channel chosen with changes in the form: asked first */
static void
test_discard (Fixture       *fixture,
              gconstpointer  data)
{
  GtkWidget *server = find_row (GTK_WIDGET (fixture->page), "Server");
  AdwMessageDialog *dialog;

  gtk_editable_set_text (GTK_EDITABLE (server), "smtp.typed.example");
  gtk_widget_activate (row_named (fixture, "Work"));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "Home"));

  /* kept: Home stays chosen, with what was typed */
  adw_message_dialog_response (dialog, "keep");
  g_assert_cmpstr (relay_channel_list_get_selected_id (fixture->list), ==, fixture->ids[1]);
  g_assert_true (gtk_list_box_row_is_selected (GTK_LIST_BOX_ROW (row_named (fixture, "Home"))));
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.typed.example");

  /* discarded: Work is shown */
  gtk_widget_activate (row_named (fixture, "Work"));
  adw_message_dialog_response (find_message_dialog (), "discard");
  g_assert_cmpstr (relay_channel_list_get_selected_id (fixture->list), ==, fixture->ids[0]);
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.work.example");

  /* without changes, nothing is asked */
  gtk_widget_activate (row_named (fixture, "Newsletters"));
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.news.example");
}

static gboolean
row_listed (gpointer data)
{
  return row_named (data, "Outside") != NULL;
}

/* mail-relay-cli adds a channel while the window is open */
static void
test_outside_change (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(RelayAccountStore) store = read_back ();
  g_autoptr(RelayAccount) account = make_account ("Outside", "smtp.outside.example", "me@outside.example");
  g_autoptr(GError) error = NULL;

  relay_account_store_put (store, account);
  relay_account_store_set_default (store, relay_account_get_id (account));
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  wait_for (row_listed, fixture);
  g_assert_true (row_has_label (row_named (fixture, "Outside"), "Default"));
  g_assert_false (row_has_label (row_named (fixture, "Home"), "Default"));
  /* the form still shows the channel chosen */
  g_assert_cmpstr (relay_channel_list_get_selected_id (fixture->list), ==, fixture->ids[1]);
  g_assert_cmpstr (form_text (fixture, "Server"), ==, "smtp.home.example");
}

static gboolean
folded_is (gpointer data)
{
  AdwLeaflet *leaflet = ADW_LEAFLET (find_type (GTK_WIDGET (data), ADW_TYPE_LEAFLET));

  return gtk_widget_get_mapped (GTK_WIDGET (leaflet)) &&
         adw_leaflet_get_folded (leaflet) == GPOINTER_TO_INT (g_object_get_data (G_OBJECT (data), "folded"));
}

static void
test_narrow (Fixture       *fixture,
             gconstpointer  data)
{
  RelayWindow *narrow;
  AdwLeaflet *leaflet;
  RelayChannelList *list;
  GtkWidget *page;
  GtkWidget *work = NULL;

  /* side by side on a wide window */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-setup", NULL));
  g_object_set_data (G_OBJECT (fixture->window), "folded", GINT_TO_POINTER (FALSE));
  wait_for (folded_is, fixture->window);

  narrow = relay_window_new (application);
  gtk_window_set_default_size (GTK_WINDOW (narrow), 360, 700);
  gtk_window_present (GTK_WINDOW (narrow));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (narrow), "win.show-setup", NULL));
  g_object_set_data (G_OBJECT (narrow), "folded", GINT_TO_POINTER (TRUE));
  wait_for (folded_is, narrow);

  leaflet = ADW_LEAFLET (find_type (GTK_WIDGET (narrow), ADW_TYPE_LEAFLET));
  list = RELAY_CHANNEL_LIST (find_type (GTK_WIDGET (narrow), RELAY_TYPE_CHANNEL_LIST));
  page = find_type (GTK_WIDGET (narrow), RELAY_TYPE_SETUP_PAGE);
  g_assert_true (adw_leaflet_get_visible_child (leaflet) == GTK_WIDGET (list));

  /* a row opens its form, with a way back */
  for (GtkWidget *row = gtk_widget_get_first_child (find_type (GTK_WIDGET (list), GTK_TYPE_LIST_BOX));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      g_autofree char *problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (row),
                                                                     GTK_ACCESSIBLE_PROPERTY_LABEL, "Work");

      if (problem == NULL)
        work = row;
    }
  g_assert_nonnull (work);
  gtk_list_box_select_row (GTK_LIST_BOX (find_type (GTK_WIDGET (list), GTK_TYPE_LIST_BOX)), GTK_LIST_BOX_ROW (work));
  g_signal_emit_by_name (find_type (GTK_WIDGET (list), GTK_TYPE_LIST_BOX), "row-activated", work);
  g_assert_true (gtk_widget_is_ancestor (page, adw_leaflet_get_visible_child (leaflet)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_row (page, "Server"))), ==, "smtp.work.example");
  g_assert_true (gtk_widget_get_visible (gtk_widget_get_parent (find_actionable (GTK_WIDGET (narrow),
                                                                                  "win.show-channels"))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (narrow), "win.show-channels", NULL));
  g_assert_true (adw_leaflet_get_visible_child (leaflet) == GTK_WIDGET (list));
  assert_buttons_named_once (GTK_WIDGET (narrow));

  g_object_add_weak_pointer (G_OBJECT (narrow), (gpointer *)&narrow);
  gtk_window_destroy (GTK_WINDOW (narrow));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (narrow);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  widget_test_init (&argc, &argv);

  application = relay_application_new ();
  /* beside a running Mail Relay */
  g_application_set_flags (G_APPLICATION (application), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
  g_assert_no_error (error);

  g_test_add ("/channel-list/listed", Fixture, NULL, fixture_set_up, test_listed, fixture_tear_down);
  g_test_add ("/channel-list/select", Fixture, NULL, fixture_set_up, test_select, fixture_tear_down);
  g_test_add ("/channel-list/rename", Fixture, NULL, fixture_set_up, test_rename, fixture_tear_down);
  g_test_add ("/channel-list/make-default", Fixture, NULL, fixture_set_up, test_make_default, fixture_tear_down);
  g_test_add ("/channel-list/remove", Fixture, NULL, fixture_set_up, test_remove, fixture_tear_down);
  g_test_add ("/channel-list/add", Fixture, NULL, fixture_set_up, test_add, fixture_tear_down);
  g_test_add ("/channel-list/senders", Fixture, NULL, fixture_set_up, test_senders, fixture_tear_down);
  g_test_add ("/channel-list/log-filter", Fixture, NULL, fixture_set_up, test_log_filter, fixture_tear_down);
  g_test_add ("/channel-list/outside-change", Fixture, NULL, fixture_set_up, test_outside_change, fixture_tear_down);
  g_test_add ("/channel-list/discard", Fixture, NULL, fixture_set_up, test_discard, fixture_tear_down);
  g_test_add ("/channel-list/narrow", Fixture, NULL, fixture_set_up, test_narrow, fixture_tear_down);

  status = g_test_run ();
  g_object_unref (application);

  return status;
}
