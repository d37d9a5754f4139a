/* relay-setup-page-test.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's Test Connection: the password typed, saved or the
 * sign-in's access token, handed to the connection test window, and the
 * certificate it trusts kept with the account. */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-oauth-account.h"
#include "relay-probe-view.h"
#include "relay-sasl.h"
#include "relay-setup-page-private.h"
#include "relay-validate.h"

/* The pin belongs to the account and its server: kept at once when the
 * account is saved, else with the next Save. It replaces whatever was
 * trusted for that server before, such as a certificate since renewed. */
static void
trust_certificate_cb (RelayProbeView *view,
                      const char     *sha256,
                      RelaySetupPage *self)
{
  g_autoptr(GError) error = NULL;
  const char *pins[] = { sha256, NULL };
  g_autofree char *host = NULL;
  guint port = 0;

  /* the test ran on the form: into the saved account only if it is that */
  if (self->saved != NULL && !_relay_setup_page_is_dirty (self))
    {
      g_autoptr(RelayAccount) account = relay_account_copy (self->saved);

      relay_account_set_pins (account, pins);

      relay_account_store_put (self->store, account);
      if (!relay_account_store_save (self->store, &error))
        {
          g_autofree char *message = g_strdup_printf (_("The trusted certificate could not be saved: %s"),
                                                      error->message);

          relay_account_store_put (self->store, self->saved);
          relay_setup_page_show_problem (self, message);
          return;
        }

      g_set_object (&self->saved, account);
      _relay_setup_page_add_toast (self, _("The certificate is trusted for this account"));
      _relay_setup_page_update_actions (self);
      return;
    }

  /* the test window ran on the form's server */
  if (!_relay_setup_page_form_server (self, &host, &port))
    return;

  g_strfreev (self->pending_pins);
  self->pending_pins = g_strdupv ((char **)pins);
  g_free (self->pending_pins_host);
  self->pending_pins_host = g_steal_pointer (&host);
  self->pending_pins_port = port;

  _relay_setup_page_add_toast (self, _("The certificate will be trusted once the account is saved"));
  _relay_setup_page_update_actions (self);
}

static void
open_probe_view (RelaySetupPage *self,
                 const char     *secret,
                 const char     *sign_in_note)
{
  g_autoptr(RelayAccount) account = _relay_setup_page_build_account (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *send_to = gtk_editable_get_text (GTK_EDITABLE (self->send_to_row));
  g_autofree char *send_to_ascii = send_to[0] ? relay_validate_address (send_to, NULL) : NULL;
  RelayProbeView *view;

  view = relay_probe_view_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                               account, secret, send_to_ascii);
  relay_probe_view_set_sign_in_note (view, sign_in_note);
  g_signal_connect_object (view, "trust-certificate", G_CALLBACK (trust_certificate_cb), self, 0);
  gtk_window_present (GTK_WINDOW (view));
}

/* The saved password, as the keyring gave it for the test: none saved
 * is said, and only a password that could be read is tested with */
void
_relay_setup_page_test_with_password (RelaySetupPage *self,
                                      const char     *secret)
{
  open_probe_view (self, secret,
                   secret == NULL ? _("No password is saved for this account: type it, then test again.")
                                  : NULL);
}

static void
access_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  char *token = relay_oauth_account_get_access_token_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (token == NULL)
    {
      if (g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT))
        relay_sign_in_row_set_state (self->sign_in_row, RELAY_SIGN_IN_SIGNED_OUT,
                                     _("The provider no longer accepts the saved sign-in: sign in again."));
      relay_setup_page_show_problem (self, error->message);
      return;
    }

  open_probe_view (self, token, NULL);
  relay_sasl_wipe (token);
}

static gboolean
same_server_as_saved (RelaySetupPage *self)
{
  g_autofree char *host = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);
  guint port = 0;

  relay_validate_port (_relay_setup_page_field_text (self, FIELD_PORT), &port, NULL);

  return self->saved != NULL &&
         g_strcmp0 (host, relay_account_get_host (self->saved)) == 0 &&
         port == relay_account_get_port (self->saved);
}

