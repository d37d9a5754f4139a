/* relay-channel-list.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The window's list of delivery channels (accounts): each with its
 * name, provider and server, whether it is the default, and what is known
 * of how it works (the keyring, the send log); and adding, renaming, removing and choosing the default
 * one, saved through the account store. */

#define G_LOG_DOMAIN "relay-channel-list"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-channel-list.h"
#include "relay-message-dialog.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "relay-send-log.h"
#include "relay-text.h"
#include "relay-toast.h"

struct _RelayChannelList
{
  AdwBin             parent_instance;

  RelayAccountStore *store;
  GCancellable      *cancellable;
  /* the send log's last outcome of each account (id → RelaySendStatus) */
  GHashTable        *outcomes;
  /* the accounts whose password or sign-in the keyring said it lacks */
  GHashTable        *missing;
  RelaySendLog      *log;
  gboolean           reading;
  gboolean           read_again;
  /* the account shown; NULL with new_name: a channel added, not saved */
  char              *selected_id;
  char              *new_name;
  gboolean           rebuilding;

  GtkListBox        *list_box;
  GtkWidget         *add_button;
};

G_DEFINE_FINAL_TYPE (RelayChannelList, relay_channel_list, ADW_TYPE_BIN)

enum {
  SELECTED,
  ACTIVATED,
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What is known of how the channel works, and the style it is shown in:
 * a sign-in the provider refused or none kept, no password kept, else the
 * last message's outcome */
static const char *
account_status (RelayChannelList  *self,
                RelayAccount      *account,
                const char       **style)
{
  gpointer outcome;

  gboolean missing = g_hash_table_contains (self->missing, relay_account_get_id (account));

  if (relay_account_get_sign_in_again (account) || (missing && relay_account_uses_token (account)))
    {
      *style = "warning";
      return _("Sign in again");
    }
  if (missing)
    {
      *style = "warning";
      return _("No password saved");
    }

  if (self->outcomes != NULL &&
      g_hash_table_lookup_extended (self->outcomes, relay_account_get_id (account), NULL, &outcome))
    {
      if (GPOINTER_TO_INT (outcome) == RELAY_SEND_STATUS_SENT)
        {
          *style = "success";
          return _("Works");
        }
      *style = "error";
      return _("Failing");
    }

  *style = "dim-label";
  return _("Not tested");
}

static GMenuModel *
row_menu (const char *id,
          gboolean    is_default)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenuItem) rename = g_menu_item_new (_("_Rename…"), NULL);
  g_autoptr(GMenuItem) make_default = g_menu_item_new (_("Make _Default"), NULL);
  g_autoptr(GMenuItem) remove = g_menu_item_new (_("R_emove…"), NULL);

  g_menu_item_set_action_and_target (rename, "channels.rename", "s", id);
  g_menu_append_item (menu, rename);
  if (!is_default)
    {
      g_menu_item_set_action_and_target (make_default, "channels.make-default", "s", id);
      g_menu_append_item (menu, make_default);
    }
  g_menu_item_set_action_and_target (remove, "channels.remove", "s", id);
  g_menu_append_item (menu, remove);

  return G_MENU_MODEL (menu);
}

static GtkWidget *
make_label (const char *text,
            const char *style)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  return label;
}

