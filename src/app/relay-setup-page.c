/* relay-setup-page.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-accessible.h"
#include "relay-oauth-account.h"
#include "relay-probe-view.h"
#include "relay-sasl.h"
#include "relay-secrets.h"
#include "relay-setup-page.h"
#include "relay-text.h"
#include "relay-validate.h"

typedef enum
{
  FIELD_HOST,
  FIELD_PORT,
  FIELD_USERNAME,
  FIELD_PASSWORD,
  FIELD_FROM,
  N_FIELDS
} Field;

typedef enum
{
  SIGN_IN_UNAVAILABLE,  /* no client id configured */
  SIGN_IN_SIGNED_OUT,
  SIGN_IN_CHECKING,
  SIGN_IN_WAITING,      /* for the browser */
  SIGN_IN_LINKED,
} SignInState;

struct _RelaySetupPage
{
  AdwBin              parent_instance;

  RelayAccountStore  *store;
  RelayAccount       *saved;
  GCancellable       *cancellable;

  guint               touched[N_FIELDS];
  guint               show_all_errors : 1;
  guint               loading : 1;
  guint               busy : 1;
  guint               password_stored : 1;
  /* the saved password belonged to the provider chosen before: the user
   * cleared it, and Save deletes it */
  guint               forget_secret : 1;

  GtkRevealer        *problem_revealer;
  GtkLabel           *problem_label;
  AdwComboRow        *provider_row;
  AdwPreferencesGroup *guidance_group;
  AdwExpanderRow     *pros_cons_row;
  AdwActionRow       *pros_row;
  AdwActionRow       *cons_row;
  AdwActionRow       *limits_row;
  AdwActionRow       *sharing_row;
  GtkImage           *sharing_icon;
  AdwEntryRow        *host_row;
  AdwEntryRow        *port_row;
  AdwComboRow        *security_row;
  AdwComboRow        *auth_row;
  AdwActionRow       *pin_row;
  GtkLabel           *server_error_label;
  AdwPreferencesGroup *account_group;
  AdwEntryRow        *username_row;
  AdwEntryRow        *password_row;
  AdwActionRow       *sign_in_row;
  GtkWidget          *copy_link_button;
  GtkWidget          *cancel_sign_in_button;
  GtkWidget          *sign_in_button;
  GtkWidget          *sign_out_button;
  AdwEntryRow        *from_row;
  GtkLabel           *account_error_label;
  AdwEntryRow        *send_to_row;

  /* fingerprints trusted before the account was saved, and the server
   * (host and port) they were trusted for */
  GStrv               pending_pins;
  char               *pending_pins_host;
  guint               pending_pins_port;
  /* the user agreed to send the password unencrypted to this host */
  char               *insecure_host;
  char               *insecure_warned_host;
  char               *insecure_save_warned_host;
  /* the user agreed that the saved password also goes to this host */
  char               *secret_consent_host;
  /* the sign-in methods auth_row offers, in its order */
  RelayAuthMethod     auth_methods[5];
  guint               n_auth_methods;
  /* the local test server, for the “local” preset */
  RelaySandboxServer *sandbox;
  guint               shown_provider;

  /* signing in through the browser */
  SignInState         sign_in_state;
  RelayOAuthFlow     *flow;
  GCancellable       *sign_in_cancellable;
  char               *sign_in_note;

  /* accounts.json, changed by another program (mail-relay-cli) */
  GFileMonitor       *accounts_monitor;
  guint               accounts_source;
};

G_DEFINE_FINAL_TYPE (RelaySetupPage, relay_setup_page, ADW_TYPE_BIN)

static void refresh_sign_in (RelaySetupPage *self);
static gboolean needs_insecure_consent (RelaySetupPage *self);
static void ask_insecure_consent (RelaySetupPage *self,
                                  const char     *host,
                                  const char     *action);

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

