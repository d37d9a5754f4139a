/* relay-channel-import-dialog.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* “Import Channel…”: a channel profile chosen through the file chooser
 * (the portal inside Flatpak), checked whole by the core, and a preview
 * of the channel it makes — with its name to edit and the passphrase, or
 * the person's own user name and password, to give — before anything is
 * saved; Import saves it through the core (docs/channel-profiles.md). */

#define G_LOG_DOMAIN "relay-channel-import"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-channel-dialog-private.h"
#include "relay-channel-import-dialog.h"
#include "relay-channel-profile.h"
#include "relay-provider.h"
#include "relay-secure-private.h"
#include "relay-validate.h"

struct _RelayChannelImportDialog
{
  AdwWindow            parent_instance;

  RelayAccountStore   *store;
  RelayChannelProfile *profile;
  GCancellable        *cancellable;
  char                *file_name;

  GtkWidget           *import_button;
  GtkStack            *stack;
  AdwStatusPage       *error_page;
  AdwPreferencesPage  *preview;
  AdwPreferencesGroup *server_group;
  AdwPreferencesGroup *credentials_group;
  GtkWidget           *name_row;
  GtkWidget           *username_row;
  GtkWidget           *password_row;
  GtkWidget           *passphrase_row;
  GtkLabel            *error_label;
  /* the rows of the profile's values, replaced for each file */
  GPtrArray           *value_rows;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (RelayChannelImportDialog, relay_channel_import_dialog, ADW_TYPE_WINDOW)

enum { LOADED, IMPORTED, N_SIGNALS };

static guint signals[N_SIGNALS];

static void
relay_channel_import_dialog_dispose (GObject *object)
{
  RelayChannelImportDialog *self = (RelayChannelImportDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->profile);
  g_clear_object (&self->store);
  g_clear_pointer (&self->file_name, g_free);
  g_clear_pointer (&self->value_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (relay_channel_import_dialog_parent_class)->dispose (object);
}

static void
relay_channel_import_dialog_class_init (RelayChannelImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = relay_channel_import_dialog_dispose;

  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);

  /**
   * RelayChannelImportDialog::loaded:
   *
   * The file was read: the preview, or the error that names what is
   * wrong, is shown. Nothing is saved yet.
   */
  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 0);

  /**
   * RelayChannelImportDialog::imported:
   * @account: the new channel, saved
   * @todo: what the person still has to do, or has done, for it to send
   *
   * The channel is saved; the dialog closes after the handlers ran.
   */
  signals[IMPORTED] = g_signal_new ("imported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                    NULL, G_TYPE_NONE, 2, RELAY_TYPE_ACCOUNT, G_TYPE_STRING);
}

static void
relay_channel_import_dialog_init (RelayChannelImportDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->value_rows = g_ptr_array_new ();
}

static void
show_error (RelayChannelImportDialog *self,
            const char               *message,
            GtkWidget                *field)
{
  _relay_channel_dialog_show_error (self->error_label, message, field);
}

static const char *
security_text (RelaySecurity security)
{
  switch (security)
    {
    case RELAY_SECURITY_TLS: return _("SSL/TLS");
    case RELAY_SECURITY_STARTTLS: return _("STARTTLS");
    case RELAY_SECURITY_NONE: return _("None");
    default: g_assert_not_reached ();
    }
}

static const char *
auth_text (RelayAuthMethod auth)
{
  switch (auth)
    {
    case RELAY_AUTH_METHOD_AUTO: return _("Automatic");
    case RELAY_AUTH_METHOD_PLAIN: return "PLAIN";
    case RELAY_AUTH_METHOD_LOGIN: return "LOGIN";
    case RELAY_AUTH_METHOD_XOAUTH2: return _("Sign in (XOAUTH2)");
    case RELAY_AUTH_METHOD_OAUTHBEARER: return _("Sign in (OAUTHBEARER)");
    default: g_assert_not_reached ();
    }
}

static void
add_value_row (RelayChannelImportDialog *self,
               const char               *title,
               const char               *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  /* the value is what matters here, and is read with its title */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, value, -1);
  adw_preferences_group_add (self->server_group, row);
  g_ptr_array_add (self->value_rows, row);
}