/* @account: NULL for the channel added and not saved yet, @name */
static GtkWidget *
make_row (RelayChannelList *self,
          RelayAccount     *account,
          const char       *name,
          gboolean          is_default)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autofree char *shown_name = relay_text_for_display (name, -1);
  g_autofree char *server = NULL;
  g_autofree char *description = NULL;
  const char *status;
  const char *style = NULL;
  GtkWidget *label;

  if (account != NULL)
    {
      RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
      g_autofree char *host = relay_text_for_display (relay_account_get_host (account), -1);

      /* Translators: a provider's name and a server's, such as “Gmail · smtp.gmail.com” */
      server = host[0] != '\0' && provider != NULL ? g_strdup_printf (_("%s · %s"), relay_provider_get_name (provider), host)
               : provider != NULL ? g_strdup (relay_provider_get_name (provider))
               : g_steal_pointer (&host);
      status = account_status (self, account, &style);
    }
  else
    {
      server = g_strdup (_("Not saved yet"));
      status = _("Fill in the form and save it");
      style = "dim-label";
    }

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  label = make_label (shown_name, "heading");
  gtk_box_append (GTK_BOX (title_box), label);
  if (is_default)
    {
      GtkWidget *marker = gtk_label_new (_("Default"));

      gtk_widget_add_css_class (marker, "caption");
      gtk_widget_add_css_class (marker, "accent");
      gtk_widget_set_valign (marker, GTK_ALIGN_CENTER);
      gtk_box_append (GTK_BOX (title_box), marker);
    }
  gtk_box_append (GTK_BOX (texts), title_box);
  label = make_label (server, "dim-label");
  gtk_widget_set_tooltip_text (label, server);
  gtk_box_append (GTK_BOX (texts), label);
  label = make_label (status, "caption");
  gtk_widget_add_css_class (label, style);
  gtk_box_append (GTK_BOX (texts), label);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (box), texts);

  if (account != NULL)
    {
      g_autoptr(GMenuModel) menu = row_menu (relay_account_get_id (account), is_default);
      GtkWidget *button = gtk_menu_button_new ();
      /* Translators: the menu of a channel, by its name */
      g_autofree char *button_name = g_strdup_printf (_("Actions for “%s”"), shown_name);

      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), menu);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, _("Channel Actions"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, button_name, -1);
      gtk_box_append (GTK_BOX (box), button);
      g_object_set_data_full (G_OBJECT (row), "account-id", g_strdup (relay_account_get_id (account)), g_free);
    }

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  /* a screen reader says the row in one go */
  description = is_default ? g_strdup_printf ("%s, %s, %s", _("Default"), server, status)
                           : g_strdup_printf ("%s, %s", server, status);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, shown_name,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
  return row;
}

static void
rebuild_rows (RelayChannelList *self)
{
  GListModel *accounts = self->store ? relay_account_store_get_accounts (self->store) : NULL;
  RelayAccount *default_account = self->store ? relay_account_store_get_default (self->store) : NULL;
  GtkWidget *child;
  GtkWidget *chosen = NULL;

  self->rebuilding = TRUE;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);

  for (guint i = 0; accounts != NULL && i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);
      GtkWidget *row = make_row (self, account, relay_account_get_name (account), account == default_account);

      gtk_list_box_append (self->list_box, row);
      if (self->new_name == NULL && g_strcmp0 (self->selected_id, relay_account_get_id (account)) == 0)
        chosen = row;
    }

  if (self->new_name != NULL)
    {
      chosen = make_row (self, NULL, self->new_name, FALSE);
      gtk_list_box_append (self->list_box, chosen);
    }

  gtk_list_box_select_row (self->list_box, GTK_LIST_BOX_ROW (chosen));
  self->rebuilding = FALSE;
}

static void read_status (RelayChannelList *self);

static void
outcomes_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RelayChannelList) self = user_data;
  g_autoptr(GError) error = NULL;
  GHashTable *outcomes;

  outcomes = relay_send_log_last_outcomes_finish (RELAY_SEND_LOG (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->reading = FALSE;
  if (outcomes != NULL)
    {
      g_clear_pointer (&self->outcomes, g_hash_table_unref);
      self->outcomes = outcomes;
      rebuild_rows (self);
    }
  if (self->read_again)
    read_status (self);
}

static void
log_loaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RelayChannelList) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!relay_send_log_load_finish (RELAY_SEND_LOG (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* no outcome is known: the rows say “Not tested” */
      g_debug ("The send log could not be read: %s", error->message);
      self->reading = FALSE;
      return;
    }

  relay_send_log_last_outcomes_async (self->log, self->cancellable, outcomes_cb, g_object_ref (self));
}

typedef struct
{
  RelayChannelList *self;
  char             *id;
} SecretData;

static void
secret_data_free (SecretData *data)
{
  g_clear_object (&data->self);
  g_free (data->id);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SecretData, secret_data_free)

static void
secret_looked_up_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(SecretData) data = user_data;
  g_autoptr(GError) error = NULL;
  char *secret = relay_secrets_lookup_finish (result, &error);
  gboolean missing = secret == NULL && error == NULL;

  secret_password_free (secret);
  /* a keyring that did not answer says nothing about the channel */
  if (error != NULL || missing == g_hash_table_contains (data->self->missing, data->id))
    return;

  if (missing)
    g_hash_table_add (data->self->missing, g_steal_pointer (&data->id));
  else
    g_hash_table_remove (data->self->missing, data->id);
  rebuild_rows (data->self);
}

