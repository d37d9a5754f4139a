/* relay-sign-in-row.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's row for signing in through the browser (Gmail,
 * Microsoft 365): its states (unavailable, signed out, checking the
 * keyring, waiting for the browser, linked), the client it signs in as
 * (the built-in one, or the user's own from “Use Your Own Google
 * Client…”), the loopback flow and the browser. Its buttons name the
 * page's `setup.*` actions. */

#define G_LOG_DOMAIN "relay-sign-in-row"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-accessible.h"
#include "relay-oauth-account.h"
#include "relay-oauth-client-dialog.h"
#include "relay-sasl.h"
#include "relay-sign-in-row.h"
#include "relay-text.h"

struct _RelaySignInRow
{
  AdwActionRow      parent_instance;

  GtkWidget        *copy_link_button;
  GtkWidget        *cancel_sign_in_button;
  GtkWidget        *sign_in_button;
  GtkWidget        *sign_out_button;
  GtkWidget        *own_client_button;

  /* the form's user name: the address a linked sign-in names */
  GtkEditable      *username_editable;
  /* the provider the form shows, and its saved account */
  RelayProvider    *provider;
  RelayAccount     *saved;

  RelaySignInState  sign_in_state;
  /* whom the sign-in is for; NULL while it is being worked out or
   * when there is no client */
  RelayOAuthConfig *config;
  GCancellable     *config_cancellable;
  /* the "is it linked" check of what the row shows now */
  GCancellable     *linked_cancellable;
  /* the build has no client of its own for the provider's service */
  gboolean          needs_own_client;
  /* a client given in the dialog and not saved yet, for own_service */
  char             *own_service;
  char             *own_client_id;
  char             *own_client_secret;
  RelayOAuthFlow   *flow;
  GCancellable     *sign_in_cancellable;
  char             *sign_in_note;
};

G_DEFINE_FINAL_TYPE (RelaySignInRow, relay_sign_in_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_USERNAME_EDITABLE,
  N_PROPS
};

enum {
  STATE_CHANGED,
  SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Signing in through the browser (Gmail, Microsoft 365) */

static void
update_sign_in_row (RelaySignInRow *self)
{
  RelayProvider *provider = self->provider;
  RelaySignInState state = self->sign_in_state;
  g_autofree char *subtitle = NULL;
  const char *service = provider ? relay_provider_get_oauth_service (provider) : NULL;
  gboolean without_client;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self),
                                 g_strcmp0 (service, "microsoft") == 0 ? _("Sign In With Microsoft")
                                                                       : _("Sign In With Google"));

  switch (state)
    {
    case RELAY_SIGN_IN_UNAVAILABLE:
      subtitle = g_strdup (self->sign_in_note);
      break;
    case RELAY_SIGN_IN_CHECKING:
      subtitle = g_strdup (_("Checking the keyring…"));
      break;
    case RELAY_SIGN_IN_WAITING:
      subtitle = g_strdup_printf ("%s%s%s", _("Waiting for you to sign in in the browser…"),
                                  self->sign_in_note ? "\n" : "",
                                  self->sign_in_note ? self->sign_in_note : "");
      break;
    case RELAY_SIGN_IN_LINKED:
      {
        /* the address the sign-in server's token named */
        const char *username = self->username_editable ? gtk_editable_get_text (self->username_editable) : "";
        g_autofree char *address = relay_text_for_display (username, -1);

        subtitle = g_strdup_printf (_("Signed in as %s"), address);
      }
      break;
    case RELAY_SIGN_IN_SIGNED_OUT:
    default:
      subtitle = g_strdup (self->sign_in_note ? self->sign_in_note
                                              : _("No password is needed: you sign in on the provider’s own page, and Mail Relay keeps the access it grants in your keyring."));
      break;
    }

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);

  /* without a client, the way to one takes Sign In's place */
  without_client = state == RELAY_SIGN_IN_UNAVAILABLE && self->needs_own_client;
  gtk_widget_set_visible (self->sign_in_button,
                          state != RELAY_SIGN_IN_WAITING && state != RELAY_SIGN_IN_LINKED && !without_client);
  if (without_client)
    gtk_widget_add_css_class (self->own_client_button, "suggested-action");
  else
    gtk_widget_remove_css_class (self->own_client_button, "suggested-action");
  gtk_widget_set_visible (self->copy_link_button, state == RELAY_SIGN_IN_WAITING);
  gtk_widget_set_visible (self->cancel_sign_in_button, state == RELAY_SIGN_IN_WAITING);
  gtk_widget_set_visible (self->sign_out_button, state == RELAY_SIGN_IN_LINKED);
  gtk_widget_set_visible (self->own_client_button,
                          self->needs_own_client &&
                          (state == RELAY_SIGN_IN_UNAVAILABLE || state == RELAY_SIGN_IN_SIGNED_OUT));
  gtk_button_set_label (GTK_BUTTON (self->own_client_button),
                        g_strcmp0 (service, "microsoft") == 0 ? _("Use Your Own _Microsoft Client…")
                                                              : _("Use Your Own _Google Client…"));
  relay_accessible_name_buttons_by_label (self->own_client_button);
  g_signal_emit (self, signals[STATE_CHANGED], 0);
}