static void
clear_value_rows (RelayChannelImportDialog *self)
{
  for (guint i = 0; i < self->value_rows->len; i++)
    adw_preferences_group_remove (self->server_group, g_ptr_array_index (self->value_rows, i));
  g_ptr_array_set_size (self->value_rows, 0);
}

static RelayProvider *
profile_provider (RelayChannelImportDialog *self)
{
  return relay_provider_lookup (relay_channel_profile_get_provider (self->profile));
}

/* The person gives their own user name: the profile leaves it to them */
static gboolean
needs_username (RelayChannelImportDialog *self,
                RelayAccount             *account)
{
  RelayProvider *provider = profile_provider (self);

  return relay_account_get_username (account)[0] == '\0' && !relay_account_uses_token (account) &&
         relay_provider_get_sharing (provider) == RELAY_SHARING_PER_MAILBOX;
}

static void
show_credentials (RelayChannelImportDialog *self,
                  RelayAccount             *account)
{
  RelayProvider *provider = profile_provider (self);
  gboolean secret = relay_channel_profile_has_secret (self->profile);
  gboolean token = relay_account_uses_token (account);
  g_autofree char *text = NULL;

  if (secret)
    text = g_strdup (_("The profile carries the team’s password, encrypted. Enter the passphrase you were "
                       "given with it."));
  else if (token && g_strcmp0 (relay_provider_get_oauth_service (provider), "google") == 0)
    text = g_strdup (_("The channel signs in with Google: after importing, sign in with your own account."));
  else if (token)
    text = g_strdup (_("The channel signs in with Microsoft: after importing, sign in with your own account."));
  else if (needs_username (self, account))
    text = g_strdup_printf (_("%s credentials belong to one person, so the profile leaves them to you: give "
                              "your own user name, and your password now or later."),
                            relay_provider_get_name (provider));
  else
    text = g_strdup (_("The profile carries no password: give your own now, or later in the channel’s "
                       "settings."));

  adw_preferences_group_set_description (self->credentials_group, text);
  gtk_widget_set_visible (self->passphrase_row, secret);
  gtk_widget_set_visible (self->username_row, !secret && !token);
  gtk_widget_set_visible (self->password_row, !secret && !token);
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), relay_account_get_username (account));
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->passphrase_row), "");
}