/* Whether the keyring keeps what each account signs in with: a password,
 * or a sign-in's refresh token; the local test server's and an account
 * without a user name need none */
static void
look_up_secrets (RelayChannelList *self)
{
  GListModel *accounts = relay_account_store_get_accounts (self->store);

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);
      SecretData *data;

      if (g_str_equal (relay_account_get_provider (account), "local") ||
          relay_account_get_username (account)[0] == '\0')
        continue;

      data = g_new0 (SecretData, 1);
      data->self = g_object_ref (self);
      data->id = g_strdup (relay_account_get_id (account));
      relay_secrets_lookup_async (data->id,
                                  relay_account_uses_token (account) ? RELAY_SECRET_OAUTH_REFRESH_TOKEN
                                                                     : RELAY_SECRET_PASSWORD,
                                  self->cancellable, secret_looked_up_cb, data);
    }
}

static void
read_status (RelayChannelList *self)
{
  if (self->reading)
    {
      self->read_again = TRUE;
      return;
    }

  self->reading = TRUE;
  self->read_again = FALSE;
  look_up_secrets (self);
  relay_send_log_load_async (self->log, self->cancellable, log_loaded_cb, g_object_ref (self));
}

/* Saves the store; on failure says so, and the caller undoes its change */
static gboolean
save_store (RelayChannelList *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (relay_account_store_save (self->store, &error))
    return TRUE;

  message = g_strdup_printf (_("The channels could not be saved: %s"), error->message);
  relay_toast_show (GTK_WIDGET (self), message);
  return FALSE;
}

static void
changed (RelayChannelList *self)
{
  rebuild_rows (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
show (RelayChannelList *self,
      const char       *id,
      const char       *new_name)
{
  g_free (self->selected_id);
  self->selected_id = g_strdup (id);
  g_free (self->new_name);
  self->new_name = g_strdup (new_name);
  rebuild_rows (self);
  g_signal_emit (self, signals[SELECTED], 0);
}

/* The name dialog of Add and Rename: its name row and error label */

static RelayAccount *
dialog_account (RelayChannelList *self,
                AdwMessageDialog *dialog)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "account-id");

  return id != NULL ? relay_account_store_lookup (self->store, id) : NULL;
}

/* The name typed, when the store takes it; else the error is shown */
static char *
check_dialog_name (RelayChannelList *self,
                   AdwMessageDialog *dialog)
{
  GtkWidget *entry = g_object_get_data (G_OBJECT (dialog), "name-row");
  GtkLabel *label = g_object_get_data (G_OBJECT (dialog), "error-label");
  g_autoptr(GError) error = NULL;
  char *name;

  name = relay_account_store_check_name (self->store, gtk_editable_get_text (GTK_EDITABLE (entry)),
                                         dialog_account (self, dialog), &error);
  gtk_label_set_text (label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), error != NULL);
  if (error != NULL)
    {
      gtk_widget_add_css_class (entry, "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      error->message, -1);
    }
  else
    {
      gtk_widget_remove_css_class (entry, "error");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
  adw_message_dialog_set_response_enabled (dialog, "name", name != NULL);
  return name;
}

static void
name_changed_cb (GtkEditable      *entry,
                 AdwMessageDialog *dialog)
{
  RelayChannelList *self = g_object_get_data (G_OBJECT (dialog), "channel-list");
  g_autofree char *name = check_dialog_name (self, dialog);
}

static void
name_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  RelayChannelList *self)
{
  g_autofree char *name = NULL;
  g_autofree char *old_name = NULL;
  RelayAccount *account;

  if (g_strcmp0 (response, "name") != 0 || !(name = check_dialog_name (self, dialog)))
    return;

  account = dialog_account (self, dialog);
  if (account == NULL)
    {
      /* added: the form shows a new account, saved with this name */
      show (self, NULL, name);
      g_signal_emit (self, signals[ACTIVATED], 0);
      return;
    }

  old_name = g_strdup (relay_account_get_name (account));
  relay_account_set_name (account, name);
  if (!save_store (self))
    relay_account_set_name (account, old_name);
  changed (self);
}

