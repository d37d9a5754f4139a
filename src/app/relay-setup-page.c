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

#include "relay-oauth-account.h"
#include "relay-probe-view.h"
#include "relay-sasl.h"
#include "relay-secrets.h"
#include "relay-setup-page.h"
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

  /* fingerprints trusted before the account was first saved */
  GStrv               pending_pins;
  /* the user agreed to send the password unencrypted to this host */
  char               *insecure_host;
  char               *insecure_warned_host;
  /* the local test server, for the “local” preset */
  RelaySandboxServer *sandbox;
  guint               shown_provider;

  /* signing in through the browser */
  SignInState         sign_in_state;
  RelayOAuthFlow     *flow;
  GCancellable       *sign_in_cancellable;
  char               *sign_in_note;
};

G_DEFINE_FINAL_TYPE (RelaySetupPage, relay_setup_page, ADW_TYPE_BIN)

static void refresh_sign_in (RelaySetupPage *self);

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
                                           self->password_stored
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

  if ((!live && field_text (self, FIELD_PASSWORD)[0] != '\0') || self->pending_pins != NULL)
    return TRUE;

  if (self->saved == NULL)
    return TRUE;

  port = g_strdup_printf ("%u", relay_account_get_port (self->saved));

  return g_strcmp0 (relay_provider_get_id (provider), relay_account_get_provider (self->saved)) != 0 ||
         g_strcmp0 (field_text (self, FIELD_HOST), relay_account_get_host (self->saved)) != 0 ||
         (!live && g_strcmp0 (field_text (self, FIELD_PORT), port) != 0) ||
         adw_combo_row_get_selected (self->security_row) != relay_account_get_security (self->saved) ||
         g_strcmp0 (field_text (self, FIELD_USERNAME), relay_account_get_username (self->saved)) != 0 ||
         g_strcmp0 (field_text (self, FIELD_FROM), relay_account_get_from (self->saved)) != 0;
}

static void
update_actions (RelaySetupPage *self)
{
  gboolean dirty = is_dirty (self);

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

static void
provider_changed_cb (RelaySetupPage *self)
{
  RelayProvider *provider;

  if (self->loading || self->store == NULL)
    return;

  provider = selected_provider (self);

  /* the test server's credentials stay with the test server */
  if (self->sandbox != NULL && self->shown_provider == relay_provider_get_position ("local"))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      if (g_strcmp0 (field_text (self, FIELD_USERNAME), relay_sandbox_server_get_username (self->sandbox)) == 0)
        gtk_editable_set_text (GTK_EDITABLE (self->username_row), "");
    }
  self->shown_provider = adw_combo_row_get_selected (self->provider_row);

  apply_provider_to_form (self, provider);
  update_guidance (self, provider);
  update_password_description (self);
  refresh_sign_in (self);
  validate_form (self);
  update_actions (self);
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
  relay_account_set_username (account, field_text (self, FIELD_USERNAME));
  /* a connection test needs no sender unless it sends a message */
  relay_account_set_from (account, from ? from : "");
  relay_account_set_allow_insecure (account, g_strcmp0 (self->insecure_host, host) == 0 ||
                                             (self->saved != NULL &&
                                              relay_account_get_allow_insecure (self->saved) &&
                                              g_strcmp0 (relay_account_get_host (self->saved), host) == 0));

  /* Mail Relay's own server: its certificate, and only that, is trusted */
  if (uses_sandbox (self, provider))
    {
      const char *pins[] = { relay_sandbox_server_get_certificate_sha256 (self->sandbox), NULL };

      relay_account_set_pins (account, pins);
    }
  else if (self->pending_pins != NULL)
    {
      g_autoptr(GStrvBuilder) pins = g_strv_builder_new ();
      g_auto(GStrv) all = NULL;

      g_strv_builder_addv (pins, (const char **)relay_account_get_pins (account));
      for (guint i = 0; self->pending_pins[i]; i++)
        if (!g_strv_contains (relay_account_get_pins (account), self->pending_pins[i]))
          g_strv_builder_add (pins, self->pending_pins[i]);
      all = g_strv_builder_end (pins);
      relay_account_set_pins (account, (const char * const *)all);
    }

  return g_steal_pointer (&account);
}

static void
add_toast (RelaySetupPage *self,
           const char     *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
}