static void
is_linked_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(RelaySignInRow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean linked = relay_oauth_account_is_linked_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->sign_in_state != RELAY_SIGN_IN_CHECKING)
    return;

  if (error != NULL)
    relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT, error->message);
  else if (linked)
    relay_sign_in_row_set_state (self, RELAY_SIGN_IN_LINKED, NULL);
  else if (self->saved != NULL && relay_account_get_sign_in_again (self->saved))
    relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT,
                                 _("The provider no longer accepts the saved sign-in: sign in again."));
  else
    relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT, NULL);
}

/* In words for the window: how this copy was built is for the README */
static char *
sign_in_unavailable_note (RelayProvider *provider,
                          const GError  *error)
{
  const char *service = relay_provider_get_oauth_service (provider);

  if (!g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED))
    return g_strdup (error->message);

  if (g_strcmp0 (service, "google") == 0)
    return g_strdup (_("This copy of Mail Relay was built without a Google sign-in client. To sign in "
                       "with Google, use a client of your own, which you can create in the Google Cloud "
                       "console. Or choose Custom with the server smtp.gmail.com, port 465 and SSL/TLS, "
                       "and an app password from your Google Account."));
  if (g_strcmp0 (service, "microsoft") == 0)
    return g_strdup (_("This copy of Mail Relay was built without a Microsoft sign-in client. To sign in "
                       "with Microsoft, use a client of your own, which you can register in Microsoft "
                       "Entra. Or choose Office 365 to sign in with the mailbox’s password, if your "
                       "organization allows it."));

  return g_strdup (error->message);
}

/* The client to sign in as, when the keyring need not be asked: the one
 * given in the dialog, else the built-in one */
static RelayOAuthConfig *
config_now (RelaySignInRow  *self,
            RelayProvider   *provider,
            GError         **error)
{
  if (self->own_client_id != NULL &&
      g_strcmp0 (self->own_service, relay_provider_get_oauth_service (provider)) == 0)
    return relay_oauth_config_new (provider, self->own_client_id, self->own_client_secret, error);

  return relay_oauth_config_new_for_provider (provider, error);
}

static void
check_linked (RelaySignInRow *self)
{
  if (self->saved == NULL)
    {
      relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT, NULL);
      return;
    }

  relay_sign_in_row_set_state (self, RELAY_SIGN_IN_CHECKING, NULL);
  /* an answer about what was shown before is of no use now */
  if (self->linked_cancellable != NULL)
    g_cancellable_cancel (self->linked_cancellable);
  g_clear_object (&self->linked_cancellable);
  self->linked_cancellable = g_cancellable_new ();
  /* A GTask run in a thread drops its last reference in the worker,
   * possibly after its callback has run: were the row held by the task,
   * the row could be disposed there, off the main thread. The core's
   * _async calls keep a copy of the account and no source object; the
   * callback's data holds the row. */
  relay_oauth_account_is_linked_async (self->saved, self->linked_cancellable, is_linked_cb, g_object_ref (self));
}

/* The saved account's own client, with its secret from the keyring */
static void
saved_config_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RelaySignInRow) self = user_data;
  g_autoptr(GError) error = NULL;
  RelayOAuthConfig *config = relay_oauth_account_get_config_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->sign_in_state != RELAY_SIGN_IN_CHECKING)
    {
      g_clear_pointer (&config, relay_oauth_config_free);
      return;
    }

  if (config == NULL)
    {
      g_autofree char *note = sign_in_unavailable_note (self->provider, error);

      relay_sign_in_row_set_state (self, RELAY_SIGN_IN_UNAVAILABLE, note);
      return;
    }

  g_clear_pointer (&self->config, relay_oauth_config_free);
  self->config = config;
  check_linked (self);
}