static GtkWidget *
field_row (RelaySetupPage *self,
           Field           field)
{
  switch (field)
    {
    case FIELD_HOST:     return GTK_WIDGET (self->host_row);
    case FIELD_PORT:     return GTK_WIDGET (self->port_row);
    case FIELD_USERNAME: return GTK_WIDGET (self->username_row);
    case FIELD_PASSWORD: return GTK_WIDGET (self->password_row);
    case FIELD_FROM:     return GTK_WIDGET (self->from_row);
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

static const char *
field_text (RelaySetupPage *self,
            Field           field)
{
  return gtk_editable_get_text (GTK_EDITABLE (field_row (self, field)));
}

static RelayProvider *
selected_provider (RelaySetupPage *self)
{
  g_autoptr(RelayProvider) provider = NULL;

  guint position = adw_combo_row_get_selected (self->provider_row);

  if (position == GTK_INVALID_LIST_POSITION)
    position = relay_provider_get_position ("custom");

  provider = g_list_model_get_item (relay_provider_get_all (), position);
  return provider;
}

static void
set_editable_text (AdwEntryRow *row,
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

static char *
join_lines (const char * const *items)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; items[i]; i++)
    g_string_append_printf (text, "%s• %s", i ? "\n" : "", items[i]);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Appends @line, which it frees, on a line of its own */
static void
append_line (GString *text,
             char    *line)
{
  g_string_append_printf (text, "%s%s", text->len ? "\n" : "", line);
  g_free (line);
}

static void
update_guidance (RelaySetupPage *self,
                 RelayProvider  *provider)
{
  const char * const *pros = relay_provider_get_pros (provider);
  const char * const *cons = relay_provider_get_cons (provider);
  g_autofree char *pros_text = join_lines (pros);
  g_autofree char *cons_text = join_lines (cons);
  g_autoptr(GString) limits = g_string_new (NULL);
  gboolean sign_in = relay_provider_uses_sign_in (provider);

  adw_preferences_group_set_title (self->guidance_group, relay_provider_get_name (provider));
  adw_preferences_group_set_description (self->guidance_group, relay_provider_get_summary (provider));

  adw_action_row_set_subtitle (self->pros_row, pros_text);
  gtk_widget_set_visible (GTK_WIDGET (self->pros_row), pros[0] != NULL);
  adw_action_row_set_subtitle (self->cons_row, cons_text);
  gtk_widget_set_visible (GTK_WIDGET (self->cons_row), cons[0] != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->pros_cons_row), pros[0] != NULL || cons[0] != NULL);

  if (relay_provider_get_max_messages (provider) > 0)
    append_line (limits, relay_format_limit (relay_provider_get_max_messages (provider),
                                             relay_provider_get_message_window (provider),
                                             FALSE));
  if (relay_provider_get_max_recipients (provider) > 0)
    append_line (limits, relay_format_limit (relay_provider_get_max_recipients (provider),
                                             relay_provider_get_recipient_window (provider),
                                             TRUE));
  if (relay_provider_get_max_connections (provider) > 0)
    append_line (limits, g_strdup_printf (ngettext ("At most %u connection at a time",
                                                    "At most %u connections at a time",
                                                    relay_provider_get_max_connections (provider)),
                                          relay_provider_get_max_connections (provider)));
  if (relay_provider_get_messages_per_connection (provider) > 0)
    append_line (limits, g_strdup_printf (ngettext ("A new connection after every message",
                                                    "A new connection after every %u messages",
                                                    relay_provider_get_messages_per_connection (provider)),
                                          relay_provider_get_messages_per_connection (provider)));
  adw_action_row_set_subtitle (self->limits_row, limits->str);
  gtk_widget_set_visible (GTK_WIDGET (self->limits_row), limits->len > 0);

  adw_action_row_set_subtitle (self->sharing_row, relay_provider_get_sharing_text (provider));
  gtk_image_set_from_icon_name (self->sharing_icon,
                                relay_provider_get_sharing (provider) == RELAY_SHARING_PER_MAILBOX
                                ? "system-lock-screen-symbolic" : "system-users-symbolic");

  gtk_widget_set_visible (GTK_WIDGET (self->password_row), !sign_in);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_row), sign_in);

  if (relay_provider_get_username_hint (provider)[0] != '\0')
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->username_row),
                                 relay_provider_get_username_hint (provider));
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->username_row), NULL);
}

static void
update_password_description (RelaySetupPage *self)
{
  if (relay_provider_uses_sign_in (selected_provider (self)))
    adw_preferences_group_set_description (self->account_group,
                                           _("The sign-in is kept in your keyring, never in a file."));
  else
    adw_preferences_group_set_description (self->account_group,
                                           self->password_stored && !self->forget_secret
                                           ? _("A password is kept in your keyring. Type a new one only to change it.")
                                           : _("The password is kept in your keyring, never in a file."));
}

/* Checks one field; the message names it. Returns NULL when it is fine. */
static char *
check_field (RelaySetupPage *self,
             Field           field)
{
  g_autoptr(GError) error = NULL;
  const char *text = field_text (self, field);
  g_autofree char *normalized = NULL;

  switch (field)
    {
    case FIELD_HOST:
      normalized = relay_validate_host (text, &error);
      break;
    case FIELD_PORT:
      relay_validate_port (text, NULL, &error);
      break;
    case FIELD_USERNAME:
      relay_validate_username (text, &error);
      break;
    case FIELD_PASSWORD:
      if (gtk_widget_get_visible (field_row (self, field)))
        relay_validate_password (text, &error);
      break;
    case FIELD_FROM:
      normalized = relay_validate_address (text, &error);
      break;
    case N_FIELDS:
    default:
      g_assert_not_reached ();
    }

  return error ? g_strdup (error->message) : NULL;
}

static void
show_errors (GtkLabel  *label,
             GString   *messages)
{
  gtk_label_set_text (label, messages->str);
  gtk_widget_set_visible (GTK_WIDGET (label), messages->len > 0);
}

/* Marks the bad rows and lists what is wrong under their group.
 * Returns the first bad row, or NULL when the form is valid. */
static GtkWidget *
validate_form (RelaySetupPage *self)
{
  g_autoptr(GString) server = g_string_new (NULL);
  g_autoptr(GString) account = g_string_new (NULL);
  GtkWidget *first_bad = NULL;

  for (Field field = 0; field < N_FIELDS; field++)
    {
      g_autofree char *message = check_field (self, field);
      GtkWidget *row = field_row (self, field);
      gboolean shown = message != NULL && (self->touched[field] || self->show_all_errors);
      GString *list = field <= FIELD_PORT ? server : account;

      if (message != NULL && first_bad == NULL)
        first_bad = row;

      if (shown)
        {
          gtk_widget_add_css_class (row, "error");
          g_string_append_printf (list, "%s%s", list->len ? "\n" : "", message);
          gtk_accessible_update_state (GTK_ACCESSIBLE (row),
                                       GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                       -1);
          gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                          -1);
        }
      else
        {
          gtk_widget_remove_css_class (row, "error");
          gtk_accessible_reset_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID);
          gtk_accessible_reset_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
        }
    }

  show_errors (self->server_error_label, server);
  show_errors (self->account_error_label, account);

  return first_bad;
}

static gboolean
uses_sandbox (RelaySetupPage *self,
              RelayProvider  *provider)
{
  return self->sandbox != NULL && g_str_equal (relay_provider_get_id (provider), "local");
}