static void
finish_save (RelaySetupPage *self,
             RelayAccount   *account)
{
  g_autoptr(GError) error = NULL;

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
  self->busy = FALSE;

  /* shows the values as stored, such as a host name in ASCII form */
  load_form (self);

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

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  RelaySetupPage *self = RELAY_SETUP_PAGE (widget);
  g_autoptr(RelayAccount) account = NULL;
  const char *password;
  GtkWidget *first_bad;

  if (self->busy || self->store == NULL)
    return;

  self->show_all_errors = TRUE;
  if ((first_bad = validate_form (self)) != NULL)
    {
      gtk_widget_grab_focus (first_bad);
      return;
    }

  account = build_account (self);
  password = field_text (self, FIELD_PASSWORD);

  self->busy = TRUE;
  update_actions (self);
  gtk_revealer_set_reveal_child (self->problem_revealer, FALSE);

  /* The keyring first: when it cannot keep the password nothing is
   * saved, and never the password anywhere else. */
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

/* The pin belongs to the account: kept at once when the account is saved,
 * else with the next Save. */
static void
trust_certificate_cb (RelayProbeView *view,
                      const char     *sha256,
                      RelaySetupPage *self)
{
  g_autoptr(GError) error = NULL;

  /* the test ran on the form: into the saved account only if it is that */
  if (self->saved != NULL && !is_dirty (self))
    {
      g_autoptr(RelayAccount) account = relay_account_copy (self->saved);
      g_autoptr(GStrvBuilder) pins = g_strv_builder_new ();
      g_auto(GStrv) all = NULL;

      g_strv_builder_addv (pins, (const char **)relay_account_get_pins (account));
      if (!g_strv_contains (relay_account_get_pins (account), sha256))
        g_strv_builder_add (pins, sha256);
      all = g_strv_builder_end (pins);
      relay_account_set_pins (account, (const char * const *)all);

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
      return;
    }

  if (self->pending_pins == NULL || !g_strv_contains ((const char * const *)self->pending_pins, sha256))
    {
      g_autoptr(GStrvBuilder) pins = g_strv_builder_new ();

      if (self->pending_pins != NULL)
        g_strv_builder_addv (pins, (const char **)self->pending_pins);
      g_strv_builder_add (pins, sha256);
      g_strfreev (self->pending_pins);
      self->pending_pins = g_strv_builder_end (pins);
    }

  add_toast (self, _("The certificate will be trusted once the account is saved"));
  update_actions (self);
}

static void
open_probe_view (RelaySetupPage *self,
                 const char     *secret)
{
  g_autoptr(RelayAccount) account = build_account (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *send_to = gtk_editable_get_text (GTK_EDITABLE (self->send_to_row));
  g_autofree char *send_to_ascii = send_to[0] ? relay_validate_address (send_to, NULL) : NULL;
  RelayProbeView *view;

  view = relay_probe_view_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                               account, secret, send_to_ascii);
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

  open_probe_view (self, secret);
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
      subtitle = g_strdup_printf (_("Signed in as %s"), field_text (self, FIELD_USERNAME));
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

static void
set_sign_in_state (RelaySetupPage *self,
                   SignInState     state,
                   const char     *note)
{
  self->sign_in_state = state;
  g_free (self->sign_in_note);
  self->sign_in_note = g_strdup (note);
  update_sign_in_row (self);
}

static gboolean
same_account_as_saved (RelaySetupPage *self)
{
  return self->saved != NULL &&
         g_strcmp0 (relay_provider_get_id (selected_provider (self)), relay_account_get_provider (self->saved)) == 0;
}

static void
is_linked_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean linked = relay_oauth_account_is_linked (task_data, cancellable, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, linked);
}

static void
is_linked_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean linked = g_task_propagate_boolean (G_TASK (result), &error);

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

/* Works out the row for the provider now chosen: configured? linked? */
static void
refresh_sign_in (RelaySetupPage *self)
{
  RelayProvider *provider = selected_provider (self);
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  if (!relay_provider_uses_sign_in (provider) || self->sign_in_state == SIGN_IN_WAITING)
    return;

  if (!(config = relay_oauth_config_new_for_provider (provider, &error)))
    {
      set_sign_in_state (self, SIGN_IN_UNAVAILABLE, error->message);
      return;
    }

  if (!same_account_as_saved (self))
    {
      set_sign_in_state (self, SIGN_IN_SIGNED_OUT, NULL);
      return;
    }

  set_sign_in_state (self, SIGN_IN_CHECKING, NULL);
  /* A GTask run in a thread drops its last reference in the worker,
   * possibly after its callback has run: were the page its source object,
   * the page could be disposed there, off the main thread. The worker gets
   * a copy of the account, and the callback's data holds the page. */
  task = g_task_new (NULL, self->cancellable, is_linked_cb, g_object_ref (self));
  g_task_set_task_data (task, relay_account_copy (self->saved), g_object_unref);
  g_task_run_in_thread (task, is_linked_thread);
}

static void
store_tokens_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  RelayAccount *account = g_object_get_data (G_OBJECT (task), "account");
  GError *error = NULL;

  if (relay_oauth_account_store_tokens (account, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
tokens_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  RelayAccount *account = g_object_get_data (G_OBJECT (result), "account");
  g_autoptr(GError) error = NULL;
  g_autofree char *toast = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
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
  self->sign_in_state = SIGN_IN_SIGNED_OUT;
  load_form (self);

  toast = g_strdup_printf (_("Signed in as %s"), relay_account_get_username (account));
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
  g_autoptr(GTask) task = NULL;

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

  /* the page is held on this thread, not by the worker: see refresh_sign_in() */
  task = g_task_new (NULL, self->cancellable, tokens_stored_cb, g_object_ref (self));
  g_object_set_data_full (G_OBJECT (task), "account", g_steal_pointer (&account), g_object_unref);
  g_task_set_task_data (task, g_steal_pointer (&tokens), (GDestroyNotify)relay_oauth_tokens_free);
  g_task_run_in_thread (task, store_tokens_thread);
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
      set_sign_in_state (self, SIGN_IN_UNAVAILABLE, error->message);
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
sign_out_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;

  if (relay_oauth_account_sign_out (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
signed_out_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
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
  g_autoptr(GTask) task = NULL;

  if (self->saved == NULL)
    return;

  /* the page is held on this thread, not by the worker: see refresh_sign_in() */
  task = g_task_new (NULL, self->cancellable, signed_out_cb, g_object_ref (self));
  g_task_set_task_data (task, relay_account_copy (self->saved), g_object_unref);
  g_task_run_in_thread (task, sign_out_thread);
}

static void
access_token_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  char *token = relay_oauth_account_get_access_token (task_data, FALSE, cancellable, &error);

  if (token != NULL)
    g_task_return_pointer (task, token, (GDestroyNotify)relay_sasl_wipe);
  else
    g_task_return_error (task, error);
}

static void
access_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RelaySetupPage) self = user_data;
  g_autoptr(GError) error = NULL;
  char *token = g_task_propagate_pointer (G_TASK (result), &error);

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

  open_probe_view (self, token);
  relay_sasl_wipe (token);
}

static void
run_test (RelaySetupPage *self)
{
  const char *password = field_text (self, FIELD_PASSWORD);

  if (relay_provider_uses_sign_in (selected_provider (self)))
    {
      g_autoptr(GTask) task = NULL;

      if (self->sign_in_state != SIGN_IN_LINKED || self->saved == NULL)
        {
          relay_setup_page_show_problem (self, _("Sign in first: the test signs in with the access the provider grants."));
          return;
        }

      /* refreshed first when it has expired; the page is held on this
       * thread, not by the worker: see refresh_sign_in() */
      task = g_task_new (NULL, self->cancellable, access_token_cb, g_object_ref (self));
      g_task_set_task_data (task, relay_account_copy (self->saved), g_object_unref);
      g_task_run_in_thread (task, access_token_thread);
      return;
    }

  if (gtk_widget_get_visible (GTK_WIDGET (self->password_row)) && password[0] != '\0')
    open_probe_view (self, password);
  else if (self->saved != NULL && self->password_stored &&
           field_text (self, FIELD_USERNAME)[0] != '\0' &&
           g_strcmp0 (field_text (self, FIELD_USERNAME), relay_account_get_username (self->saved)) == 0 &&
           g_strcmp0 (field_text (self, FIELD_HOST), relay_account_get_host (self->saved)) == 0)
    relay_secrets_lookup_async (relay_account_get_id (self->saved), RELAY_SECRET_PASSWORD,
                                self->cancellable, lookup_for_test_cb, g_object_ref (self));
  else
    open_probe_view (self, NULL);
}

static gboolean
needs_insecure_consent (RelaySetupPage *self)
{
  g_autoptr(RelayAccount) account = build_account (self);
  gboolean has_password = field_text (self, FIELD_PASSWORD)[0] != '\0' ||
                          (self->password_stored && self->saved != NULL &&
                           g_strcmp0 (field_text (self, FIELD_HOST), relay_account_get_host (self->saved)) == 0);

  return relay_account_get_security (account) == RELAY_SECURITY_NONE &&
         relay_account_get_username (account)[0] != '\0' && has_password &&
         !relay_host_is_loopback (relay_account_get_host (account)) &&
         !relay_account_get_allow_insecure (account);
}

/* Asks in the banner rather than in a dialog: pressing Test Connection
 * again for the same server is the consent */
static void
ask_insecure_consent (RelaySetupPage *self,
                      const char     *host)
{
  g_autofree char *message = NULL;

  g_free (self->insecure_warned_host);
  self->insecure_warned_host = g_strdup (host);

  message = g_strdup_printf (_("Security is set to None, so the password would cross the network as plain text "
                               "to %s, where anyone on the way can read it. Choose STARTTLS or SSL/TLS if the "
                               "server offers them, or press Test Connection again to send it unencrypted."),
                             host);
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
          ask_insecure_consent (self, host);
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
  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_SETUP_PAGE);
  g_clear_object (&self->store);
  g_clear_object (&self->saved);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending_pins, g_strfreev);
  g_clear_pointer (&self->insecure_host, g_free);
  g_clear_pointer (&self->insecure_warned_host, g_free);
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
   * The account was written to the keyring and to accounts.json.
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
      relay_setup_page_show_problem (self, message);
    }

  load_form (self);
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
 * Shows @message above the form until the user dismisses it.
 */
void
relay_setup_page_show_problem (RelaySetupPage *self,
                               const char     *message)
{
  g_return_if_fail (RELAY_IS_SETUP_PAGE (self));

  gtk_label_set_text (self->problem_label, message);
  gtk_revealer_set_reveal_child (self->problem_revealer, TRUE);
}