static void
show_preview (RelayChannelImportDialog *self)
{
  g_autoptr(RelayAccount) account = relay_channel_profile_create_account (self->profile);
  RelayProvider *provider = profile_provider (self);
  const char * const *senders = relay_account_get_senders (account);
  const char * const *pins = relay_account_get_pins (account);
  g_autofree char *name = relay_account_store_suggest_name (self->store, account);
  g_autofree char *port = g_strdup_printf ("%u", relay_account_get_port (account));
  g_autofree char *extra = senders[0] ? g_strjoinv (", ", (char **)senders) : NULL;
  guint max_messages = relay_account_get_max_messages (account);
  guint max_recipients = relay_account_get_max_recipients (account);
  g_autofree char *messages = NULL;
  g_autofree char *recipients = NULL;
  g_autofree char *limits = NULL;
  g_autofree char *pin_text = NULL;

  if (max_messages != 0)
    messages = g_strdup_printf (ngettext ("%u message in %u s", "%u messages in %u s", max_messages),
                                max_messages, relay_account_get_message_window (account));
  if (max_recipients != 0)
    recipients = g_strdup_printf (ngettext ("%u recipient in %u s", "%u recipients in %u s", max_recipients),
                                  max_recipients, relay_account_get_recipient_window (account));
  if (messages != NULL && recipients != NULL)
    limits = g_strdup_printf ("%s, %s", messages, recipients);
  else
    limits = g_strdup (messages ? messages : recipients ? recipients : _("None: the provider’s own"));
  if (pins[0] != NULL)
    pin_text = g_strdup_printf (ngettext ("%u certificate: the first test checks it",
                                          "%u certificates: the first test checks them",
                                          g_strv_length ((char **)pins)),
                                g_strv_length ((char **)pins));

  clear_value_rows (self);
  add_value_row (self, _("Provider"), relay_provider_get_name (provider));
  add_value_row (self, _("Server"), relay_account_get_host (account));
  add_value_row (self, _("Port"), port);
  add_value_row (self, _("Security"), security_text (relay_account_get_security (account)));
  add_value_row (self, _("Sign-in Method"), auth_text (relay_account_get_auth (account)));
  if (relay_account_get_username (account)[0] != '\0')
    add_value_row (self, _("Shared User Name"), relay_account_get_username (account));
  add_value_row (self, _("Sender Address"),
                 relay_account_get_from (account)[0] ? relay_account_get_from (account) : _("None"));
  add_value_row (self, _("Extra Senders"), extra ? extra : _("None"));
  add_value_row (self, _("Sending Limits"), limits);
  if (pin_text != NULL)
    add_value_row (self, _("Pinned Certificates"), pin_text);
  if (relay_channel_profile_get_ca_pem (self->profile)[0] != '\0')
    add_value_row (self, _("CA Certificate"), _("Included: the channel trusts it for this server"));
  if (relay_account_get_allow_insecure (account) && !relay_host_is_loopback (relay_account_get_host (account)))
    add_value_row (self, _("Warning"), _("The profile allows sending the password unencrypted"));

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  show_credentials (self, account);
  show_error (self, NULL, NULL);
  gtk_stack_set_visible_child (self->stack, GTK_WIDGET (self->preview));
  gtk_widget_set_sensitive (self->import_button, TRUE);
  gtk_widget_grab_focus (self->name_row);
}

static void
show_file_error (RelayChannelImportDialog *self,
                 const char               *message)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", self->file_name, message);
  /* the page takes markup */
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_clear_object (&self->profile);
  adw_status_page_set_description (self->error_page, escaped);
  gtk_stack_set_visible_child (self->stack, GTK_WIDGET (self->error_page));
  gtk_widget_set_sensitive (self->import_button, FALSE);
}

