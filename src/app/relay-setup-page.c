/* relay-setup-page.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The server form: the preset chosen and shown, the form loaded from the
 * saved account and built back into one, Revert, and the page's
 * lifecycle. Its other concerns have files of their own (see
 * relay-setup-page-private.h). */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-accessible.h"
#include "relay-sasl.h"
#include "relay-secrets.h"
#include "relay-setup-page-private.h"
#include "relay-text.h"
#include "relay-toast.h"
#include "relay-validate.h"

G_DEFINE_FINAL_TYPE (RelaySetupPage, relay_setup_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

enum {
  SAVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

RelayProvider *
_relay_setup_page_selected_provider (RelaySetupPage *self)
{
  g_autoptr(RelayProvider) provider = NULL;

  guint position = adw_combo_row_get_selected (self->provider_row);

  if (position == GTK_INVALID_LIST_POSITION)
    position = relay_provider_get_position ("custom");

  provider = g_list_model_get_item (relay_provider_get_all (), position);
  return provider;
}

void
_relay_setup_page_set_editable_text (AdwEntryRow *row,
                                     const char  *text)
{
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/* The methods that fit @provider, and @method too when it does not (as
 * `mail-relay-cli account set --auth` may have chosen): nothing saved is lost */
static void
update_auth_row (RelaySetupPage  *self,
                 RelayProvider   *provider,
                 RelayAuthMethod  method)
{
  static const RelayAuthMethod password_methods[] = {
    RELAY_AUTH_METHOD_AUTO, RELAY_AUTH_METHOD_PLAIN, RELAY_AUTH_METHOD_LOGIN,
  };
  static const RelayAuthMethod token_methods[] = {
    RELAY_AUTH_METHOD_XOAUTH2, RELAY_AUTH_METHOD_OAUTHBEARER,
  };
  g_autoptr(GtkStringList) names = NULL;
  gboolean sign_in = relay_provider_uses_sign_in (provider);
  const RelayAuthMethod *methods = sign_in ? token_methods : password_methods;
  guint n = sign_in ? G_N_ELEMENTS (token_methods) : G_N_ELEMENTS (password_methods);
  RelayAuthMethod wanted[G_N_ELEMENTS (self->auth_methods)];
  gboolean loading = self->loading;
  guint n_wanted = 0;
  guint selected = 0;

  for (guint i = 0; i < n; i++)
    wanted[n_wanted++] = methods[i];
  for (guint i = 0; i < n_wanted; i++)
    if (wanted[i] == method)
      break;
    else if (i + 1 == n_wanted)
      wanted[n_wanted++] = method;
  for (guint i = 0; i < n_wanted; i++)
    if (wanted[i] == method)
      selected = i;

  self->loading = TRUE;

  /* a new list only when the choices change */
  if (n_wanted != self->n_auth_methods ||
      memcmp (wanted, self->auth_methods, n_wanted * sizeof wanted[0]) != 0)
    {
      names = gtk_string_list_new (NULL);
      for (guint i = 0; i < n_wanted; i++)
        gtk_string_list_append (names, wanted[i] == RELAY_AUTH_METHOD_AUTO
                                       ? _("Automatic")
                                       : relay_sasl_mechanism_name (wanted[i]));
      memcpy (self->auth_methods, wanted, n_wanted * sizeof wanted[0]);
      self->n_auth_methods = n_wanted;
      adw_combo_row_set_model (self->auth_row, G_LIST_MODEL (names));
    }
  adw_combo_row_set_selected (self->auth_row, selected);

  self->loading = loading;
}

static RelayAuthMethod
selected_auth (RelaySetupPage *self)
{
  guint position = adw_combo_row_get_selected (self->auth_row);

  return position < self->n_auth_methods ? self->auth_methods[position] : RELAY_AUTH_METHOD_AUTO;
}

static void
update_guidance (RelaySetupPage *self,
                 RelayProvider  *provider)
{
  gboolean sign_in = relay_provider_uses_sign_in (provider);

  relay_provider_group_set_provider (self->guidance_group, provider);

  gtk_widget_set_visible (GTK_WIDGET (self->password_row), !sign_in);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_row), sign_in);

  if (relay_provider_get_username_hint (provider)[0] != '\0')
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->username_row),
                                 relay_provider_get_username_hint (provider));
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->username_row), NULL);
}

