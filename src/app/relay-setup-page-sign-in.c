/* relay-setup-page-sign-in.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's side of signing in through the browser: the sign-in
 * actions, and the tokens stored with the account, which signing in
 * saves. The row itself is RelaySignInRow. */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-oauth-account.h"
#include "relay-setup-page-private.h"
#include "relay-text.h"

static gboolean
same_account_as_saved (RelaySetupPage *self)
{
  return self->saved != NULL &&
         g_strcmp0 (relay_provider_get_id (_relay_setup_page_selected_provider (self)),
                    relay_account_get_provider (self->saved)) == 0;
}

/* Works out the row for the provider now chosen: configured? linked? */
void
_relay_setup_page_refresh_sign_in (RelaySetupPage *self)
{
  relay_sign_in_row_refresh (self->sign_in_row, _relay_setup_page_selected_provider (self),
                             same_account_as_saved (self) ? self->saved : NULL);
}

/* The page and the account its sign-in saves, for the callback: held on
 * this thread, not by the worker (see relay_sign_in_row_refresh()) */
typedef struct
{
  RelaySetupPage   *self;
  RelayAccount     *account;
  RelayOAuthTokens *tokens;  /* while the own client's secret is stored first */
} StoreTokens;

static void
store_tokens_free (StoreTokens *store_tokens)
{
  g_object_unref (store_tokens->self);
  g_object_unref (store_tokens->account);
  g_clear_pointer (&store_tokens->tokens, relay_oauth_tokens_free);
  g_free (store_tokens);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreTokens, store_tokens_free)

static void
tokens_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(StoreTokens) store_tokens = user_data;
  RelaySetupPage *self = store_tokens->self;
  RelayAccount *account = store_tokens->account;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *toast = NULL;

  if (!relay_oauth_account_store_tokens_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      relay_sign_in_row_set_state (self->sign_in_row, RELAY_SIGN_IN_SIGNED_OUT, NULL);
      relay_setup_page_show_problem (self, error->message);
      return;
    }

  /* Signing in saves the account: the tokens belong to it */
  relay_account_store_put (self->store, account);
  if (!relay_account_store_save (self->store, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The settings could not be saved: %s"), error->message);

      relay_setup_page_show_problem (self, message);
      return;
    }

  g_set_object (&self->saved, account);
  g_clear_pointer (&self->pending_pins, g_strfreev);
  g_clear_pointer (&self->pending_pins_host, g_free);
  relay_sign_in_row_set_state (self->sign_in_row, RELAY_SIGN_IN_SIGNED_OUT, NULL);
  _relay_setup_page_load_form (self);

  address = relay_text_for_display (relay_account_get_username (account), -1);
  toast = g_strdup_printf (_("Signed in as %s"), address);
  _relay_setup_page_add_toast (self, toast);
  _relay_setup_page_emit_saved (self);
}

/* The own client's secret is kept: now the tokens */
static void
client_secret_stored_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(StoreTokens) store_tokens = user_data;
  RelaySetupPage *self = store_tokens->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayOAuthTokens) tokens = g_steal_pointer (&store_tokens->tokens);
  RelayAccount *account;

  if (!relay_oauth_account_store_client_secret_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      relay_sign_in_row_set_state (self->sign_in_row, RELAY_SIGN_IN_SIGNED_OUT, NULL);
      relay_setup_page_show_problem (self, error->message);
      return;
    }

  account = store_tokens->account;
  relay_oauth_account_store_tokens_async (account, tokens, self->cancellable, tokens_stored_cb,
                                          g_steal_pointer (&store_tokens));
}

/* The browser's sign-in came back: the tokens (and the secret of a
 * client the user gave) go to the keyring, and the account with its
 * client id to accounts.json */
static void
signed_in_cb (RelaySignInRow   *row,
              RelayOAuthTokens *tokens,
              RelaySetupPage   *self)
{
  g_autoptr(RelayAccount) account = NULL;
  StoreTokens *store_tokens;
  const char *client_secret = NULL;
  const char *client_id = relay_sign_in_row_get_own_client (row, &client_secret);

  account = _relay_setup_page_build_account (self);
  if (client_id != NULL)
    relay_account_set_oauth_client_id (account, client_id);
  if (tokens->email != NULL)
    {
      relay_account_set_username (account, tokens->email);
      if (relay_account_get_from (account)[0] == '\0')
        relay_account_set_from (account, tokens->email);
    }
  relay_account_set_sign_in_again (account, FALSE);

  store_tokens = g_new0 (StoreTokens, 1);
  store_tokens->self = g_object_ref (self);
  store_tokens->account = g_object_ref (account);
  if (client_id != NULL)
    {
      store_tokens->tokens = relay_oauth_tokens_copy (tokens);
      relay_oauth_account_store_client_secret_async (account, client_secret, self->cancellable,
                                                     client_secret_stored_cb, store_tokens);
      return;
    }
  relay_oauth_account_store_tokens_async (account, tokens, self->cancellable, tokens_stored_cb, store_tokens);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  g_autoptr(GError) error = NULL;
  GtkWidget *first_bad;

  /* the sign-in saves the account, so the server must be right; the
   * sender may wait: it becomes the signed-in address */
  for (Field field = FIELD_HOST; field <= FIELD_PORT; field++)
    {
      g_autofree char *message = _relay_setup_page_check_field (self, field);

      if (message != NULL)
        {
          self->touched[field] = TRUE;
          first_bad = _relay_setup_page_field_row (self, field);
          _relay_setup_page_validate_form (self);
          gtk_widget_grab_focus (first_bad);
          return;
        }
    }

  if (!relay_sign_in_row_start (self->sign_in_row, _relay_setup_page_selected_provider (self), &error))
    relay_setup_page_show_problem (self, error->message);
}

static void
cancel_sign_in_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  relay_sign_in_row_cancel (self->sign_in_row);
}

static void
copy_sign_in_link_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  const char *uri = relay_sign_in_row_get_authorization_uri (self->sign_in_row);

  if (uri == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), uri);
  _relay_setup_page_add_toast (self, _("Link copied"));
}

static void
signed_out_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!relay_oauth_account_sign_out_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        relay_setup_page_show_problem (self, error->message);
      return;
    }

  relay_sign_in_row_set_state (self->sign_in_row, RELAY_SIGN_IN_SIGNED_OUT, NULL);
  _relay_setup_page_add_toast (self, _("Signed out"));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  if (self->saved == NULL)
    return;

  /* the page is held on this thread, not by the worker: see relay_sign_in_row_refresh() */
  relay_oauth_account_sign_out_async (self->saved, self->cancellable, signed_out_cb, g_object_ref (self));
}

/* Sign In can start only from signed out, and not while saving */
static void
sign_in_state_changed_cb (RelaySignInRow *row,
                          RelaySetupPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.sign-in",
                                 relay_sign_in_row_get_state (row) == RELAY_SIGN_IN_SIGNED_OUT && !self->busy);
}

void
_relay_setup_page_class_sign_in_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "setup.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "setup.cancel-sign-in", NULL, cancel_sign_in_action);
  gtk_widget_class_install_action (widget_class, "setup.copy-sign-in-link", NULL, copy_sign_in_link_action);
  gtk_widget_class_install_action (widget_class, "setup.sign-out", NULL, sign_out_action);
}

void
_relay_setup_page_sign_in_init (RelaySetupPage *self)
{
  g_signal_connect_object (self->sign_in_row, "state-changed", G_CALLBACK (sign_in_state_changed_cb), self, 0);
  g_signal_connect_object (self->sign_in_row, "signed-in", G_CALLBACK (signed_in_cb), self, 0);
}
