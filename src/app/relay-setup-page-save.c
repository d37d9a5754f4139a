/* relay-setup-page-save.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's Save: the password into the keyring first, then
 * accounts.json; and the questions asked before a password goes to a
 * server it was not typed for (another provider's, a new server, no
 * encryption). */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-message-dialog.h"
#include "relay-secrets.h"
#include "relay-setup-page-private.h"
#include "relay-validate.h"

static void
keep_credentials_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     RelaySetupPage   *self)
{
  RelayProvider *provider = _relay_setup_page_selected_provider (self);

  if (g_strcmp0 (response, "keep") == 0)
    {
      g_free (self->secret_consent_host);
      self->secret_consent_host = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);
      return;
    }

  /* cleared, and the saved password is deleted with the next Save */
  self->loading = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  _relay_setup_page_set_editable_text (self->username_row, relay_provider_get_username (provider));
  self->loading = FALSE;
  self->touched[FIELD_USERNAME] = self->touched[FIELD_PASSWORD] = FALSE;
  self->forget_secret = self->password_stored;

  _relay_setup_page_update_password_description (self);
  _relay_setup_page_refresh_sign_in (self);
  _relay_setup_page_validate_form (self);
  _relay_setup_page_update_actions (self);
}

/* Another provider's password must not reach this one's server unasked */
void
_relay_setup_page_ask_keep_credentials (RelaySetupPage *self,
                                        RelayProvider  *previous,
                                        RelayProvider  *provider)
{
  g_autofree char *body = NULL;
  const char *host = _relay_setup_page_field_text (self, FIELD_HOST);
  GtkWidget *dialog;

  if (host[0] != '\0')
    /* Translators: two provider names, then a server name */
    body = g_strdup_printf (_("The user name and password were entered for %s. Keep them only if the "
                              "same ones work for %s: they would be sent to its server, %s."),
                            relay_provider_get_name (previous), relay_provider_get_name (provider), host);
  else
    body = g_strdup_printf (_("The user name and password were entered for %s. Keep them only if the "
                              "same ones work for %s: they would be sent to the server you enter."),
                            relay_provider_get_name (previous), relay_provider_get_name (provider));

  dialog = relay_message_dialog_new (GTK_WIDGET (self), _("Keep the User Name and Password?"), body,
                                     "clear",
                                     "clear", _("_Clear Them"), ADW_RESPONSE_SUGGESTED,
                                     "keep", _("_Keep Them"), ADW_RESPONSE_DEFAULT,
                                     NULL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (keep_credentials_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
finish_save (RelaySetupPage *self,
             RelayAccount   *account)
{
  g_autoptr(GError) error = NULL;
  gboolean stored = self->password_stored;

  relay_account_store_put (self->store, account);
  if (!relay_account_store_save (self->store, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The settings could not be saved: %s"), error->message);

      /* keep the file and the store in agreement */
      if (self->saved != NULL)
        relay_account_store_put (self->store, self->saved);
      else
        relay_account_store_remove (self->store, relay_account_get_id (account));

      relay_setup_page_show_problem (self, message);
      self->busy = FALSE;
      _relay_setup_page_update_actions (self);
      return;
    }

  g_set_object (&self->saved, account);
  g_clear_pointer (&self->pending_pins, g_strfreev);
  g_clear_pointer (&self->pending_pins_host, g_free);
  self->busy = FALSE;

  /* shows the values as stored, such as a host name in ASCII form; the
   * keyring is asked again, but what it holds for this account is known */
  _relay_setup_page_load_form (self);
  if (stored)
    {
      self->password_stored = TRUE;
      self->password_known = TRUE;
      _relay_setup_page_update_password_description (self);
    }

  _relay_setup_page_add_toast (self, _("Settings saved"));
  _relay_setup_page_emit_saved (self);
}

typedef struct
{
  RelaySetupPage *self;
  RelayAccount   *account;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->account);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveData, save_data_free)

/* Whether the saved password may go to @host: the server it was saved
 * for, or one the user agreed to */
static gboolean
stored_secret_fits (RelaySetupPage *self,
                    const char     *host)
{
  return self->password_stored && !self->forget_secret && self->saved != NULL && host != NULL &&
         (g_strcmp0 (host, relay_account_get_host (self->saved)) == 0 ||
          g_strcmp0 (host, self->secret_consent_host) == 0);
}

/* The keyring refused (or did not answer): nothing is saved, and the
 * form keeps what was typed */
static void
keyring_failed (RelaySetupPage *self,
                const char     *what,
                const GError   *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  _relay_setup_page_show_keyring_problem (self, what, error, "setup.save");
  self->busy = FALSE;
  _relay_setup_page_update_actions (self);
}

static void
store_password_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(SaveData) data = user_data;
  g_autoptr(GError) error = NULL;
  RelaySetupPage *self = data->self;

  if (!relay_secrets_store_finish (result, &error))
    {
      keyring_failed (self, _("The settings were not saved: the keyring did not keep the password."),
                      error);
      return;
    }

  self->password_stored = TRUE;
  finish_save (self, data->account);
}

/* The keyring first: when it cannot keep the password nothing is saved,
 * and never the password anywhere else. */
static void
store_password_and_finish (RelaySetupPage *self,
                           RelayAccount   *account)
{
  const char *password = _relay_setup_page_field_text (self, FIELD_PASSWORD);

  if (password[0] != '\0' && gtk_widget_get_visible (GTK_WIDGET (self->password_row)))
    {
      SaveData *data = g_new0 (SaveData, 1);
      const char *username = relay_account_get_username (account);

      data->self = g_object_ref (self);
      data->account = g_object_ref (account);
      relay_secrets_store_async (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                                 username[0] ? username : relay_account_get_host (account),
                                 password, self->cancellable, store_password_cb, data);
      return;
    }

  finish_save (self, account);
}

static void
forget_secret_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(SaveData) data = user_data;
  g_autoptr(GError) error = NULL;
  RelaySetupPage *self = data->self;

  if (!relay_secrets_clear_finish (result, &error))
    {
      keyring_failed (self, _("The settings were not saved: the keyring did not remove the old password."),
                      error);
      return;
    }

  self->password_stored = FALSE;
  self->forget_secret = FALSE;
  store_password_and_finish (self, data->account);
}

static void
secret_for_new_host_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        RelaySetupPage   *self)
{
  if (g_strcmp0 (response, "keep") == 0)
    {
      g_free (self->secret_consent_host);
      self->secret_consent_host = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);
      gtk_widget_activate_action (GTK_WIDGET (self), "setup.save", NULL);
    }
  else if (g_strcmp0 (response, "type") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
ask_secret_for_new_host (RelaySetupPage *self,
                         const char     *host)
{
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: two server names */
  body = g_strdup_printf (_("The password in your keyring was saved for %s. Send it to %s from now on, "
                            "or type the password for %s first?"),
                          relay_account_get_host (self->saved), host, host);
  dialog = relay_message_dialog_new (GTK_WIDGET (self),
                                     _("Use the Saved Password for the New Server?"), body,
                                     "type",
                                     "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT,
                                     "type", _("_Type a New One"), ADW_RESPONSE_SUGGESTED,
                                     "keep", _("_Use It"), ADW_RESPONSE_DEFAULT,
                                     NULL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (secret_for_new_host_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

void
_relay_setup_page_save_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  gboolean typed;
  GtkWidget *first_bad;
  GtkWidget *settings_bad;

  if (self->busy || self->store == NULL)
    return;

  self->show_all_errors = TRUE;
  first_bad = _relay_setup_page_validate_form (self);
  settings_bad = relay_account_settings_check (self->account_settings, TRUE);
  if (first_bad == NULL)
    first_bad = settings_bad;
  if (first_bad != NULL)
    {
      gtk_widget_grab_focus (first_bad);
      return;
    }

  host = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);
  typed = gtk_widget_get_visible (GTK_WIDGET (self->password_row)) &&
          _relay_setup_page_field_text (self, FIELD_PASSWORD)[0] != '\0';

  /* a saved password goes only to the server it was saved for, unless the user says so */
  if (!typed && self->password_stored && !self->forget_secret && self->saved != NULL &&
      gtk_widget_get_visible (GTK_WIDGET (self->password_row)) &&
      _relay_setup_page_field_text (self, FIELD_USERNAME)[0] != '\0' && !stored_secret_fits (self, host))
    {
      ask_secret_for_new_host (self, host);
      return;
    }

  /* a password in the clear to another computer whenever mail is sent:
   * saved only when asked twice, as for Test Connection */
  if (_relay_setup_page_needs_insecure_consent (self))
    {
      if (g_strcmp0 (self->insecure_save_warned_host, host) != 0)
        {
          _relay_setup_page_ask_insecure_consent (self, host, "save");
          return;
        }

      g_free (self->insecure_host);
      self->insecure_host = g_strdup (host);
    }

  account = _relay_setup_page_build_account (self);

  /* the check `mail-relay-cli account set` makes too, such as a CA file
   * that is gone since it was chosen */
  if (!relay_account_validate (account, &error))
    {
      relay_setup_page_show_problem (self, error->message);
      return;
    }

  self->busy = TRUE;
  _relay_setup_page_update_actions (self);
  gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);

  /* the credentials of the provider chosen before go first */
  if (self->forget_secret && self->saved != NULL)
    {
      SaveData *data = g_new0 (SaveData, 1);

      data->self = g_object_ref (self);
      data->account = g_object_ref (account);
      relay_secrets_clear_async (relay_account_get_id (self->saved), self->cancellable,
                                 forget_secret_cb, data);
      return;
    }

  store_password_and_finish (self, account);
}

gboolean
_relay_setup_page_needs_insecure_consent (RelaySetupPage *self)
{
  g_autoptr(RelayAccount) account = _relay_setup_page_build_account (self);
  gboolean has_password = _relay_setup_page_field_text (self, FIELD_PASSWORD)[0] != '\0' ||
                          stored_secret_fits (self, relay_account_get_host (account));

  return relay_account_get_security (account) == RELAY_SECURITY_NONE &&
         relay_account_get_username (account)[0] != '\0' && has_password &&
         !relay_host_is_loopback (relay_account_get_host (account)) &&
         !relay_account_get_allow_insecure (account);
}

/* Asks in the banner rather than in a dialog: pressing Test Connection
 * (or Save) again for the same server is the consent */
void
_relay_setup_page_ask_insecure_consent (RelaySetupPage *self,
                                        const char     *host,
                                        const char     *action)
{
  g_autofree char *message = NULL;

  if (g_strcmp0 (action, "save") == 0)
    {
      g_free (self->insecure_save_warned_host);
      self->insecure_save_warned_host = g_strdup (host);
      message = g_strdup_printf (_("Security is set to None, so the password would cross the network as plain "
                                   "text to %s whenever mail is sent, where anyone on the way can read it. "
                                   "Choose STARTTLS or SSL/TLS if the server offers them, or press Save again "
                                   "to keep None."),
                                 host);
    }
  else
    {
      g_free (self->insecure_warned_host);
      self->insecure_warned_host = g_strdup (host);
      message = g_strdup_printf (_("Security is set to None, so the password would cross the network as plain text "
                                   "to %s, where anyone on the way can read it. Choose STARTTLS or SSL/TLS if the "
                                   "server offers them, or press Test Connection again to send it unencrypted."),
                                 host);
    }

  relay_setup_page_show_problem (self, message);
}