void
_relay_setup_page_update_password_description (RelaySetupPage *self)
{
  if (relay_provider_uses_sign_in (_relay_setup_page_selected_provider (self)))
    adw_preferences_group_set_description (self->account_group,
                                           _("The sign-in is kept in your keyring, never in a file."));
  else
    adw_preferences_group_set_description (self->account_group,
                                           self->password_stored && !self->forget_secret
                                           ? _("A password is kept in your keyring. Type a new one only to change it.")
                                           : _("The password is kept in your keyring, never in a file."));
}

static gboolean
uses_sandbox (RelaySetupPage *self,
              RelayProvider  *provider)
{
  return self->sandbox != NULL && g_str_equal (relay_provider_get_id (provider), "local");
}

gboolean
_relay_setup_page_is_dirty (RelaySetupPage *self)
{
  RelayProvider *provider = _relay_setup_page_selected_provider (self);
  g_autofree char *port = NULL;

  /* the test server's port and password change with every run */
  gboolean live = uses_sandbox (self, provider);

  if ((!live && _relay_setup_page_field_text (self, FIELD_PASSWORD)[0] != '\0') || self->pending_pins != NULL ||
      self->forget_secret)
    return TRUE;

  if (self->saved == NULL)
    return TRUE;

  port = g_strdup_printf ("%u", relay_account_get_port (self->saved));

  return g_strcmp0 (relay_provider_get_id (provider), relay_account_get_provider (self->saved)) != 0 ||
         g_strcmp0 (_relay_setup_page_field_text (self, FIELD_HOST),
                    relay_account_get_host (self->saved)) != 0 ||
         (!live && g_strcmp0 (_relay_setup_page_field_text (self, FIELD_PORT), port) != 0) ||
         adw_combo_row_get_selected (self->security_row) != relay_account_get_security (self->saved) ||
         selected_auth (self) != relay_account_get_auth (self->saved) ||
         g_strcmp0 (_relay_setup_page_field_text (self, FIELD_USERNAME),
                    relay_account_get_username (self->saved)) != 0 ||
         g_strcmp0 (_relay_setup_page_field_text (self, FIELD_FROM), relay_account_get_from (self->saved)) != 0 ||
         relay_account_settings_is_changed (self->account_settings, self->saved);
}

/* The form's server, when its fields are valid */
gboolean
_relay_setup_page_form_server (RelaySetupPage  *self,
                               char           **host,
                               guint           *port)
{
  g_autofree char *name = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);

  if (name == NULL || !relay_validate_port (_relay_setup_page_field_text (self, FIELD_PORT), port, NULL))
    return FALSE;

  *host = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
pending_pins_fit (RelaySetupPage *self,
                  const char     *host,
                  guint           port)
{
  return self->pending_pins != NULL && host != NULL && port == self->pending_pins_port &&
         g_ascii_strcasecmp (host, self->pending_pins_host) == 0;
}

static RelayAccount *build_account_base (RelaySetupPage *self);

/* What the settings group shows as trusted: what a Save would keep for
 * the form's server. The test server's own pin is not the user's. */
static void
update_trust (RelaySetupPage *self)
{
  g_autoptr(RelayAccount) base = NULL;
  g_autofree char *host = NULL;
  guint port = 0;

  if (!uses_sandbox (self, _relay_setup_page_selected_provider (self)) &&
      _relay_setup_page_form_server (self, &host, &port))
    base = build_account_base (self);

  relay_account_settings_set_trust (self->account_settings, base);
}

void
_relay_setup_page_update_actions (RelaySetupPage *self)
{
  gboolean dirty;

  update_trust (self);
  dirty = _relay_setup_page_is_dirty (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.save", dirty && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.revert",
                                 dirty && !self->busy && self->saved != NULL);
}

/* The running test server's port and password: both change from one run
 * of Mail Relay to the next */