static gboolean
is_dirty (RelaySetupPage *self)
{
  RelayProvider *provider = selected_provider (self);
  g_autofree char *port = NULL;

  /* the test server's port and password change with every run */
  gboolean live = uses_sandbox (self, provider);

  if ((!live && field_text (self, FIELD_PASSWORD)[0] != '\0') || self->pending_pins != NULL ||
      self->forget_secret)
    return TRUE;

  if (self->saved == NULL)
    return TRUE;

  port = g_strdup_printf ("%u", relay_account_get_port (self->saved));

  return g_strcmp0 (relay_provider_get_id (provider), relay_account_get_provider (self->saved)) != 0 ||
         g_strcmp0 (field_text (self, FIELD_HOST), relay_account_get_host (self->saved)) != 0 ||
         (!live && g_strcmp0 (field_text (self, FIELD_PORT), port) != 0) ||
         adw_combo_row_get_selected (self->security_row) != relay_account_get_security (self->saved) ||
         selected_auth (self) != relay_account_get_auth (self->saved) ||
         g_strcmp0 (field_text (self, FIELD_USERNAME), relay_account_get_username (self->saved)) != 0 ||
         g_strcmp0 (field_text (self, FIELD_FROM), relay_account_get_from (self->saved)) != 0;
}

/* The form's server, when its fields are valid */
static gboolean
form_server (RelaySetupPage  *self,
             char           **host,
             guint           *port)
{
  g_autofree char *name = relay_validate_host (field_text (self, FIELD_HOST), NULL);

  if (name == NULL || !relay_validate_port (field_text (self, FIELD_PORT), port, NULL))
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

/* The pins that a Save would keep for the form's server: trusted in the
 * test window, or saved for this provider, host and port */
static const char * const *
form_pins (RelaySetupPage *self)
{
  static const char * const none[] = { NULL };
  RelayProvider *provider = selected_provider (self);
  g_autofree char *host = NULL;
  guint port = 0;

  if (uses_sandbox (self, provider) || !form_server (self, &host, &port))
    return none;

  if (pending_pins_fit (self, host, port))
    return (const char * const *)self->pending_pins;

  if (self->saved != NULL &&
      g_strcmp0 (relay_account_get_provider (self->saved), relay_provider_get_id (provider)) == 0 &&
      g_ascii_strcasecmp (relay_account_get_host (self->saved), host) == 0 &&
      relay_account_get_port (self->saved) == port)
    return relay_account_get_pins (self->saved);

  return none;
}

/* Says what a pin means where it applies */
static void
update_pin_row (RelaySetupPage *self)
{
  const char * const *pins = form_pins (self);
  g_autofree char *host = NULL;
  g_autofree char *fingerprints = NULL;
  g_autofree char *text = NULL;
  guint port = 0;

  gtk_widget_set_visible (GTK_WIDGET (self->pin_row), pins[0] != NULL);
  if (pins[0] == NULL || !form_server (self, &host, &port))
    return;

  fingerprints = g_strjoinv (", ", (char **)pins);
  if (pins[1] == NULL)
    /* Translators: %s is a server name, %u its port, the last %s a SHA-256 fingerprint */
    text = g_strdup_printf (_("Only this certificate is accepted for %s, port %u; any other is refused, "
                              "even one that a certificate authority vouches for. SHA-256: %s"),
                            host, port, fingerprints);
  else
    /* Translators: %s is a server name, %u its port, the last %s a list of SHA-256 fingerprints */
    text = g_strdup_printf (_("Only these certificates are accepted for %s, port %u; any other is refused, "
                              "even one that a certificate authority vouches for. SHA-256: %s"),
                            host, port, fingerprints);
  adw_action_row_set_subtitle (self->pin_row, text);
}

static void
update_actions (RelaySetupPage *self)
{
  gboolean dirty = is_dirty (self);

  update_pin_row (self);

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

  set_editable_text (self->host_row, "127.0.0.1");
  set_editable_text (self->port_row, port);
  adw_combo_row_set_selected (self->security_row, RELAY_SECURITY_STARTTLS);
  set_editable_text (self->username_row, relay_sandbox_server_get_username (self->sandbox));
  set_editable_text (self->password_row, relay_sandbox_server_get_password (self->sandbox));
}

static void
apply_provider_to_form (RelaySetupPage *self,
                        RelayProvider  *provider)
{
  g_autofree char *port = g_strdup_printf ("%u", relay_provider_get_port (provider));

  set_editable_text (self->host_row, relay_provider_get_host (provider));
  set_editable_text (self->port_row, port);
  adw_combo_row_set_selected (self->security_row, relay_provider_get_security (provider));
  update_auth_row (self, provider, relay_provider_get_auth (provider));
  if (relay_provider_get_username (provider)[0] != '\0')
    set_editable_text (self->username_row, relay_provider_get_username (provider));

  if (uses_sandbox (self, provider))
    apply_sandbox_to_form (self);
}

static void
lookup_password_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  char *secret;

  secret = relay_secrets_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL)
    relay_setup_page_show_problem (self, error->message);

  self->password_stored = secret != NULL;
  secret_password_free (secret);
  update_password_description (self);
}