/* The test signs in with the saved password only where it was saved for:
 * the same server (host and port) and the same user name. Whether there
 * is one may not be known yet (the keyring did not answer): asked again. */
static gboolean
stored_secret_for_test (RelaySetupPage *self)
{
  return self->saved != NULL && (self->password_stored || !self->password_known) &&
         !self->forget_secret &&
         _relay_setup_page_field_text (self, FIELD_USERNAME)[0] != '\0' &&
         g_strcmp0 (_relay_setup_page_field_text (self, FIELD_USERNAME),
                    relay_account_get_username (self->saved)) == 0 &&
         same_server_as_saved (self);
}

/* Why a test with a user name has no password to sign in with */
static const char *
missing_password_note (RelaySetupPage *self)
{
  if (self->saved != NULL && self->password_stored && !self->forget_secret)
    {
      if (!same_server_as_saved (self))
        return _("Type the password for the new server, then test again: the saved password is only "
                 "sent to the server it was saved for.");

      return _("Type the password for the new user name, then test again: the saved password "
               "belongs to the user name it was saved with.");
    }

  return _("Type the password, then test again.");
}

static void
run_test (RelaySetupPage *self)
{
  const char *password = _relay_setup_page_field_text (self, FIELD_PASSWORD);

  if (relay_provider_uses_sign_in (_relay_setup_page_selected_provider (self)))
    {
      if (relay_sign_in_row_get_state (self->sign_in_row) != RELAY_SIGN_IN_LINKED || self->saved == NULL)
        {
          relay_setup_page_show_problem (self, _("Sign in first: the test signs in with the access the provider grants."));
          return;
        }

      /* refreshed first when it has expired; the page is held on this
       * thread, not by the worker: see relay_sign_in_row_refresh() */
      relay_oauth_account_get_access_token_async (self->saved, FALSE, self->cancellable,
                                                  access_token_cb, g_object_ref (self));
      return;
    }

  if (gtk_widget_get_visible (GTK_WIDGET (self->password_row)) && password[0] != '\0')
    open_probe_view (self, password, NULL);
  else if (stored_secret_for_test (self))
    _relay_setup_page_lookup_password (self, TRUE);
  else
    open_probe_view (self, NULL, missing_password_note (self));
}

void
_relay_setup_page_test_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  const char *send_to = gtk_editable_get_text (GTK_EDITABLE (self->send_to_row));
  const Field needed[] = { FIELD_HOST, FIELD_PORT, FIELD_USERNAME, FIELD_PASSWORD, FIELD_FROM };
  g_autoptr(GError) error = NULL;
  g_autofree char *send_to_ascii = NULL;

  /* the sender matters only when a message is sent */
  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    {
      g_autofree char *message = NULL;

      if (needed[i] == FIELD_FROM && send_to[0] == '\0')
        continue;
      if ((message = _relay_setup_page_check_field (self, needed[i])) != NULL)
        {
          self->touched[needed[i]] = TRUE;
          _relay_setup_page_validate_form (self);
          gtk_widget_grab_focus (_relay_setup_page_field_row (self, needed[i]));
          return;
        }
    }

  if (send_to[0] != '\0' && !(send_to_ascii = relay_validate_address (send_to, &error)))
    {
      g_autofree char *message = g_strdup_printf (_("Test message: %s"), error->message);

      gtk_widget_add_css_class (GTK_WIDGET (self->send_to_row), "error");
      relay_setup_page_show_problem (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->send_to_row));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->send_to_row), "error");

  /* A password in the clear to another computer: only when asked twice */
  if (_relay_setup_page_needs_insecure_consent (self))
    {
      g_autofree char *host = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);

      if (g_strcmp0 (self->insecure_warned_host, host) != 0)
        {
          _relay_setup_page_ask_insecure_consent (self, host, "test");
          return;
        }

      g_free (self->insecure_host);
      self->insecure_host = g_steal_pointer (&host);
      gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);
    }

  run_test (self);
}
