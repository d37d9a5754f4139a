/* relay-channel-export-dialog.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* “Export Channel…”: who may share what, the format (channel profile or
 * Thunderbird's autoconfig file), the password encrypted with a
 * passphrase for a provider whose credentials a team may share, then the
 * file chooser (the portal inside Flatpak) and the file written through
 * the core (docs/channel-profiles.md). */

#define G_LOG_DOMAIN "relay-channel-export"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-channel-dialog-private.h"
#include "relay-channel-export-dialog.h"
#include "relay-channel-profile.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "relay-secure-private.h"

enum { FORMAT_PROFILE, FORMAT_AUTOCONFIG };

struct _RelayChannelExportDialog
{
  AdwWindow            parent_instance;

  RelayAccount        *account;
  RelayChannelProfile *profile;
  GCancellable        *cancellable;

  GtkWidget           *export_button;
  AdwComboRow         *format_row;
  AdwPreferencesGroup *secret_group;
  GtkSwitch           *include_switch;
  GtkWidget           *passphrase_row;
  GtkWidget           *confirm_row;
  GtkLabel            *error_label;

  /* the text written, kept while GIO writes it */
  char                *text;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (RelayChannelExportDialog, relay_channel_export_dialog, ADW_TYPE_WINDOW)

enum { EXPORTED, N_SIGNALS };

static guint signals[N_SIGNALS];

static void
relay_channel_export_dialog_dispose (GObject *object)
{
  RelayChannelExportDialog *self = (RelayChannelExportDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->profile);
  g_clear_object (&self->account);
  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (relay_channel_export_dialog_parent_class)->dispose (object);
}

static void
relay_channel_export_dialog_class_init (RelayChannelExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = relay_channel_export_dialog_dispose;

  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);

  /**
   * RelayChannelExportDialog::exported:
   * @file: where the channel was written
   *
   * The file is written; the dialog closes after the handlers ran.
   */
  signals[EXPORTED] = g_signal_new ("exported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                    NULL, G_TYPE_NONE, 1, G_TYPE_FILE);
}

static void
relay_channel_export_dialog_init (RelayChannelExportDialog *self)
{
  self->cancellable = g_cancellable_new ();
}

static gboolean
autoconfig_chosen (RelayChannelExportDialog *self)
{
  return adw_combo_row_get_selected (self->format_row) == FORMAT_AUTOCONFIG;
}

static gboolean
include_secret (RelayChannelExportDialog *self)
{
  return relay_channel_profile_is_shareable (self->profile) && !autoconfig_chosen (self) &&
         gtk_switch_get_active (self->include_switch);
}

static void
show_error (RelayChannelExportDialog *self,
            const char               *message,
            GtkWidget                *field)
{
  _relay_channel_dialog_show_error (self->error_label, message, field);
}

static void
update_rows (RelayChannelExportDialog *self)
{
  gboolean shareable = relay_channel_profile_is_shareable (self->profile);

  gtk_widget_set_visible (GTK_WIDGET (self->secret_group), shareable && !autoconfig_chosen (self));
  gtk_widget_set_sensitive (self->passphrase_row, include_secret (self));
  gtk_widget_set_sensitive (self->confirm_row, include_secret (self));
  show_error (self, NULL, NULL);
}

/* The form's own checks, before the file chooser and again before writing */
static gboolean
check_form (RelayChannelExportDialog *self)
{
  const char *passphrase = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row));
  const char *confirm = gtk_editable_get_text (GTK_EDITABLE (self->confirm_row));
  g_autofree char *message = NULL;

  if (!include_secret (self))
    return TRUE;

  if (g_utf8_strlen (passphrase, -1) < RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE)
    {
      message = g_strdup_printf (_("Passphrase: at least %d characters, as anyone who gets the file can try "
                                   "passphrases against it"), RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE);
      show_error (self, message, self->passphrase_row);
      return FALSE;
    }
  if (!g_str_equal (passphrase, confirm))
    {
      show_error (self, _("Confirm Passphrase: it differs from the passphrase"), self->confirm_row);
      return FALSE;
    }

  return TRUE;
}

static void
set_busy (RelayChannelExportDialog *self,
          gboolean                  busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->export_button, !busy);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(RelayChannelExportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      message = g_strdup_printf (_("The file could not be written: %s"), error->message);
      show_error (self, message, NULL);
      return;
    }

  g_clear_pointer (&self->text, g_free);
  set_busy (self, FALSE);
  g_signal_emit (self, signals[EXPORTED], 0, object);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