static void
load_form (RelaySetupPage *self)
{
  RelayAccount *account = self->saved;
  g_autofree char *port = NULL;
  guint position;

  self->loading = TRUE;

  memset (self->touched, 0, sizeof self->touched);
  self->show_all_errors = FALSE;
  self->password_stored = FALSE;
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
      set_editable_text (self->username_row, relay_provider_get_username (first));
      set_editable_text (self->from_row, "");
      apply_provider_to_form (self, first);
      update_guidance (self, first);
    }
  else
    {
      position = relay_provider_get_position (relay_account_get_provider (account));
      if (position == G_MAXUINT)
        position = relay_provider_get_position ("custom");

      adw_combo_row_set_selected (self->provider_row, position);
      port = g_strdup_printf ("%u", relay_account_get_port (account));
      set_editable_text (self->host_row, relay_account_get_host (account));
      set_editable_text (self->port_row, port);
      adw_combo_row_set_selected (self->security_row, relay_account_get_security (account));
      update_auth_row (self, selected_provider (self), relay_account_get_auth (account));
      set_editable_text (self->username_row, relay_account_get_username (account));
      set_editable_text (self->from_row, relay_account_get_from (account));
      update_guidance (self, selected_provider (self));
      if (uses_sandbox (self, selected_provider (self)))
        apply_sandbox_to_form (self);

      relay_secrets_lookup_async (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                                  self->cancellable, lookup_password_cb, g_object_ref (self));
    }

  self->loading = FALSE;
  self->shown_provider = adw_combo_row_get_selected (self->provider_row);
  refresh_sign_in (self);

  update_password_description (self);
  validate_form (self);
  update_actions (self);
}

/* What was typed or saved for the provider chosen before */
static gboolean
has_credentials (RelaySetupPage *self,
                 RelayProvider  *previous)
{
  const char *username = field_text (self, FIELD_USERNAME);

  if (field_text (self, FIELD_PASSWORD)[0] != '\0' || (self->password_stored && !self->forget_secret))
    return TRUE;

  /* a fixed user name such as SparkPost's is no one's secret */
  return username[0] != '\0' && g_strcmp0 (username, relay_provider_get_username (previous)) != 0;
}

static void
keep_credentials_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     RelaySetupPage   *self)
{
  RelayProvider *provider = selected_provider (self);

  if (g_strcmp0 (response, "keep") == 0)
    {
      g_free (self->secret_consent_host);
      self->secret_consent_host = relay_validate_host (field_text (self, FIELD_HOST), NULL);
      return;
    }

  /* cleared, and the saved password is deleted with the next Save */
  self->loading = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  set_editable_text (self->username_row, relay_provider_get_username (provider));
  self->loading = FALSE;
  self->touched[FIELD_USERNAME] = self->touched[FIELD_PASSWORD] = FALSE;
  self->forget_secret = self->password_stored;

  update_password_description (self);
  refresh_sign_in (self);
  validate_form (self);
  update_actions (self);
}

/* Another provider's password must not reach this one's server unasked */
static void
ask_keep_credentials (RelaySetupPage *self,
                      RelayProvider  *previous,
                      RelayProvider  *provider)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *body = NULL;
  const char *host = field_text (self, FIELD_HOST);
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

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Keep the User Name and Password?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "clear", _("_Clear Them"),
                                    "keep", _("_Keep Them"),
                                    NULL);
  relay_accessible_name_buttons_by_label (dialog);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "clear",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "clear");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "clear");
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (keep_credentials_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
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

  provider = selected_provider (self);
  previous = g_list_model_get_item (relay_provider_get_all (), self->shown_provider);
  from_sandbox = self->sandbox != NULL && self->shown_provider == relay_provider_get_position ("local");

  /* the test server's credentials stay with the test server */
  if (from_sandbox)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      if (g_strcmp0 (field_text (self, FIELD_USERNAME), relay_sandbox_server_get_username (self->sandbox)) == 0)
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
  update_password_description (self);
  refresh_sign_in (self);
  validate_form (self);
  update_actions (self);

  if (ask)
    ask_keep_credentials (self, previous, provider);
}

static void
field_changed_cb (RelaySetupPage *self)
{
  if (self->loading)
    return;

  validate_form (self);
  update_actions (self);
}

static void
editable_changed_cb (GtkEditable    *editable,
                     RelaySetupPage *self)
{
  if (self->loading)
    return;

  for (Field field = 0; field < N_FIELDS; field++)
    if (field_row (self, field) == GTK_WIDGET (editable))
      self->touched[field] = TRUE;

  field_changed_cb (self);
}

static void
dismiss_problem_cb (RelaySetupPage *self)
{
  gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);
}

/* The account as the form describes it: the saved one (same id) with
 * the form's values, or a new one. A changed provider brings its
 * authentication method and limits. */