/* at most one byte more than a profile may have */
static gboolean
read_more_cb (const char *contents,
              goffset     size,
              gpointer    user_data)
{
  return size <= RELAY_CHANNEL_PROFILE_MAX_SIZE;
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(RelayChannelImportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!g_file_load_partial_contents_finish (G_FILE (object), result, &data, &length, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_file_error (self, error->message);
    }
  else
    {
      /* the core checks the size, every member, the secret's parameters */
      g_clear_object (&self->profile);
      self->profile = relay_channel_profile_new_from_data (data, length, &error);
      if (self->profile == NULL)
        show_file_error (self, error->message);
      else
        show_preview (self);
    }

  g_signal_emit (self, signals[LOADED], 0);
}

/**
 * relay_channel_import_dialog_load_file:
 * @file: a channel profile
 *
 * What the file chooser's answer starts: @file read and checked whole,
 * then the preview of the channel it makes, or the error that names what
 * is wrong. Nothing is saved; RelayChannelImportDialog::loaded follows.
 */
void
relay_channel_import_dialog_load_file (RelayChannelImportDialog *self,
                                       GFile                    *file)
{
  g_return_if_fail (RELAY_IS_CHANNEL_IMPORT_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  g_free (self->file_name);
  self->file_name = g_file_get_parse_name (file);
  gtk_widget_set_sensitive (self->import_button, FALSE);
  g_file_load_partial_contents_async (file, self->cancellable, read_more_cb, loaded_cb, g_object_ref (self));
}

static void
chooser_response_cb (GtkNativeDialog          *chooser,
                     int                       response,
                     RelayChannelImportDialog *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    {
      relay_channel_import_dialog_load_file (self, file);
      gtk_window_present (GTK_WINDOW (self));
    }
  else if (self->profile == NULL)
    gtk_window_destroy (GTK_WINDOW (self));

  g_object_unref (chooser);
}

/**
 * relay_channel_import_dialog_choose_file:
 *
 * Asks for the profile through the file chooser (the portal inside
 * Flatpak); the dialog shows itself with the file's preview, or closes
 * when none is chosen.
 */
void
relay_channel_import_dialog_choose_file (RelayChannelImportDialog *self)
{
  GtkWindow *parent;
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  g_return_if_fail (RELAY_IS_CHANNEL_IMPORT_DIALOG (self));

  /* GtkFileDialog is GTK 4.10's, and the build allows no API newer than 4.8 */
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  chooser = gtk_file_chooser_native_new (_("Import Channel"), parent, GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Channel profiles"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* What the person still has to do (or has done) for the channel to send */
static char *
todo_text (RelayAccount *account,
           gboolean      opened,
           gboolean      own)
{
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  const char *service = provider ? relay_provider_get_oauth_service (provider) : NULL;
  const char *secret;
  g_autofree char *pins = NULL;

  if (opened)
    secret = _("The team’s password is in the keyring.");
  else if (own)
    secret = _("Your password is in the keyring.");
  else if (relay_account_uses_token (account) && g_strcmp0 (service, "google") == 0)
    secret = _("Sign in with Google to send through it.");
  else if (relay_account_uses_token (account))
    secret = _("Sign in with Microsoft to send through it.");
  else
    secret = _("It has no password yet: give yours in its settings.");

  if (relay_account_get_pins (account)[0] != NULL)
    return g_strdup_printf ("%s %s", secret, _("The first test checks its pinned certificates."));

  return g_strdup (secret);
}

typedef struct
{
  RelayChannelImportDialog *self;
  RelayAccount             *account;
  gboolean                  opened;
  gboolean                  own;
} SaveData;

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  SaveData *data = user_data;
  g_autoptr(RelayChannelImportDialog) self = data->self;
  g_autoptr(RelayAccount) account = data->account;
  g_autoptr(GError) error = NULL;
  g_autofree char *todo = NULL;

  todo = todo_text (account, data->opened, data->own);
  g_free (data);

  if (!relay_channel_profile_save_account_finish (RELAY_CHANNEL_PROFILE (object), result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->busy = FALSE;
      gtk_widget_set_sensitive (self->import_button, TRUE);
      show_error (self, error->message, NULL);
      return;
    }

  g_signal_emit (self, signals[IMPORTED], 0, account, todo);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* The account the preview makes, with what was typed; %NULL after
 * showing the error, naming the field */
static RelayAccount *
build_account (RelayChannelImportDialog *self)
{
  g_autoptr(RelayAccount) account = relay_channel_profile_create_account (self->profile);
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  if (!(name = relay_account_store_check_name (self->store, gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                               NULL, &error)))
    {
      show_error (self, error->message, self->name_row);
      return NULL;
    }
  relay_account_set_name (account, name);

  if (gtk_widget_get_visible (self->username_row) && username[0] != '\0')
    {
      if (!relay_validate_username (username, &error))
        {
          show_error (self, error->message, self->username_row);
          return NULL;
        }
      relay_account_set_username (account, username);
    }
  if (needs_username (self, account))
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("User Name: %s credentials belong to one person, so the profile leaves the "
                                   "user name to you: give yours"),
                                 relay_provider_get_name (profile_provider (self)));
      show_error (self, message, self->username_row);
      return NULL;
    }

  if (!relay_account_validate (account, &error))
    {
      show_error (self, error->message, NULL);
      return NULL;
    }

  return g_steal_pointer (&account);
}

static void
import_clicked_cb (RelayChannelImportDialog *self)
{
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  SaveData *data;

  if (self->busy || self->profile == NULL || !(account = build_account (self)))
    return;

  if (relay_channel_profile_has_secret (self->profile))
    {
      secret = relay_channel_profile_open_secret (self->profile,
                                                  gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row)),
                                                  &error);
      if (secret == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("Passphrase: %s"), error->message);

          show_error (self, message, self->passphrase_row);
          return;
        }
    }
  else if (gtk_widget_get_visible (self->password_row) &&
           gtk_editable_get_text (GTK_EDITABLE (self->password_row))[0] != '\0')
    {
      secret = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
    }

  self->busy = TRUE;
  gtk_widget_set_sensitive (self->import_button, FALSE);
  show_error (self, NULL, NULL);

  data = g_new0 (SaveData, 1);
  data->self = g_object_ref (self);
  data->account = g_object_ref (account);
  data->opened = secret != NULL && relay_channel_profile_has_secret (self->profile);
  data->own = secret != NULL && !data->opened;
  relay_channel_profile_save_account_async (self->profile, self->store, account, secret, self->cancellable,
                                            saved_cb, data);
  if (secret != NULL)
    relay_secure_wipe_string (g_steal_pointer (&secret));
}