static void
ask_name (RelayChannelList *self,
          const char       *heading,
          const char       *body,
          const char       *response_label,
          RelayAccount     *account,
          const char       *name)
{
  GtkWidget *dialog;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *entry = adw_entry_row_new ();
  GtkWidget *error = gtk_label_new (NULL);

  dialog = relay_message_dialog_new (GTK_WIDGET (self), heading, body, "name",
                                     "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT,
                                     "name", response_label, ADW_RESPONSE_SUGGESTED,
                                     NULL);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("Name"));
  gtk_editable_set_text (GTK_EDITABLE (entry), name);
  adw_entry_row_set_activates_default (ADW_ENTRY_ROW (entry), TRUE);
  gtk_list_box_append (GTK_LIST_BOX (list), entry);
  gtk_label_set_wrap (GTK_LABEL (error), TRUE);
  gtk_label_set_xalign (GTK_LABEL (error), 0);
  gtk_widget_add_css_class (error, "error");
  gtk_widget_set_visible (error, FALSE);
  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (GTK_BOX (box), error);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  g_object_set_data (G_OBJECT (dialog), "channel-list", self);
  g_object_set_data (G_OBJECT (dialog), "name-row", entry);
  g_object_set_data (G_OBJECT (dialog), "error-label", error);
  if (account != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "account-id", g_strdup (relay_account_get_id (account)), g_free);

  g_free (check_dialog_name (self, ADW_MESSAGE_DIALOG (dialog)));
  g_signal_connect_object (entry, "changed", G_CALLBACK (name_changed_cb), dialog, 0);
  g_signal_connect_object (dialog, "response", G_CALLBACK (name_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  RelayChannelList *self = RELAY_CHANNEL_LIST (widget);
  g_autofree char *name = NULL;

  if (self->store == NULL)
    return;

  /* a name of its own to start from */
  for (guint n = g_list_model_get_n_items (relay_account_store_get_accounts (self->store)) + 1; name == NULL; n++)
    {
      /* Translators: the name a new channel starts with; %u is a number */
      g_autofree char *candidate = g_strdup_printf (_("Channel %u"), n);

      name = relay_account_store_check_name (self->store, candidate, NULL, NULL);
    }

  ask_name (self, _("Add a Channel"),
            _("A delivery channel is one account with a mail provider. Name it as you will know it."),
            _("_Add"), NULL, name);
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  RelayChannelList *self = RELAY_CHANNEL_LIST (widget);
  RelayAccount *account = relay_account_store_lookup (self->store, g_variant_get_string (parameter, NULL));

  if (account == NULL)
    return;

  ask_name (self, _("Rename the Channel"), NULL, _("_Rename"), account, relay_account_get_name (account));
}

static void
make_default_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  RelayChannelList *self = RELAY_CHANNEL_LIST (widget);
  RelayAccount *before = relay_account_store_get_default (self->store);
  g_autofree char *before_id = before ? g_strdup (relay_account_get_id (before)) : NULL;
  const char *id = g_variant_get_string (parameter, NULL);
  g_autofree char *message = NULL;

  if (!relay_account_store_set_default (self->store, id))
    return;

  if (!save_store (self))
    {
      if (before_id != NULL)
        relay_account_store_set_default (self->store, before_id);
      changed (self);
      return;
    }

  /* Translators: a channel's name */
  message = g_strdup_printf (_("“%s” is now the default channel"),
                             relay_account_get_name (relay_account_store_lookup (self->store, id)));
  relay_toast_show (GTK_WIDGET (self), message);
  changed (self);
}

typedef struct
{
  RelayChannelList *self;
  char             *id;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_clear_object (&data->self);
  g_free (data->id);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RemoveData, remove_data_free)