static void
apply_sandbox_to_form (RelaySetupPage *self)
{
  g_autofree char *port = g_strdup_printf ("%u", relay_sandbox_server_get_starttls_port (self->sandbox));

  _relay_setup_page_set_editable_text (self->host_row, "127.0.0.1");
  _relay_setup_page_set_editable_text (self->port_row, port);
  adw_combo_row_set_selected (self->security_row, RELAY_SECURITY_STARTTLS);
  _relay_setup_page_set_editable_text (self->username_row, relay_sandbox_server_get_username (self->sandbox));
  _relay_setup_page_set_editable_text (self->password_row, relay_sandbox_server_get_password (self->sandbox));
}

static void
apply_provider_to_form (RelaySetupPage *self,
                        RelayProvider  *provider)
{
  g_autofree char *port = g_strdup_printf ("%u", relay_provider_get_port (provider));

  _relay_setup_page_set_editable_text (self->host_row, relay_provider_get_host (provider));
  _relay_setup_page_set_editable_text (self->port_row, port);
  adw_combo_row_set_selected (self->security_row, relay_provider_get_security (provider));
  update_auth_row (self, provider, relay_provider_get_auth (provider));
  if (relay_provider_get_username (provider)[0] != '\0')
    _relay_setup_page_set_editable_text (self->username_row, relay_provider_get_username (provider));

  if (uses_sandbox (self, provider))
    apply_sandbox_to_form (self);
}

typedef struct
{
  RelaySetupPage *self;
  char           *account_id;
  gboolean        for_test;
  gboolean        again;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_clear_object (&data->self);
  g_free (data->account_id);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LookupData, lookup_data_free)

static void lookup_password_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data);

/* @again: a second request, or one the user asked for: no other follows
 * when the keyring does not answer */
static void
start_lookup (RelaySetupPage *self,
              gboolean        for_test,
              gboolean        again)
{
  LookupData *data = g_new0 (LookupData, 1);

  g_assert (self->saved != NULL);

  data->self = g_object_ref (self);
  data->account_id = g_strdup (relay_account_get_id (self->saved));
  data->for_test = for_test;
  data->again = again;
  relay_secrets_lookup_async (data->account_id, RELAY_SECRET_PASSWORD, self->cancellable,
                              lookup_password_cb, data);
}

static void
lookup_password_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(LookupData) data = user_data;
  g_autoptr(GError) error = NULL;
  RelaySetupPage *self = data->self;
  char *secret;

  secret = relay_secrets_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* the answer is about an account the form no longer shows */
  if (self->saved == NULL || g_strcmp0 (relay_account_get_id (self->saved), data->account_id) != 0)
    {
      secret_password_free (secret);
      return;
    }

  /* The look-up the page makes by itself asks once more before it
   * bothers anyone: inside the Flatpak, the Secret portal's answer is
   * now and then lost by the runtime's libsecret (before 0.21.4), and a
   * second request is answered (docs/flatpak.md) */
  if (g_error_matches (error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_TIMEOUT) &&
      !data->for_test && !data->again)
    {
      start_lookup (self, FALSE, TRUE);
      return;
    }

  /* whether a password is saved stays unknown: a test does not run
   * without the one it should sign in with */
  if (error != NULL)
    {
      const char *what = data->for_test ? _("The test did not run: the saved password could not be read.")
                                        : _("The saved password could not be read.");

      _relay_setup_page_show_keyring_problem (self, what, error,
                                              data->for_test ? "setup.test" : "setup.read-password");
      return;
    }

  self->password_known = TRUE;
  self->password_stored = secret != NULL;
  _relay_setup_page_update_password_description (self);

  if (data->for_test)
    _relay_setup_page_test_with_password (self, secret);
  secret_password_free (secret);
}

/* Asks the keyring for the saved account's password: whether there is
 * one, and with @for_test, the connection test then runs with it */
void
_relay_setup_page_lookup_password (RelaySetupPage *self,
                                   gboolean        for_test)
{
  start_lookup (self, for_test, FALSE);
}

static void
read_password_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  /* Try Again: the user is waiting for this one answer */
  if (self->saved != NULL && !self->password_known)
    start_lookup (self, FALSE, TRUE);
}