static RelayAccount *
build_account (RelaySetupPage *self)
{
  RelayProvider *provider = selected_provider (self);
  g_autoptr(RelayAccount) account = NULL;
  g_autofree char *host = NULL;
  g_autofree char *from = NULL;
  guint port = 0;

  account = self->saved ? relay_account_copy (self->saved) : relay_account_new ();

  if (self->saved == NULL ||
      g_strcmp0 (relay_account_get_provider (self->saved), relay_provider_get_id (provider)) != 0)
    relay_account_apply_provider (account, provider);

  host = relay_validate_host (field_text (self, FIELD_HOST), NULL);
  from = relay_validate_address (field_text (self, FIELD_FROM), NULL);
  relay_validate_port (field_text (self, FIELD_PORT), &port, NULL);
  g_assert (host != NULL && port != 0);

  relay_account_set_host (account, host);
  relay_account_set_port (account, port);
  relay_account_set_security (account, adw_combo_row_get_selected (self->security_row));
  relay_account_set_auth (account, selected_auth (self));
  relay_account_set_username (account, field_text (self, FIELD_USERNAME));
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

/* A toast's title is markup: @title is plain text */
static void
add_toast (RelaySetupPage *self,
           const char     *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *markup = NULL;

  if (overlay == NULL)
    return;

  markup = g_markup_escape_text (title, -1);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (markup));
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
      update_actions (self);
      return;
    }

  g_set_object (&self->saved, account);
  g_clear_pointer (&self->pending_pins, g_strfreev);
  g_clear_pointer (&self->pending_pins_host, g_free);
  self->busy = FALSE;

  /* shows the values as stored, such as a host name in ASCII form; the
   * keyring is asked again, but what it holds for this account is known */
  load_form (self);
  if (stored)
    {
      self->password_stored = TRUE;
      update_password_description (self);
    }

  add_toast (self, _("Settings saved"));
  g_signal_emit (self, signals[SAVED], 0);
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
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Nothing is saved, and the form keeps what was typed */
      relay_setup_page_show_problem (self, error->message);
      self->busy = FALSE;
      update_actions (self);
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
  const char *password = field_text (self, FIELD_PASSWORD);

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
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      relay_setup_page_show_problem (self, error->message);
      self->busy = FALSE;
      update_actions (self);
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
      self->secret_consent_host = relay_validate_host (field_text (self, FIELD_HOST), NULL);
      gtk_widget_activate_action (GTK_WIDGET (self), "setup.save", NULL);
    }
  else if (g_strcmp0 (response, "type") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
ask_secret_for_new_host (RelaySetupPage *self,
                         const char     *host)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: two server names */
  body = g_strdup_printf (_("The password in your keyring was saved for %s. Send it to %s from now on, "
                            "or type the password for %s first?"),
                          relay_account_get_host (self->saved), host, host);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Use the Saved Password for the New Server?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "type", _("_Type a New One"),
                                    "keep", _("_Use It"),
                                    NULL);
  relay_accessible_name_buttons_by_label (dialog);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "type",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "type");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (secret_for_new_host_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  g_autoptr(RelayAccount) account = NULL;
  g_autofree char *host = NULL;
  gboolean typed;
  GtkWidget *first_bad;

  if (self->busy || self->store == NULL)
    return;

  self->show_all_errors = TRUE;
  if ((first_bad = validate_form (self)) != NULL)
    {
      gtk_widget_grab_focus (first_bad);
      return;
    }

  host = relay_validate_host (field_text (self, FIELD_HOST), NULL);
  typed = gtk_widget_get_visible (GTK_WIDGET (self->password_row)) &&
          field_text (self, FIELD_PASSWORD)[0] != '\0';

  /* a saved password goes only to the server it was saved for, unless the user says so */
  if (!typed && self->password_stored && !self->forget_secret && self->saved != NULL &&
      gtk_widget_get_visible (GTK_WIDGET (self->password_row)) &&
      field_text (self, FIELD_USERNAME)[0] != '\0' && !stored_secret_fits (self, host))
    {
      ask_secret_for_new_host (self, host);
      return;
    }

  /* a password in the clear to another computer whenever mail is sent:
   * saved only when asked twice, as for Test Connection */
  if (needs_insecure_consent (self))
    {
      if (g_strcmp0 (self->insecure_save_warned_host, host) != 0)
        {
          ask_insecure_consent (self, host, "save");
          return;
        }

      g_free (self->insecure_host);
      self->insecure_host = g_strdup (host);
    }

  account = build_account (self);

  self->busy = TRUE;
  update_actions (self);
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
  if (self->saved != NULL && !is_dirty (self))
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
      add_toast (self, _("The certificate is trusted for this account"));
      update_actions (self);
      return;
    }

  /* the test window ran on the form's server */
  if (!form_server (self, &host, &port))
    return;

  g_strfreev (self->pending_pins);
  self->pending_pins = g_strdupv ((char **)pins);
  g_free (self->pending_pins_host);
  self->pending_pins_host = g_steal_pointer (&host);
  self->pending_pins_port = port;

  add_toast (self, _("The certificate will be trusted once the account is saved"));
  update_actions (self);
}

static void
open_probe_view (RelaySetupPage *self,
                 const char     *secret,
                 const char     *sign_in_note)
{
  g_autoptr(RelayAccount) account = build_account (self);
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

static void
lookup_for_test_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  char *secret;

  secret = relay_secrets_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* without the password the test still shows everything up to sign-in */
  if (error != NULL)
    relay_setup_page_show_problem (self, error->message);

  open_probe_view (self, secret,
                   secret == NULL ? _("No password is saved for this account: type it, then test again.")
                                  : NULL);
  secret_password_free (secret);
}

/* Signing in through the browser (Gmail, Microsoft 365) */

static void
update_sign_in_row (RelaySetupPage *self)
{
  RelayProvider *provider = selected_provider (self);
  SignInState state = self->sign_in_state;
  g_autofree char *subtitle = NULL;
  const char *service = relay_provider_get_oauth_service (provider);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->sign_in_row),
                                 g_strcmp0 (service, "microsoft") == 0 ? _("Sign In With Microsoft")
                                                                       : _("Sign In With Google"));

  switch (state)
    {
    case SIGN_IN_UNAVAILABLE:
      subtitle = g_strdup (self->sign_in_note);
      break;
    case SIGN_IN_CHECKING:
      subtitle = g_strdup (_("Checking the keyring…"));
      break;
    case SIGN_IN_WAITING:
      subtitle = g_strdup_printf ("%s%s%s", _("Waiting for you to sign in in the browser…"),
                                  self->sign_in_note ? "\n" : "",
                                  self->sign_in_note ? self->sign_in_note : "");
      break;
    case SIGN_IN_LINKED:
      {
        /* the address the sign-in server's token named */
        g_autofree char *address = relay_text_for_display (field_text (self, FIELD_USERNAME), -1);

        subtitle = g_strdup_printf (_("Signed in as %s"), address);
      }
      break;
    case SIGN_IN_SIGNED_OUT:
    default:
      subtitle = g_strdup (self->sign_in_note ? self->sign_in_note
                                              : _("No password is needed: you sign in on the provider’s own page, and Mail Relay keeps the access it grants in your keyring."));
      break;
    }

  adw_action_row_set_subtitle (self->sign_in_row, subtitle);

  gtk_widget_set_visible (self->sign_in_button, state != SIGN_IN_WAITING && state != SIGN_IN_LINKED);
  gtk_widget_set_visible (self->copy_link_button, state == SIGN_IN_WAITING);
  gtk_widget_set_visible (self->cancel_sign_in_button, state == SIGN_IN_WAITING);
  gtk_widget_set_visible (self->sign_out_button, state == SIGN_IN_LINKED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.sign-in",
                                 state == SIGN_IN_SIGNED_OUT && !self->busy);
}