write_text (RelayChannelExportDialog *self,
            GFile                    *file)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->text, g_free);
  if (autoconfig_chosen (self))
    self->text = relay_channel_profile_to_autoconfig (self->profile, &error);
  else
    self->text = relay_channel_profile_to_data (self->profile);

  if (self->text == NULL)
    {
      set_busy (self, FALSE);
      show_error (self, error->message, GTK_WIDGET (self->format_row));
      return;
    }

  /* private: a profile may carry the encrypted password */
  g_file_replace_contents_async (file, self->text, strlen (self->text), NULL, FALSE,
                                 G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                 self->cancellable, written_cb, g_object_ref (self));
}

typedef struct
{
  RelayChannelExportDialog *self;
  GFile                    *file;
} LookupData;

static void
password_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  LookupData *data = user_data;
  g_autoptr(RelayChannelExportDialog) self = data->self;
  g_autoptr(GFile) file = data->file;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = relay_secrets_lookup_finish (result, &error);
  const char *passphrase;
  gboolean added;

  g_free (data);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (password == NULL)
    {
      set_busy (self, FALSE);
      show_error (self, error ? error->message
                              : _("The keyring keeps no password for this channel: there is none to include"),
                  GTK_WIDGET (self->include_switch));
      return;
    }

  passphrase = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row));
  added = relay_channel_profile_set_secret (self->profile, password, passphrase, &error);
  relay_secure_wipe_string (g_steal_pointer (&password));
  if (!added)
    {
      set_busy (self, FALSE);
      show_error (self, error->message, self->passphrase_row);
      return;
    }

  write_text (self, file);
}

/**
 * relay_channel_export_dialog_export_to:
 * @file: where to write
 *
 * What the file chooser's answer starts: the form checked, the password
 * read from the keyring and encrypted when it is to be included, and the
 * file written (mode 0600); RelayChannelExportDialog::exported follows.
 *
 * Returns: %FALSE when the form has an error (shown, naming the field)
 */