void
_relay_setup_page_load_form (RelaySetupPage *self)
{
  RelayAccount *account = self->saved;
  g_autofree char *port = NULL;
  guint position;

  self->loading = TRUE;

  memset (self->touched, 0, sizeof self->touched);
  self->show_all_errors = FALSE;
  self->password_stored = FALSE;
  self->password_known = account == NULL;
  self->forget_secret = FALSE;
  g_clear_pointer (&self->secret_consent_host, g_free);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");

  if (account == NULL)
    {
      /* A first run starts with the local test server, which works at
       * once; without it, with the first preset */
      g_autoptr(RelayProvider) first = NULL;

      position = self->sandbox ? relay_provider_get_position ("local") : 0;
      first = g_list_model_get_item (relay_provider_get_all (), position);
      adw_combo_row_set_selected (self->provider_row, position);
      _relay_setup_page_set_editable_text (self->username_row, relay_provider_get_username (first));
      _relay_setup_page_set_editable_text (self->from_row, "");
      apply_provider_to_form (self, first);
      update_guidance (self, first);
      relay_account_settings_load (self->account_settings, NULL, first);
    }
  else
    {
      position = relay_provider_get_position (relay_account_get_provider (account));
      if (position == G_MAXUINT)
        position = relay_provider_get_position ("custom");

      adw_combo_row_set_selected (self->provider_row, position);
      port = g_strdup_printf ("%u", relay_account_get_port (account));
      _relay_setup_page_set_editable_text (self->host_row, relay_account_get_host (account));
      _relay_setup_page_set_editable_text (self->port_row, port);
      adw_combo_row_set_selected (self->security_row, relay_account_get_security (account));
      update_auth_row (self, _relay_setup_page_selected_provider (self), relay_account_get_auth (account));
      _relay_setup_page_set_editable_text (self->username_row, relay_account_get_username (account));
      _relay_setup_page_set_editable_text (self->from_row, relay_account_get_from (account));
      update_guidance (self, _relay_setup_page_selected_provider (self));
      relay_account_settings_load (self->account_settings, account, _relay_setup_page_selected_provider (self));
      if (uses_sandbox (self, _relay_setup_page_selected_provider (self)))
        apply_sandbox_to_form (self);

      _relay_setup_page_lookup_password (self, FALSE);
    }
  relay_senders_group_set_account (self->senders_group, self->store,
                                   account ? relay_account_get_id (account) : NULL);

  self->loading = FALSE;
  self->shown_provider = adw_combo_row_get_selected (self->provider_row);
  _relay_setup_page_refresh_sign_in (self);

  _relay_setup_page_update_password_description (self);
  _relay_setup_page_validate_form (self);
  _relay_setup_page_update_actions (self);
}

/* What was typed or saved for the provider chosen before */
static gboolean
has_credentials (RelaySetupPage *self,
                 RelayProvider  *previous)
{
  const char *username = _relay_setup_page_field_text (self, FIELD_USERNAME);

  if (_relay_setup_page_field_text (self, FIELD_PASSWORD)[0] != '\0' ||
      (self->password_stored && !self->forget_secret))
    return TRUE;

  /* a fixed user name such as SparkPost's is no one's secret */
  return username[0] != '\0' && g_strcmp0 (username, relay_provider_get_username (previous)) != 0;
}