static void
own_client_response_cb (RelayOAuthClientDialog *dialog,
                        const char             *response,
                        RelaySignInRow         *self)
{
  g_autofree char *client_id = NULL;
  const char *secret;

  if (g_strcmp0 (response, "use") != 0 || !(client_id = relay_oauth_client_dialog_get_client_id (dialog)))
    return;

  secret = relay_oauth_client_dialog_get_client_secret (dialog);
  g_free (self->own_service);
  self->own_service = g_strdup (relay_oauth_client_dialog_get_service (dialog));
  g_free (self->own_client_id);
  self->own_client_id = g_steal_pointer (&client_id);
  g_clear_pointer (&self->own_client_secret, relay_sasl_wipe);
  self->own_client_secret = secret[0] != '\0' ? g_strdup (secret) : NULL;

  if (self->provider != NULL)
    relay_sign_in_row_refresh (self, self->provider, self->saved);
}

static void
own_client_clicked_cb (RelaySignInRow *self)
{
  const char *service = self->provider ? relay_provider_get_oauth_service (self->provider) : NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *client_id = NULL;
  RelayOAuthClientDialog *dialog;

  if (service == NULL)
    return;

  if (self->own_client_id != NULL && g_strcmp0 (self->own_service, service) == 0)
    client_id = self->own_client_id;
  else if (self->saved != NULL && relay_account_get_oauth_client_id (self->saved)[0] != '\0')
    client_id = relay_account_get_oauth_client_id (self->saved);

  dialog = relay_oauth_client_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, service, client_id);
  g_signal_connect_object (dialog, "response", G_CALLBACK (own_client_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sign_in_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RelaySignInRow) self = user_data;
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = relay_oauth_flow_wait_finish (RELAY_OAUTH_FLOW (object), result, &error);
  if (self->flow == RELAY_OAUTH_FLOW (object))
    g_clear_object (&self->flow);
  g_clear_object (&self->sign_in_cancellable);

  if (tokens == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT, NULL);
      else if (g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_ACCESS_DENIED))
        relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT,
                                     _("You declined the sign-in; nothing was linked."));
      else
        relay_sign_in_row_set_state (self, RELAY_SIGN_IN_SIGNED_OUT, error->message);
      return;
    }

  g_signal_emit (self, signals[SIGNED_IN], 0, tokens);
}

static void
browser_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(RelaySignInRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      self->sign_in_state == RELAY_SIGN_IN_WAITING)
    relay_sign_in_row_set_state (self, RELAY_SIGN_IN_WAITING,
                                 _("The browser could not be opened: copy the link and open it yourself."));
}

static void
relay_sign_in_row_dispose (GObject *object)
{
  RelaySignInRow *self = (RelaySignInRow *)object;

  relay_sign_in_row_stop (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_SIGN_IN_ROW);
  g_clear_object (&self->username_editable);
  g_clear_object (&self->provider);
  g_clear_object (&self->saved);
  g_clear_object (&self->sign_in_cancellable);
  g_clear_object (&self->flow);
  g_clear_object (&self->config_cancellable);
  g_clear_object (&self->linked_cancellable);
  g_clear_pointer (&self->config, relay_oauth_config_free);
  g_clear_pointer (&self->own_service, g_free);
  g_clear_pointer (&self->own_client_id, g_free);
  g_clear_pointer (&self->own_client_secret, relay_sasl_wipe);
  g_clear_pointer (&self->sign_in_note, g_free);

  G_OBJECT_CLASS (relay_sign_in_row_parent_class)->dispose (object);
}