static GtkWidget *
entry_row (GtkWidget  *row,
           const char *title)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  return row;
}

static GtkWidget *
build_content (RelayChannelImportDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *name_group = adw_preferences_group_new ();
  GtkWidget *spinner = gtk_spinner_new ();

  self->import_button = _relay_channel_dialog_add_header (GTK_WINDOW (self), GTK_BOX (box), _("_Import"),
                                                          G_CALLBACK (import_clicked_cb));
  gtk_widget_set_sensitive (self->import_button, FALSE);
  gtk_window_set_title (GTK_WINDOW (self), _("Import Channel"));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), TRUE);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reading the profile"), -1);
  gtk_stack_add_child (self->stack, spinner);

  self->error_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->error_page, "dialog-error-symbolic");
  adw_status_page_set_title (self->error_page, _("This File Cannot Be Imported"));
  gtk_stack_add_child (self->stack, GTK_WIDGET (self->error_page));

  self->preview = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (name_group), _("New Channel"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (name_group),
                                         _("Nothing is saved until you press Import."));
  self->name_row = entry_row (adw_entry_row_new (), _("Name"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (name_group), self->name_row);
  adw_preferences_page_add (self->preview, ADW_PREFERENCES_GROUP (name_group));

  self->server_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->server_group, _("What the Profile Sets"));
  adw_preferences_page_add (self->preview, self->server_group);

  self->credentials_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->credentials_group, _("Password"));
  self->passphrase_row = entry_row (adw_password_entry_row_new (), _("Passphrase"));
  adw_preferences_group_add (self->credentials_group, self->passphrase_row);
  self->username_row = entry_row (adw_entry_row_new (), _("User Name"));
  adw_preferences_group_add (self->credentials_group, self->username_row);
  self->password_row = entry_row (adw_password_entry_row_new (), _("Your Password (optional)"));
  adw_preferences_group_add (self->credentials_group, self->password_row);
  adw_preferences_page_add (self->preview, self->credentials_group);

  self->error_label = _relay_channel_dialog_add_error_label (self->preview);
  gtk_stack_add_child (self->stack, GTK_WIDGET (self->preview));

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));
  return box;
}

/**
 * relay_channel_import_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @store: the accounts the new channel joins
 *
 * Returns: (transfer none): the dialog, not yet presented: give it a file
 *   (relay_channel_import_dialog_choose_file() or _load_file()); GTK's
 *   list of windows holds it until it closes
 */
RelayChannelImportDialog *
relay_channel_import_dialog_new (GtkWindow         *parent,
                                 RelayAccountStore *store)
{
  RelayChannelImportDialog *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (store), NULL);

  self = g_object_new (RELAY_TYPE_CHANNEL_IMPORT_DIALOG,
                       "modal", parent != NULL,
                       "transient-for", parent,
                       "default-width", 520,
                       "default-height", 900,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->store = g_object_ref (store);
  adw_window_set_content (ADW_WINDOW (self), build_content (self));
  _relay_channel_dialog_set_up_keys (GTK_WINDOW (self), self->import_button,
                                     (GtkWidget *[]) { self->name_row, self->passphrase_row, self->username_row,
                                                       self->password_row, NULL });

  return self;
}