static void
provider_changed_cb (RelaySetupPage *self)
{
  g_autoptr(RelayProvider) previous = NULL;
  RelayProvider *provider;
  gboolean from_sandbox;
  gboolean ask;

  if (self->loading || self->store == NULL)
    return;

  provider = _relay_setup_page_selected_provider (self);
  previous = g_list_model_get_item (relay_provider_get_all (), self->shown_provider);
  from_sandbox = self->sandbox != NULL && self->shown_provider == relay_provider_get_position ("local");

  /* the test server's credentials stay with the test server */
  if (from_sandbox)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      if (g_strcmp0 (_relay_setup_page_field_text (self, FIELD_USERNAME),
                     relay_sandbox_server_get_username (self->sandbox)) == 0)
        gtk_editable_set_text (GTK_EDITABLE (self->username_row), "");
      self->forget_secret = self->password_stored;
    }
  ask = !from_sandbox && previous != NULL && provider != previous && has_credentials (self, previous);
  self->shown_provider = adw_combo_row_get_selected (self->provider_row);

  /* the preset's values are not typed: no error for them until they are,
   * such as Custom's empty server */
  self->loading = TRUE;
  apply_provider_to_form (self, provider);
  self->loading = FALSE;
  self->touched[FIELD_HOST] = self->touched[FIELD_PORT] = FALSE;
  self->show_all_errors = FALSE;

  update_guidance (self, provider);
  /* the new provider's limits, as a Save of its preset would bring them */
  relay_account_settings_set_provider (self->account_settings, provider);
  relay_account_settings_reset_limits (self->account_settings);
  _relay_setup_page_update_password_description (self);
  _relay_setup_page_refresh_sign_in (self);
  _relay_setup_page_validate_form (self);
  _relay_setup_page_update_actions (self);

  if (ask)
    _relay_setup_page_ask_keep_credentials (self, previous, provider);
}

static void
field_changed_cb (RelaySetupPage *self)
{
  if (self->loading)
    return;

  _relay_setup_page_validate_form (self);
  _relay_setup_page_update_actions (self);
}

static void
editable_changed_cb (GtkEditable    *editable,
                     RelaySetupPage *self)
{
  if (self->loading)
    return;

  for (Field field = 0; field < N_FIELDS; field++)
    if (_relay_setup_page_field_row (self, field) == GTK_WIDGET (editable))
      self->touched[field] = TRUE;

  field_changed_cb (self);
}

static void
dismiss_problem_cb (RelaySetupPage *self)
{
  gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);
}

static void
retry_cb (RelaySetupPage *self)
{
  gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (self), self->retry_action, NULL);
}

/* The account as the form's server rows describe it: the saved one
 * (same id) with the form's values, or a new one. A changed provider
 * brings its authentication method and limits; the trust given for
 * another server goes. */
static RelayAccount *
build_account_base (RelaySetupPage *self)
{
  RelayProvider *provider = _relay_setup_page_selected_provider (self);
  g_autoptr(RelayAccount) account = NULL;
  g_autofree char *host = NULL;
  g_autofree char *from = NULL;
  guint port = 0;

  account = self->saved ? relay_account_copy (self->saved) : relay_account_new ();
  if (self->saved == NULL && self->new_name != NULL)
    relay_account_set_name (account, self->new_name);

  if (self->saved == NULL ||
      g_strcmp0 (relay_account_get_provider (self->saved), relay_provider_get_id (provider)) != 0)
    relay_account_apply_provider (account, provider);

  host = relay_validate_host (_relay_setup_page_field_text (self, FIELD_HOST), NULL);
  from = relay_validate_address (_relay_setup_page_field_text (self, FIELD_FROM), NULL);
  relay_validate_port (_relay_setup_page_field_text (self, FIELD_PORT), &port, NULL);
  g_assert (host != NULL && port != 0);

  relay_account_set_host (account, host);
  relay_account_set_port (account, port);
  relay_account_set_security (account, adw_combo_row_get_selected (self->security_row));
  relay_account_set_auth (account, selected_auth (self));
  relay_account_set_username (account, _relay_setup_page_field_text (self, FIELD_USERNAME));
  /* a connection test needs no sender unless it sends a message */
  relay_account_set_from (account, from ? from : "");
  relay_account_set_allow_insecure (account, g_strcmp0 (self->insecure_host, host) == 0 ||
                                             (self->saved != NULL &&
                                              relay_account_get_allow_insecure (self->saved) &&
                                              g_strcmp0 (relay_account_get_host (self->saved), host) == 0));
  /* a CA file, pins or consent saved for another server do not carry over */
  relay_account_forget_old_trust (account, self->saved,
                                  g_strcmp0 (self->insecure_host, host) == 0
                                  ? RELAY_ACCOUNT_TRUST_ALLOW_INSECURE : RELAY_ACCOUNT_TRUST_NONE);

  /* Mail Relay's own server: its certificate, and only that, is trusted */
  if (uses_sandbox (self, provider))
    {
      const char *pins[] = { relay_sandbox_server_get_certificate_sha256 (self->sandbox), NULL };

      relay_account_set_pins (account, pins);
    }
  /* trusted in the test window: for the server it was tested on only */
  else if (pending_pins_fit (self, host, port))
    relay_account_set_pins (account, (const char * const *)self->pending_pins);

  return g_steal_pointer (&account);
}