/* @note may be the sign-in server's words, in an error */
static void
set_sign_in_state (RelaySetupPage *self,
                   SignInState     state,
                   const char     *note)
{
  self->sign_in_state = state;
  g_free (self->sign_in_note);
  self->sign_in_note = note != NULL ? relay_text_for_display_lines (note, -1) : NULL;
  update_sign_in_row (self);
}

static gboolean
same_account_as_saved (RelaySetupPage *self)
{
  return self->saved != NULL &&
         g_strcmp0 (relay_provider_get_id (selected_provider (self)), relay_account_get_provider (self->saved)) == 0;
}

static void
is_linked_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean linked = relay_oauth_account_is_linked_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->sign_in_state != SIGN_IN_CHECKING)
    return;

  if (error != NULL)
    set_sign_in_state (self, SIGN_IN_SIGNED_OUT, error->message);
  else if (linked)
    set_sign_in_state (self, SIGN_IN_LINKED, NULL);
  else if (self->saved != NULL && relay_account_get_sign_in_again (self->saved))
    set_sign_in_state (self, SIGN_IN_SIGNED_OUT,
                       _("The provider no longer accepts the saved sign-in: sign in again."));
  else
    set_sign_in_state (self, SIGN_IN_SIGNED_OUT, NULL);
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
    return g_strdup (_("Google sign-in is not set up in this copy of Mail Relay. To send through Gmail "
                       "all the same, choose Custom with the server smtp.gmail.com, port 465 and SSL/TLS, "
                       "your Gmail address as user name, and an app password from your Google Account "
                       "(Security → 2-Step Verification → App passwords)."));
  if (g_strcmp0 (service, "microsoft") == 0)
    return g_strdup (_("Microsoft sign-in is not set up in this copy of Mail Relay. Choose Office 365 "
                       "to sign in with the mailbox’s password instead, if your organization allows it."));

  return g_strdup (error->message);
}

/* Works out the row for the provider now chosen: configured? linked? */
static void
refresh_sign_in (RelaySetupPage *self)
{
  RelayProvider *provider = selected_provider (self);
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  if (!relay_provider_uses_sign_in (provider) || self->sign_in_state == SIGN_IN_WAITING)
    return;

  if (!(config = relay_oauth_config_new_for_provider (provider, &error)))
    {
      g_autofree char *note = sign_in_unavailable_note (provider, error);

      set_sign_in_state (self, SIGN_IN_UNAVAILABLE, note);
      return;
    }

  if (!same_account_as_saved (self))
    {
      set_sign_in_state (self, SIGN_IN_SIGNED_OUT, NULL);
      return;
    }

  set_sign_in_state (self, SIGN_IN_CHECKING, NULL);
  /* A GTask run in a thread drops its last reference in the worker,
   * possibly after its callback has run: were the page held by the task,
   * the page could be disposed there, off the main thread. The core's
   * _async calls keep a copy of the account and no source object; the
   * callback's data holds the page. */
  relay_oauth_account_is_linked_async (self->saved, self->cancellable, is_linked_cb, g_object_ref (self));
}

/* The page and the account its sign-in saves, for the callback: held on
 * this thread, not by the worker (see refresh_sign_in()) */
typedef struct
{
  RelaySetupPage *self;
  RelayAccount   *account;
} StoreTokens;

static void
store_tokens_free (StoreTokens *store_tokens)
{
  g_object_unref (store_tokens->self);
  g_object_unref (store_tokens->account);
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
      set_sign_in_state (self, SIGN_IN_SIGNED_OUT, NULL);
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
  self->sign_in_state = SIGN_IN_SIGNED_OUT;
  load_form (self);

  address = relay_text_for_display (relay_account_get_username (account), -1);
  toast = g_strdup_printf (_("Signed in as %s"), address);
  add_toast (self, toast);
  g_signal_emit (self, signals[SAVED], 0);
}

static void
sign_in_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  StoreTokens *store_tokens;

  tokens = relay_oauth_flow_wait_finish (RELAY_OAUTH_FLOW (object), result, &error);
  if (self->flow == RELAY_OAUTH_FLOW (object))
    g_clear_object (&self->flow);
  g_clear_object (&self->sign_in_cancellable);

  if (tokens == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_sign_in_state (self, SIGN_IN_SIGNED_OUT, NULL);
      else if (g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_ACCESS_DENIED))
        set_sign_in_state (self, SIGN_IN_SIGNED_OUT, _("You declined the sign-in; nothing was linked."));
      else
        set_sign_in_state (self, SIGN_IN_SIGNED_OUT, error->message);
      return;
    }

  account = build_account (self);
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
  relay_oauth_account_store_tokens_async (account, tokens, self->cancellable, tokens_stored_cb, store_tokens);
}