gboolean
relay_channel_export_dialog_export_to (RelayChannelExportDialog *self,
                                       GFile                    *file)
{
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  LookupData *data;

  g_return_val_if_fail (RELAY_IS_CHANNEL_EXPORT_DIALOG (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if (self->busy || !check_form (self))
    return FALSE;

  /* a profile made afresh: no secret of an earlier attempt, the CA file
   * read as it is now */
  if (!(profile = relay_channel_profile_new_from_account (self->account, &error)))
    {
      show_error (self, error->message, NULL);
      return FALSE;
    }
  g_set_object (&self->profile, profile);

  set_busy (self, TRUE);
  show_error (self, NULL, NULL);
  if (!include_secret (self))
    {
      write_text (self, file);
      return TRUE;
    }

  data = g_new0 (LookupData, 1);
  data->self = g_object_ref (self);
  data->file = g_object_ref (file);
  relay_secrets_lookup_async (relay_account_get_id (self->account), RELAY_SECRET_PASSWORD, self->cancellable,
                              password_cb, data);
  return TRUE;
}

static void
chooser_response_cb (GtkNativeDialog          *chooser,
                     int                       response,
                     RelayChannelExportDialog *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    relay_channel_export_dialog_export_to (self, file);

  g_object_unref (chooser);
}

static void
export_clicked_cb (RelayChannelExportDialog *self)
{
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;

  if (!check_form (self))
    return;

  /* through the file chooser portal inside Flatpak (GtkFileDialog is
   * GTK 4.10's, and the build allows no API newer than 4.8) */
  chooser = gtk_file_chooser_native_new (_("Export Channel"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), _("_Cancel"));
  if (autoconfig_chosen (self))
    name = g_strdup ("config-v1.1.xml");
  else
    name = g_strdup_printf ("%s.json", relay_account_get_name (self->account));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Who may share what: the provider preset's own guidance */
static char *
sharing_text (RelayChannelExportDialog *self)
{
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (self->account));

  if (relay_channel_profile_is_shareable (self->profile))
    return g_strdup_printf (_("%s credentials belong to the sending domain, not to one person: a team may "
                              "share them. The password goes into the profile only if you include it, "
                              "encrypted with a passphrase that you pass on another way than the file."),
                            relay_provider_get_name (provider));

  if (provider != NULL && relay_provider_get_sharing (provider) == RELAY_SHARING_PER_MAILBOX)
    return g_strdup_printf (_("%s\nThe profile carries the server and its settings, never the user name or the "
                              "password: whoever imports it gives their own, or signs in."),
                            relay_provider_get_sharing_text (provider));

  return g_strdup (_("Mail Relay cannot tell whether a custom server’s credentials are one person’s: the "
                     "profile carries the server and its settings, never the user name or the password."));
}

static GtkWidget *
build_content (RelayChannelExportDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *guidance = adw_preferences_group_new ();
  GtkWidget *format_group = adw_preferences_group_new ();
  GtkWidget *switch_row = adw_action_row_new ();
  g_autoptr(GtkStringList) formats = NULL;
  g_autofree char *title = NULL;
  g_autofree char *guidance_text = sharing_text (self);
  const char * const format_names[] = {
    _("Channel profile"),
    _("Thunderbird autoconfig (outgoing server)"),
    NULL
  };

  self->export_button = _relay_channel_dialog_add_header (GTK_WINDOW (self), GTK_BOX (box), _("_Export…"),
                                                          G_CALLBACK (export_clicked_cb));

  title = g_strdup_printf (_("Export “%s”"), relay_account_get_name (self->account));
  gtk_window_set_title (GTK_WINDOW (self), title);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (guidance), _("Who May Share What"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (guidance), guidance_text);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (guidance));

  formats = gtk_string_list_new (format_names);
  self->format_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->format_row), _("Format"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->format_row),
                               _("Mail Relay imports a channel profile; IT publishes the autoconfig file for "
                                 "mail programs such as Thunderbird"));
  adw_combo_row_set_model (self->format_row, G_LIST_MODEL (formats));
  g_signal_connect_swapped (self->format_row, "notify::selected", G_CALLBACK (update_rows), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (format_group), GTK_WIDGET (self->format_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (format_group));

  self->secret_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->secret_group, _("Password"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (switch_row), _("Include the password, encrypted"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (switch_row),
                               _("Whoever has the file and the passphrase can send through this channel"));
  self->include_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->include_switch), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->include_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Include the password, encrypted"), -1);
  g_signal_connect_swapped (self->include_switch, "notify::active", G_CALLBACK (update_rows), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (switch_row), GTK_WIDGET (self->include_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (switch_row), GTK_WIDGET (self->include_switch));
  adw_preferences_group_add (self->secret_group, switch_row);
  self->passphrase_row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->passphrase_row), _("Passphrase"));
  adw_preferences_group_add (self->secret_group, self->passphrase_row);
  self->confirm_row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->confirm_row), _("Confirm Passphrase"));
  adw_preferences_group_add (self->secret_group, self->confirm_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->secret_group);

  self->error_label = _relay_channel_dialog_add_error_label (ADW_PREFERENCES_PAGE (page));

  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);

  return box;
}

/**
 * relay_channel_export_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @account: the channel to export
 *
 * Returns: (transfer none): the dialog, not yet presented; GTK's list of
 *   windows holds it until it closes
 */
RelayChannelExportDialog *
relay_channel_export_dialog_new (GtkWindow    *parent,
                                 RelayAccount *account)
{
  RelayChannelExportDialog *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  self = g_object_new (RELAY_TYPE_CHANNEL_EXPORT_DIALOG,
                       "modal", parent != NULL,
                       "transient-for", parent,
                       "default-width", 520,
                       "default-height", 640,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->account = g_object_ref (account);
  /* here only to tell whether the provider's credentials may be shared:
   * a CA file that cannot be read is said at once, and again on export */
  self->profile = relay_channel_profile_new_from_account (account, &error);
  if (self->profile == NULL)
    {
      g_autoptr(RelayAccount) bare = relay_account_copy (account);

      relay_account_set_ca_file (bare, "");
      self->profile = relay_channel_profile_new_from_account (bare, NULL);
    }

  adw_window_set_content (ADW_WINDOW (self), build_content (self));
  _relay_channel_dialog_set_up_keys (GTK_WINDOW (self), self->export_button,
                                     (GtkWidget *[]) { self->passphrase_row, self->confirm_row, NULL });
  update_rows (self);
  if (error != NULL)
    show_error (self, error->message, NULL);

  return self;
}