/* The account as the whole form describes it, the settings group's
 * limits, CA file and pins included */
RelayAccount *
_relay_setup_page_build_account (RelaySetupPage *self)
{
  RelayAccount *account = build_account_base (self);

  relay_account_settings_apply (self->account_settings, account);

  return account;
}

/* A toast's title is markup: @title is plain text */
void
_relay_setup_page_add_toast (RelaySetupPage *self,
                             const char     *title)
{
  relay_toast_show (GTK_WIDGET (self), title);
}

void
_relay_setup_page_emit_saved (RelaySetupPage *self)
{
  g_signal_emit (self, signals[SAVED], 0);
}

static void
revert_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  if (self->busy)
    return;

  _relay_setup_page_load_form (self);
}

static void
relay_setup_page_dispose (GObject *object)
{
  RelaySetupPage *self = (RelaySetupPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->accounts_source, g_source_remove);
  if (self->accounts_monitor != NULL)
    g_file_monitor_cancel (self->accounts_monitor);
  g_clear_object (&self->accounts_monitor);
  if (self->sign_in_row != NULL)
    relay_sign_in_row_stop (self->sign_in_row);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_SETUP_PAGE);
  g_clear_object (&self->store);
  g_clear_object (&self->saved);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending_pins, g_strfreev);
  g_clear_pointer (&self->pending_pins_host, g_free);
  g_clear_pointer (&self->insecure_host, g_free);
  g_clear_pointer (&self->insecure_warned_host, g_free);
  g_clear_pointer (&self->insecure_save_warned_host, g_free);
  g_clear_pointer (&self->secret_consent_host, g_free);
  g_clear_pointer (&self->new_name, g_free);
  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (relay_setup_page_parent_class)->dispose (object);
}

static void
relay_setup_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_setup_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      relay_setup_page_set_store (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_setup_page_class_init (RelaySetupPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_setup_page_dispose;
  object_class->get_property = relay_setup_page_get_property;
  object_class->set_property = relay_setup_page_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, RELAY_TYPE_ACCOUNT_STORE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * RelaySetupPage::saved:
   *
   * The account was written to the keyring and to accounts.json, or
   * another program (mail-relay-cli) saved a new one there.
   */
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (RELAY_TYPE_ACCOUNT_SETTINGS);
  g_type_ensure (RELAY_TYPE_PROVIDER_GROUP);
  g_type_ensure (RELAY_TYPE_SIGN_IN_ROW);
  g_type_ensure (RELAY_TYPE_SENDERS_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-setup-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, problem_revealer);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, problem_label);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, guidance_group);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, host_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, security_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, auth_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, server_error_label);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, account_group);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, sign_in_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, from_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, account_error_label);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, send_to_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, account_settings);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, senders_group);
  gtk_widget_class_bind_template_callback (widget_class, provider_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, dismiss_problem_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_cb);

  gtk_widget_class_install_action (widget_class, "setup.save", NULL, _relay_setup_page_save_action);
  gtk_widget_class_install_action (widget_class, "setup.revert", NULL, revert_action);
  gtk_widget_class_install_action (widget_class, "setup.test", NULL, _relay_setup_page_test_action);
  gtk_widget_class_install_action (widget_class, "setup.read-password", NULL, read_password_action);
  _relay_setup_page_class_sign_in_init (widget_class);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "setup.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "setup.test", NULL);
}

/* The senders were saved: a later Save keeps them */
static void
senders_changed_cb (RelaySetupPage *self)
{
  RelayAccount *account = self->saved ? relay_account_store_lookup (self->store, relay_account_get_id (self->saved))
                                      : NULL;

  if (account != NULL)
    relay_account_set_senders (self->saved, relay_account_get_senders (account));
}