static void
relay_sign_in_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  RelaySignInRow *self = RELAY_SIGN_IN_ROW (object);

  switch (prop_id)
    {
    case PROP_USERNAME_EDITABLE:
      g_value_set_object (value, self->username_editable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_sign_in_row_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  RelaySignInRow *self = RELAY_SIGN_IN_ROW (object);

  switch (prop_id)
    {
    case PROP_USERNAME_EDITABLE:
      if (g_set_object (&self->username_editable, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_sign_in_row_class_init (RelaySignInRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_sign_in_row_dispose;
  object_class->get_property = relay_sign_in_row_get_property;
  object_class->set_property = relay_sign_in_row_set_property;

  /**
   * RelaySignInRow:username-editable:
   *
   * The form's user name, which a linked sign-in shows as its address.
   */
  properties[PROP_USERNAME_EDITABLE] =
    g_param_spec_object ("username-editable", NULL, NULL, GTK_TYPE_EDITABLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * RelaySignInRow::state-changed:
   *
   * The row shows a state, or the same one with another note.
   */
  signals[STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * RelaySignInRow::signed-in:
   * @tokens: what the sign-in server granted, for the handler to store
   *
   * The browser's sign-in came back with tokens. The row still waits:
   * the handler stores the tokens and then sets the row's state.
   */
  signals[SIGNED_IN] = g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                     RELAY_TYPE_OAUTH_TOKENS | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-sign-in-row.ui");
  gtk_widget_class_bind_template_child (widget_class, RelaySignInRow, copy_link_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySignInRow, cancel_sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySignInRow, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySignInRow, sign_out_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySignInRow, own_client_button);
  gtk_widget_class_bind_template_callback (widget_class, own_client_clicked_cb);
}

static void
relay_sign_in_row_init (RelaySignInRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

RelaySignInState
relay_sign_in_row_get_state (RelaySignInRow *self)
{
  g_return_val_if_fail (RELAY_IS_SIGN_IN_ROW (self), RELAY_SIGN_IN_UNAVAILABLE);

  return self->sign_in_state;
}

/**
 * relay_sign_in_row_set_state:
 * @note: (nullable): what the row says beside the state; it may be the
 *   sign-in server's words, in an error
 *
 * Shows @state: the row's subtitle and its buttons.
 */
void
relay_sign_in_row_set_state (RelaySignInRow   *self,
                             RelaySignInState  state,
                             const char       *note)
{
  g_return_if_fail (RELAY_IS_SIGN_IN_ROW (self));

  self->sign_in_state = state;
  g_free (self->sign_in_note);
  self->sign_in_note = note != NULL ? relay_text_for_display_lines (note, -1) : NULL;
  update_sign_in_row (self);
}

/**
 * relay_sign_in_row_refresh:
 * @provider: the provider the form shows
 * @saved: (nullable): the saved account, when it is for @provider
 *
 * Works out the row for the provider now chosen: which client? linked?
 * A sign-in waiting for the browser is left alone.
 */
void
relay_sign_in_row_refresh (RelaySignInRow *self,
                           RelayProvider  *provider,
                           RelayAccount   *saved)
{
  g_autoptr(RelayOAuthConfig) built_in = NULL;
  g_autoptr(GError) error = NULL;
  const char *service;

  g_return_if_fail (RELAY_IS_SIGN_IN_ROW (self));
  g_return_if_fail (RELAY_IS_PROVIDER (provider));
  g_return_if_fail (!saved || RELAY_IS_ACCOUNT (saved));

  g_set_object (&self->provider, provider);
  g_set_object (&self->saved, saved);

  if (!relay_provider_uses_sign_in (provider) || self->sign_in_state == RELAY_SIGN_IN_WAITING)
    return;

  /* a lookup or a check for what was shown before is of no use now: its
   * answer must not decide the state of what is shown next */
  if (self->config_cancellable != NULL)
    g_cancellable_cancel (self->config_cancellable);
  g_clear_object (&self->config_cancellable);
  if (self->linked_cancellable != NULL)
    g_cancellable_cancel (self->linked_cancellable);
  g_clear_object (&self->linked_cancellable);
  g_clear_pointer (&self->config, relay_oauth_config_free);

  service = relay_provider_get_oauth_service (provider);
  built_in = relay_oauth_config_new_for_provider (provider, &error);
  self->needs_own_client = built_in == NULL &&
                           g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED) &&
                           (g_strcmp0 (service, "google") == 0 || g_strcmp0 (service, "microsoft") == 0);
  g_clear_error (&error);

  /* the saved account's own client: its secret is in the keyring */
  if ((self->own_client_id == NULL || g_strcmp0 (self->own_service, service) != 0) &&
      saved != NULL && relay_account_get_oauth_client_id (saved)[0] != '\0')
    {
      self->config_cancellable = g_cancellable_new ();
      relay_sign_in_row_set_state (self, RELAY_SIGN_IN_CHECKING, NULL);
      relay_oauth_account_get_config_async (saved, provider, self->config_cancellable, saved_config_cb,
                                            g_object_ref (self));
      return;
    }

  if (!(self->config = config_now (self, provider, &error)))
    {
      g_autofree char *note = sign_in_unavailable_note (provider, error);

      relay_sign_in_row_set_state (self, RELAY_SIGN_IN_UNAVAILABLE, note);
      return;
    }

  check_linked (self);
}

/**
 * relay_sign_in_row_get_own_client:
 * @client_secret: (out) (optional) (nullable): its secret, %NULL for none
 *
 * The client given in “Use Your Own … Client…” for the provider shown,
 * which a sign-in saves with the account.
 *
 * Returns: (nullable): its client id, or %NULL when none was given
 */
const char *
relay_sign_in_row_get_own_client (RelaySignInRow  *self,
                                  const char     **client_secret)
{
  g_return_val_if_fail (RELAY_IS_SIGN_IN_ROW (self), NULL);

  if (self->own_client_id == NULL || self->provider == NULL ||
      g_strcmp0 (self->own_service, relay_provider_get_oauth_service (self->provider)) != 0)
    {
      if (client_secret != NULL)
        *client_secret = NULL;
      return NULL;
    }

  if (client_secret != NULL)
    *client_secret = self->own_client_secret;
  return self->own_client_id;
}

/**
 * relay_sign_in_row_start:
 * @provider: the provider the form shows
 *
 * Opens @provider's sign-in page in the browser and waits for it;
 * #RelaySignInRow::signed-in tells when it came back. Without a client
 * id for the provider the row says so instead.
 *
 * Returns: %FALSE when the loopback listener could not start, with
 *   @error set
 */
gboolean
relay_sign_in_row_start (RelaySignInRow  *self,
                         RelayProvider   *provider,
                         GError         **error)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autoptr(GError) config_error = NULL;

  g_return_val_if_fail (RELAY_IS_SIGN_IN_ROW (self), FALSE);
  g_return_val_if_fail (RELAY_IS_PROVIDER (provider), FALSE);

  /* the one worked out for this provider (the saved account's own
   * client's came from the keyring), else the one known now */
  if (self->config != NULL && provider == self->provider)
    config = relay_oauth_config_copy (self->config);
  else
    config = config_now (self, provider, &config_error);

  if (config == NULL)
    {
      g_autofree char *note = sign_in_unavailable_note (provider, config_error);

      relay_sign_in_row_set_state (self, RELAY_SIGN_IN_UNAVAILABLE, note);
      return TRUE;
    }

  flow = relay_oauth_flow_new (config);
  if (!relay_oauth_flow_start (flow, error))
    return FALSE;

  g_set_object (&self->flow, flow);
  g_clear_object (&self->sign_in_cancellable);
  self->sign_in_cancellable = g_cancellable_new ();
  relay_sign_in_row_set_state (self, RELAY_SIGN_IN_WAITING, NULL);

  /* through the OpenURI portal inside Flatpak */
  g_app_info_launch_default_for_uri_async (relay_oauth_flow_get_authorization_uri (flow), NULL,
                                           self->sign_in_cancellable, browser_opened_cb,
                                           g_object_ref (self));
  relay_oauth_flow_wait_async (flow, 600, self->sign_in_cancellable, sign_in_done_cb, g_object_ref (self));
  return TRUE;
}

/**
 * relay_sign_in_row_cancel:
 *
 * Stops waiting for the browser: the row goes back to signed out.
 */
void
relay_sign_in_row_cancel (RelaySignInRow *self)
{
  g_return_if_fail (RELAY_IS_SIGN_IN_ROW (self));

  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  if (self->flow != NULL)
    relay_oauth_flow_stop (self->flow);
}

/**
 * relay_sign_in_row_get_authorization_uri:
 *
 * Returns: (nullable): the sign-in link the browser was given, while the
 *   row waits for it
 */
const char *
relay_sign_in_row_get_authorization_uri (RelaySignInRow *self)
{
  g_return_val_if_fail (RELAY_IS_SIGN_IN_ROW (self), NULL);

  return self->flow != NULL ? relay_oauth_flow_get_authorization_uri (self->flow) : NULL;
}

/**
 * relay_sign_in_row_stop:
 *
 * Cancels everything the row runs, for a page that goes away.
 */
void
relay_sign_in_row_stop (RelaySignInRow *self)
{
  g_return_if_fail (RELAY_IS_SIGN_IN_ROW (self));

  if (self->config_cancellable != NULL)
    g_cancellable_cancel (self->config_cancellable);
  if (self->linked_cancellable != NULL)
    g_cancellable_cancel (self->linked_cancellable);
  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  if (self->flow != NULL)
    relay_oauth_flow_stop (self->flow);
}