static void
browser_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      self->sign_in_state == SIGN_IN_WAITING)
    set_sign_in_state (self, SIGN_IN_WAITING,
                       _("The browser could not be opened: copy the link and open it yourself."));
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *first_bad;

  /* the sign-in saves the account, so the server must be right; the
   * sender may wait: it becomes the signed-in address */
  for (Field field = FIELD_HOST; field <= FIELD_PORT; field++)
    {
      g_autofree char *message = check_field (self, field);

      if (message != NULL)
        {
          self->touched[field] = TRUE;
          first_bad = field_row (self, field);
          validate_form (self);
          gtk_widget_grab_focus (first_bad);
          return;
        }
    }

  if (!(config = relay_oauth_config_new_for_provider (selected_provider (self), &error)))
    {
      g_autofree char *note = sign_in_unavailable_note (selected_provider (self), error);

      set_sign_in_state (self, SIGN_IN_UNAVAILABLE, note);
      return;
    }

  flow = relay_oauth_flow_new (config);
  if (!relay_oauth_flow_start (flow, &error))
    {
      relay_setup_page_show_problem (self, error->message);
      return;
    }

  g_set_object (&self->flow, flow);
  g_clear_object (&self->sign_in_cancellable);
  self->sign_in_cancellable = g_cancellable_new ();
  set_sign_in_state (self, SIGN_IN_WAITING, NULL);

  /* through the OpenURI portal inside Flatpak */
  g_app_info_launch_default_for_uri_async (relay_oauth_flow_get_authorization_uri (flow), NULL,
                                           self->sign_in_cancellable, browser_opened_cb,
                                           g_object_ref (self));
  relay_oauth_flow_wait_async (flow, 600, self->sign_in_cancellable, sign_in_done_cb, g_object_ref (self));
}

static void
cancel_sign_in_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  if (self->flow != NULL)
    relay_oauth_flow_stop (self->flow);
}

static void
copy_sign_in_link_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  if (self->flow == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), relay_oauth_flow_get_authorization_uri (self->flow));
  add_toast (self, _("Link copied"));
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

  set_sign_in_state (self, SIGN_IN_SIGNED_OUT, NULL);
  add_toast (self, _("Signed out"));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  if (self->saved == NULL)
    return;

  /* the page is held on this thread, not by the worker: see refresh_sign_in() */
  relay_oauth_account_sign_out_async (self->saved, self->cancellable, signed_out_cb, g_object_ref (self));
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
        set_sign_in_state (self, SIGN_IN_SIGNED_OUT,
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
  g_autofree char *host = relay_validate_host (field_text (self, FIELD_HOST), NULL);
  guint port = 0;

  relay_validate_port (field_text (self, FIELD_PORT), &port, NULL);

  return self->saved != NULL &&
         g_strcmp0 (host, relay_account_get_host (self->saved)) == 0 &&
         port == relay_account_get_port (self->saved);
}

/* The test signs in with the saved password only where it was saved for:
 * the same server (host and port) and the same user name */
static gboolean
stored_secret_for_test (RelaySetupPage *self)
{
  return self->saved != NULL && self->password_stored && !self->forget_secret &&
         field_text (self, FIELD_USERNAME)[0] != '\0' &&
         g_strcmp0 (field_text (self, FIELD_USERNAME), relay_account_get_username (self->saved)) == 0 &&
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
  const char *password = field_text (self, FIELD_PASSWORD);

  if (relay_provider_uses_sign_in (selected_provider (self)))
    {
      if (self->sign_in_state != SIGN_IN_LINKED || self->saved == NULL)
        {
          relay_setup_page_show_problem (self, _("Sign in first: the test signs in with the access the provider grants."));
          return;
        }

      /* refreshed first when it has expired; the page is held on this
       * thread, not by the worker: see refresh_sign_in() */
      relay_oauth_account_get_access_token_async (self->saved, FALSE, self->cancellable,
                                                  access_token_cb, g_object_ref (self));
      return;
    }

  if (gtk_widget_get_visible (GTK_WIDGET (self->password_row)) && password[0] != '\0')
    open_probe_view (self, password, NULL);
  else if (stored_secret_for_test (self))
    relay_secrets_lookup_async (relay_account_get_id (self->saved), RELAY_SECRET_PASSWORD,
                                self->cancellable, lookup_for_test_cb, g_object_ref (self));
  else
    open_probe_view (self, NULL, missing_password_note (self));
}

static gboolean
needs_insecure_consent (RelaySetupPage *self)
{
  g_autoptr(RelayAccount) account = build_account (self);
  gboolean has_password = field_text (self, FIELD_PASSWORD)[0] != '\0' ||
                          stored_secret_fits (self, relay_account_get_host (account));

  return relay_account_get_security (account) == RELAY_SECURITY_NONE &&
         relay_account_get_username (account)[0] != '\0' && has_password &&
         !relay_host_is_loopback (relay_account_get_host (account)) &&
         !relay_account_get_allow_insecure (account);
}

/* Asks in the banner rather than in a dialog: pressing Test Connection
 * (or Save) again for the same server is the consent */