/* The password row's button that shows the password: a flat button with
 * an eye */
static GtkWidget *
find_reveal_button (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;
      GtkWidget *icon = GTK_IS_BUTTON (child) ? gtk_button_get_child (GTK_BUTTON (child)) : NULL;

      if (GTK_IS_IMAGE (icon) && g_str_has_prefix (gtk_image_get_icon_name (GTK_IMAGE (icon)) ?: "", "view-"))
        return child;
      if ((found = find_reveal_button (child)) != NULL)
        return found;
    }

  return NULL;
}

/* libadwaita 1.2 leaves the password row's reveal button unnamed, and a
 * screen reader says “GtkImage” */
static void
name_reveal_button (RelaySetupPage *self)
{
  GtkWidget *button = find_reveal_button (GTK_WIDGET (self->password_row));
  GtkEditable *text = gtk_editable_get_delegate (GTK_EDITABLE (self->password_row));
  const char *name;

  if (button == NULL || !GTK_IS_TEXT (text))
    return;

  name = gtk_text_get_visibility (GTK_TEXT (text)) ? _("Hide Password") : _("Show Password");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_widget_set_tooltip_text (button, name);
}

static void
relay_setup_page_init (RelaySetupPage *self)
{
  GListModel *providers = relay_provider_get_all ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < g_list_model_get_n_items (providers); i++)
    {
      g_autoptr(RelayProvider) provider = g_list_model_get_item (providers, i);

      gtk_string_list_append (names, relay_provider_get_name (provider));
    }

  self->loading = TRUE;
  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (names));
  self->loading = FALSE;

  for (Field field = 0; field < N_FIELDS; field++)
    g_signal_connect (_relay_setup_page_field_row (self, field), "changed",
                      G_CALLBACK (editable_changed_cb), self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.save", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.revert", FALSE);
  _relay_setup_page_sign_in_init (self);
  g_signal_connect_object (self->senders_group, "changed", G_CALLBACK (senders_changed_cb), self, G_CONNECT_SWAPPED);
  relay_accessible_name_buttons_by_label (GTK_WIDGET (self));
  name_reveal_button (self);
  g_signal_connect_object (gtk_editable_get_delegate (GTK_EDITABLE (self->password_row)), "notify::visibility",
                           G_CALLBACK (name_reveal_button), self, G_CONNECT_SWAPPED);
}

RelayAccountStore *
relay_setup_page_get_store (RelaySetupPage *self)
{
  g_return_val_if_fail (RELAY_IS_SETUP_PAGE (self), NULL);

  return self->store;
}

/**
 * relay_setup_page_set_store:
 *
 * Shows the store's default account, or a new one from the first preset.
 */
void
relay_setup_page_set_store (RelaySetupPage    *self,
                            RelayAccountStore *store)
{
  RelayAccount *account;

  g_return_if_fail (RELAY_IS_SETUP_PAGE (self));
  g_return_if_fail (!store || RELAY_IS_ACCOUNT_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  account = store ? relay_account_store_get_default (store) : NULL;
  g_clear_object (&self->saved);
  if (account != NULL)
    self->saved = relay_account_copy (account);

  if (store != NULL && relay_account_store_get_corrupt_path (store) != NULL)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("Your saved settings could not be read (%s). The file was kept as %s, and the form starts afresh."),
                                 relay_account_store_get_corrupt_reason (store),
                                 relay_account_store_get_corrupt_path (store));
      /* the secrets are kept, not orphaned without a word */
      if (relay_account_store_get_corrupt_ids (store) != NULL &&
          relay_account_store_get_corrupt_ids (store)[0] != NULL)
        {
          g_autofree char *first = g_steal_pointer (&message);

          message = g_strconcat (first, " ",
                                 _("The keyring still keeps its password or sign-in: putting the file back brings the account back."),
                                 NULL);
        }
      relay_setup_page_show_problem (self, message);
    }

  _relay_setup_page_load_form (self);
  _relay_setup_page_watch_accounts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