static void
secrets_cleared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(RemoveData) data = user_data;
  RelayChannelList *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autofree char *message = NULL;
  RelayAccount *now_default;
  gboolean was_default;

  /* Secrets first: a channel whose password could not be removed stays,
   * so that it can be removed again once the keyring is back */
  if (!relay_secrets_clear_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("The channel was not removed: %s"), error->message);
      relay_toast_show (GTK_WIDGET (self), message);
      return;
    }

  account = relay_account_store_lookup (self->store, data->id);
  if (account == NULL)
    return;
  g_object_ref (account);
  was_default = account == relay_account_store_get_default (self->store);

  relay_account_store_remove (self->store, data->id);
  if (!save_store (self))
    {
      relay_account_store_put (self->store, account);
      if (was_default)
        relay_account_store_set_default (self->store, data->id);
      changed (self);
      return;
    }

  now_default = relay_account_store_get_default (self->store);
  if (was_default && now_default != NULL)
    /* Translators: two channels' names */
    message = g_strdup_printf (_("“%s” was removed. “%s” is now the default channel."),
                               relay_account_get_name (account), relay_account_get_name (now_default));
  else if (was_default)
    message = g_strdup_printf (_("“%s” was removed. No channel is left: add one to send mail."),
                               relay_account_get_name (account));
  else
    message = g_strdup_printf (_("“%s” was removed"), relay_account_get_name (account));
  relay_toast_show (GTK_WIDGET (self), message);

  g_signal_emit (self, signals[CHANGED], 0);
  if (g_strcmp0 (self->selected_id, data->id) == 0 || self->selected_id == NULL)
    show (self, now_default ? relay_account_get_id (now_default) : NULL, NULL);
  else
    rebuild_rows (self);
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    RelayChannelList *self)
{
  RemoveData *data;

  if (g_strcmp0 (response, "remove") != 0)
    return;

  data = g_new0 (RemoveData, 1);
  data->self = g_object_ref (self);
  data->id = g_strdup (g_object_get_data (G_OBJECT (dialog), "account-id"));
  relay_secrets_clear_async (data->id, self->cancellable, secrets_cleared_cb, data);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  RelayChannelList *self = RELAY_CHANNEL_LIST (widget);
  RelayAccount *account = relay_account_store_lookup (self->store, g_variant_get_string (parameter, NULL));
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (account == NULL)
    return;

  /* Translators: a channel's name */
  heading = g_strdup_printf (_("Remove “%s”?"), relay_account_get_name (account));
  dialog = relay_message_dialog_new (GTK_WIDGET (self), heading,
                                     _("Its settings are removed, and so is the password or sign-in saved for it "
                                       "in your keyring. The send log keeps what was sent through it."),
                                     "cancel",
                                     "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT,
                                     "remove", _("_Remove"), ADW_RESPONSE_DESTRUCTIVE,
                                     NULL);
  g_object_set_data_full (G_OBJECT (dialog), "account-id", g_strdup (relay_account_get_id (account)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
row_selected_cb (RelayChannelList *self,
                 GtkListBoxRow    *row)
{
  const char *id;

  if (self->rebuilding || row == NULL)
    return;

  id = g_object_get_data (G_OBJECT (row), "account-id");
  /* the channel added and not saved yet */
  if (id == NULL)
    return;
  if (self->new_name == NULL && g_strcmp0 (id, self->selected_id) == 0)
    return;

  /* the rows stay: this one is being clicked; only the new channel's,
   * left unsaved, goes */
  if (self->new_name != NULL)
    {
      GtkWidget *last = gtk_widget_get_last_child (GTK_WIDGET (self->list_box));

      g_clear_pointer (&self->new_name, g_free);
      if (last != NULL && g_object_get_data (G_OBJECT (last), "account-id") == NULL)
        gtk_list_box_remove (self->list_box, last);
    }
  g_free (self->selected_id);
  self->selected_id = g_strdup (id);
  g_signal_emit (self, signals[SELECTED], 0);
}

static void
row_activated_cb (RelayChannelList *self,
                  GtkListBoxRow    *row)
{
  g_signal_emit (self, signals[ACTIVATED], 0);
}

static void
relay_channel_list_dispose (GObject *object)
{
  RelayChannelList *self = (RelayChannelList *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_CHANNEL_LIST);
  g_clear_object (&self->store);
  g_clear_object (&self->log);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->outcomes, g_hash_table_unref);
  g_clear_pointer (&self->missing, g_hash_table_unref);
  g_clear_pointer (&self->selected_id, g_free);
  g_clear_pointer (&self->new_name, g_free);

  G_OBJECT_CLASS (relay_channel_list_parent_class)->dispose (object);
}

static void
relay_channel_list_class_init (RelayChannelListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_channel_list_dispose;

  /**
   * RelayChannelList::selected:
   *
   * Another channel is chosen: relay_channel_list_get_selected_id(), or
   * a new one, relay_channel_list_get_new_name().
   */
  signals[SELECTED] = g_signal_new ("selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * RelayChannelList::activated:
   *
   * The person asked to see the chosen channel (on a narrow window, the
   * list gives way to its form).
   */
  signals[ACTIVATED] = g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * RelayChannelList::changed:
   *
   * A channel was renamed, removed or made the default, and saved.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-channel-list.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayChannelList, list_box);
  gtk_widget_class_bind_template_child (widget_class, RelayChannelList, add_button);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "channels.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "channels.rename", "s", rename_action);
  gtk_widget_class_install_action (widget_class, "channels.make-default", "s", make_default_action);
  gtk_widget_class_install_action (widget_class, "channels.remove", "s", remove_action);
}

static void
relay_channel_list_init (RelayChannelList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->missing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->log = relay_send_log_new (NULL);
}

/**
 * relay_channel_list_set_store:
 *
 * Lists the store's accounts and chooses its default one.
 */
void
relay_channel_list_set_store (RelayChannelList  *self,
                              RelayAccountStore *store)
{
  RelayAccount *account;

  g_return_if_fail (RELAY_IS_CHANNEL_LIST (self));
  g_return_if_fail (RELAY_IS_ACCOUNT_STORE (store));

  g_set_object (&self->store, store);
  account = relay_account_store_get_default (store);
  g_free (self->selected_id);
  self->selected_id = account ? g_strdup (relay_account_get_id (account)) : NULL;
  g_clear_pointer (&self->new_name, g_free);
  rebuild_rows (self);
  read_status (self);
}

/**
 * relay_channel_list_refresh:
 *
 * Shows the store's accounts as they are now (after a save, or a change
 * by another program), and reads the send log's outcomes again. A new
 * channel saved is chosen by its name.
 */
void
relay_channel_list_refresh (RelayChannelList *self)
{
  g_return_if_fail (RELAY_IS_CHANNEL_LIST (self));

  if (self->store == NULL)
    return;

  if (self->new_name != NULL)
    {
      RelayAccount *saved = relay_account_store_find (self->store, self->new_name);

      if (saved != NULL)
        {
          g_free (self->selected_id);
          self->selected_id = g_strdup (relay_account_get_id (saved));
          g_clear_pointer (&self->new_name, g_free);
        }
    }
  else if (self->selected_id == NULL || relay_account_store_lookup (self->store, self->selected_id) == NULL)
    {
      RelayAccount *account = relay_account_store_get_default (self->store);

      /* the one shown is gone: the form shows the default one */
      if (account != NULL || self->selected_id != NULL)
        {
          show (self, account ? relay_account_get_id (account) : NULL, NULL);
          read_status (self);
          return;
        }
    }

  rebuild_rows (self);
  read_status (self);
}

/**
 * relay_channel_list_select:
 * @id: (nullable): an account's id
 * @new_name: (nullable): without @id, the name of a channel added and
 *   not saved yet
 *
 * Chooses the account with @id (or the new channel), as a click on its
 * row does.
 */
void
relay_channel_list_select (RelayChannelList *self,
                           const char       *id,
                           const char       *new_name)
{
  g_return_if_fail (RELAY_IS_CHANNEL_LIST (self));

  show (self, id, id == NULL ? new_name : NULL);
}

/**
 * relay_channel_list_get_selected_id:
 *
 * Returns: (nullable): the id of the account chosen, or %NULL for a new
 *   one (relay_channel_list_get_new_name()) or when there is none
 */
const char *
relay_channel_list_get_selected_id (RelayChannelList *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_LIST (self), NULL);

  return self->new_name == NULL ? self->selected_id : NULL;
}

/**
 * relay_channel_list_get_new_name:
 *
 * Returns: (nullable): the name of the channel added and not saved yet,
 *   when it is the one chosen
 */
const char *
relay_channel_list_get_new_name (RelayChannelList *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_LIST (self), NULL);

  return self->new_name;
}