static void
ask_insecure_consent (RelaySetupPage *self,
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

static void
test_action (GtkWidget  *widget,
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
      if ((message = check_field (self, needed[i])) != NULL)
        {
          self->touched[needed[i]] = TRUE;
          validate_form (self);
          gtk_widget_grab_focus (field_row (self, needed[i]));
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
  if (needs_insecure_consent (self))
    {
      g_autofree char *host = relay_validate_host (field_text (self, FIELD_HOST), NULL);

      if (g_strcmp0 (self->insecure_warned_host, host) != 0)
        {
          ask_insecure_consent (self, host, "test");
          return;
        }

      g_free (self->insecure_host);
      self->insecure_host = g_steal_pointer (&host);
      gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);
    }

  run_test (self);
}

static void
revert_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);

  if (self->busy)
    return;

  load_form (self);
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
  g_clear_object (&self->sandbox);
  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  g_clear_object (&self->sign_in_cancellable);
  if (self->flow != NULL)
    relay_oauth_flow_stop (self->flow);
  g_clear_object (&self->flow);
  g_clear_pointer (&self->sign_in_note, g_free);

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

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-setup-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, problem_revealer);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, problem_label);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, guidance_group);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, pros_cons_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, pros_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, cons_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, limits_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, sharing_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, sharing_icon);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, host_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, security_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, auth_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, pin_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, server_error_label);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, account_group);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, sign_in_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, copy_link_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, cancel_sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, sign_out_button);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, from_row);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, account_error_label);
  gtk_widget_class_bind_template_child (widget_class, RelaySetupPage, send_to_row);
  gtk_widget_class_bind_template_callback (widget_class, provider_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, dismiss_problem_cb);

  gtk_widget_class_install_action (widget_class, "setup.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "setup.revert", NULL, revert_action);
  gtk_widget_class_install_action (widget_class, "setup.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "setup.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "setup.cancel-sign-in", NULL, cancel_sign_in_action);
  gtk_widget_class_install_action (widget_class, "setup.copy-sign-in-link", NULL, copy_sign_in_link_action);
  gtk_widget_class_install_action (widget_class, "setup.sign-out", NULL, sign_out_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "setup.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "setup.test", NULL);
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
    g_signal_connect (field_row (self, field), "changed", G_CALLBACK (editable_changed_cb), self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.save", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "setup.revert", FALSE);
  relay_accessible_name_buttons_by_label (GTK_WIDGET (self));
  name_reveal_button (self);
  g_signal_connect_object (gtk_editable_get_delegate (GTK_EDITABLE (self->password_row)), "notify::visibility",
                           G_CALLBACK (name_reveal_button), self, G_CONNECT_SWAPPED);
}

static gboolean
same_account (RelayAccount *a,
              RelayAccount *b)
{
  g_autoptr(JsonNode) a_node = NULL;
  g_autoptr(JsonNode) b_node = NULL;

  if (a == NULL || b == NULL)
    return a == b;

  a_node = relay_account_to_json (a);
  b_node = relay_account_to_json (b);
  return json_node_equal (a_node, b_node);
}

/* Another program saved accounts.json: the form shows what it saved,
 * unless the user has changes of their own there, which are kept */
static void
reload_accounts (RelaySetupPage *self)
{
  g_autoptr(GError) error = NULL;
  RelayAccount *account;

  if (self->store == NULL)
    return;

  if (!relay_account_store_load (self->store, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The settings changed by another program could not be read: %s"),
                                                  error->message);

      relay_setup_page_show_problem (self, message);
      return;
    }

  account = relay_account_store_get_default (self->store);
  /* our own save, seen coming back */
  if (same_account (account, self->saved))
    return;

  if (is_dirty (self))
    {
      /* Save now applies the form to what the other program saved, and
       * Revert shows it */
      g_clear_object (&self->saved);
      if (account != NULL)
        self->saved = relay_account_copy (account);
      update_actions (self);
      relay_setup_page_show_problem (self, _("The settings were changed outside Mail Relay, for example with "
                                             "mail-relay-cli. Your changes in the form are kept: press Revert to "
                                             "see the new settings instead, or Save to keep yours."));
      g_signal_emit (self, signals[SAVED], 0);
      return;
    }

  g_clear_object (&self->saved);
  if (account != NULL)
    self->saved = relay_account_copy (account);
  load_form (self);
  add_toast (self, _("Settings changed outside Mail Relay are shown"));
  g_signal_emit (self, signals[SAVED], 0);
}

static gboolean
reload_accounts_cb (gpointer user_data)
{
  RelaySetupPage *self = user_data;

  /* after our own save, which may be what changed the file */
  if (self->busy)
    return G_SOURCE_CONTINUE;

  self->accounts_source = 0;
  reload_accounts (self);
  return G_SOURCE_REMOVE;
}

/* The file is replaced by a rename: its folder is watched, and a burst
 * of events read once */
static void
accounts_changed_cb (GFileMonitor      *monitor,
                     GFile             *file,
                     GFile             *other_file,
                     GFileMonitorEvent  event,
                     RelaySetupPage    *self)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *other_name = other_file ? g_file_get_basename (other_file) : NULL;
  g_autofree char *wanted = g_path_get_basename (relay_account_store_get_path (self->store));

  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED ||
      (g_strcmp0 (name, wanted) != 0 && g_strcmp0 (other_name, wanted) != 0) ||
      self->accounts_source != 0)
    return;

  self->accounts_source = g_timeout_add (150, reload_accounts_cb, self);
}

static void
watch_accounts (RelaySetupPage *self)
{
  g_autofree char *dir = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->accounts_source, g_source_remove);
  if (self->accounts_monitor != NULL)
    g_file_monitor_cancel (self->accounts_monitor);
  g_clear_object (&self->accounts_monitor);

  if (self->store == NULL)
    return;

  /* the folder the file will be in, so that its creation is seen */
  dir = g_path_get_dirname (relay_account_store_get_path (self->store));
  g_mkdir_with_parents (dir, 0700);
  folder = g_file_new_for_path (dir);
  self->accounts_monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->accounts_monitor == NULL)
    {
      g_debug ("Changes to the accounts by other programs are not watched: %s", error->message);
      return;
    }

  g_signal_connect_object (self->accounts_monitor, "changed", G_CALLBACK (accounts_changed_cb), self, 0);
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

  load_form (self);
  watch_accounts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
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
  gtk_revealer_set_reveal_child (self->problem_revealer, TRUE);
}