/**
 * relay_setup_page_set_account:
 * @id: (nullable): the id of an account of the page's store
 * @new_name: (nullable): without @id, the name of the new account the
 *   form creates when saved
 *
 * Shows the account with @id in the form, or an empty form for a new
 * account. When the form shows that account already, its edits are kept:
 * only the name and senders (changed beside the form) are taken anew.
 */
void
relay_setup_page_set_account (RelaySetupPage *self,
                              const char     *id,
                              const char     *new_name)
{
  RelayAccount *account;

  g_return_if_fail (RELAY_IS_SETUP_PAGE (self));
  g_return_if_fail (self->store != NULL);

  /* the new account shown already: what was typed stays */
  if (id == NULL && new_name != NULL && self->saved == NULL && g_strcmp0 (new_name, self->new_name) == 0)
    return;

  account = id ? relay_account_store_lookup (self->store, id) : NULL;
  if (account != NULL && self->saved != NULL && g_str_equal (id, relay_account_get_id (self->saved)))
    {
      relay_account_set_name (self->saved, relay_account_get_name (account));
      relay_account_set_senders (self->saved, relay_account_get_senders (account));
      relay_senders_group_set_account (self->senders_group, self->store, id);
      return;
    }

  g_clear_object (&self->saved);
  if (account != NULL)
    self->saved = relay_account_copy (account);
  g_free (self->new_name);
  self->new_name = account == NULL ? g_strdup (new_name) : NULL;
  g_clear_pointer (&self->pending_pins, g_strfreev);
  g_clear_pointer (&self->pending_pins_host, g_free);
  _relay_setup_page_load_form (self);
}

/**
 * relay_setup_page_has_changes:
 *
 * Returns: whether the form holds what Save would keep and another
 *   account shown instead would lose: a change, or a new account
 */
gboolean
relay_setup_page_has_changes (RelaySetupPage *self)
{
  g_return_val_if_fail (RELAY_IS_SETUP_PAGE (self), FALSE);

  /* the first run's form, with no account yet, is no one's change */
  return self->store != NULL && (self->saved != NULL || self->new_name != NULL) &&
         _relay_setup_page_is_dirty (self);
}

/**
 * relay_setup_page_set_sandbox:
 * @sandbox: (nullable): the running local test server
 *
 * Lets the “Local test server” preset point at @sandbox. Call before
 * relay_setup_page_set_store().
 */
void
relay_setup_page_set_sandbox (RelaySetupPage     *self,
                              RelaySandboxServer *sandbox)
{
  g_return_if_fail (RELAY_IS_SETUP_PAGE (self));
  g_return_if_fail (!sandbox || RELAY_IS_SANDBOX_SERVER (sandbox));

  g_set_object (&self->sandbox, sandbox);
}

/**
 * relay_setup_page_show_problem:
 *
 * Shows @message above the form until the user dismisses it. An error's
 * message may carry a server's words: control and format characters are
 * replaced.
 */
void
relay_setup_page_show_problem (RelaySetupPage *self,
                               const char     *message)
{
  g_autofree char *shown = NULL;

  g_return_if_fail (RELAY_IS_SETUP_PAGE (self));

  shown = relay_text_for_display_lines (message, -1);
  gtk_label_set_text (self->problem_label, shown);
  gtk_widget_set_visible (self->retry_button, FALSE);
  gtk_revealer_set_reveal_child (self->problem_revealer, TRUE);
}

/* What the keyring said, after @what failed; Try Again runs @retry_action
 * (a static string) where trying again may help: the keyring did not
 * answer in time, or was not there */
void
_relay_setup_page_show_keyring_problem (RelaySetupPage *self,
                                        const char     *what,
                                        const GError   *error,
                                        const char     *retry_action)
{
  g_autofree char *message = g_strdup_printf ("%s %s", what, error->message);

  relay_setup_page_show_problem (self, message);
  if (error->domain == RELAY_SECRETS_ERROR)
    {
      self->retry_action = retry_action;
      gtk_widget_set_visible (self->retry_button, TRUE);
    }
}
