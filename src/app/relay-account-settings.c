/* relay-account-settings.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelayAccountSettings: an account's settings beyond its server and
 * sign-in, the ones `mail-relay-cli account set` also changes: the
 * sending limits (with the provider's own as defaults), the CA file and
 * the pinned certificates. It shows and checks them; the page that
 * embeds it decides when they are saved. */

#define G_LOG_DOMAIN "relay-account-settings"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-accessible.h"
#include "relay-account-settings.h"
#include "relay-format.h"
#include "relay-message-dialog.h"
#include "relay-validate.h"

typedef enum
{
  LIMIT_MESSAGES,
  LIMIT_MESSAGE_WINDOW,
  LIMIT_RECIPIENTS,
  LIMIT_RECIPIENT_WINDOW,
  N_LIMITS
} Limit;

/* the units of the windows' drop-downs, in their order */
static const guint unit_seconds[] = { 1, 60, 3600, 86400 };

struct _RelayAccountSettings
{
  AdwPreferencesGroup   parent_instance;

  RelayProvider        *provider;
  /* the account as a Save would write it, before the changes made here;
   * NULL while the page's server is not valid */
  RelayAccount         *base;
  /* the CA file chosen here: NULL when untouched, "" when cleared */
  char                 *ca_choice;
  char                 *ca_error;
  /* fingerprints removed here */
  GHashTable           *removed;
  GPtrArray            *pin_rows;
  /* the server the pin rows name */
  char                 *pins_server;
  GtkFileChooserNative *chooser;
  guint                 touched[N_LIMITS];
  guint                 show_all_errors : 1;
  guint                 loading : 1;

  AdwExpanderRow       *limits_row;
  AdwActionRow         *preset_row;
  AdwEntryRow          *messages_row;
  AdwEntryRow          *message_window_row;
  GtkDropDown          *message_unit;
  AdwEntryRow          *recipients_row;
  AdwEntryRow          *recipient_window_row;
  GtkDropDown          *recipient_unit;
  AdwActionRow         *ca_row;
  GtkWidget            *ca_clear_button;
  AdwExpanderRow       *pins_row;
  GtkLabel             *error_label;
};

G_DEFINE_FINAL_TYPE (RelayAccountSettings, relay_account_settings, ADW_TYPE_PREFERENCES_GROUP)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_trust_rows (RelayAccountSettings *self);

static AdwEntryRow *
limit_row (RelayAccountSettings *self,
           Limit                 limit)
{
  switch (limit)
    {
    case LIMIT_MESSAGES:         return self->messages_row;
    case LIMIT_MESSAGE_WINDOW:   return self->message_window_row;
    case LIMIT_RECIPIENTS:       return self->recipients_row;
    case LIMIT_RECIPIENT_WINDOW: return self->recipient_window_row;
    case N_LIMITS:
    default:
      g_assert_not_reached ();
    }
}

static const char *
limit_label (Limit limit)
{
  switch (limit)
    {
    case LIMIT_MESSAGES:         return _("Message limit");
    case LIMIT_MESSAGE_WINDOW:   return _("Message window");
    case LIMIT_RECIPIENTS:       return _("Recipient limit");
    case LIMIT_RECIPIENT_WINDOW: return _("Recipient window");
    case N_LIMITS:
    default:
      g_assert_not_reached ();
    }
}

static GtkDropDown *
window_unit (RelayAccountSettings *self,
             Limit                 window)
{
  return window == LIMIT_MESSAGE_WINDOW ? self->message_unit : self->recipient_unit;
}

static const char *
limit_text (RelayAccountSettings *self,
            Limit                 limit)
{
  return gtk_editable_get_text (GTK_EDITABLE (limit_row (self, limit)));
}

/* A maximum, or a window in seconds: 0 for a window whose maximum is 0,
 * which is no limit and has no window */
static gboolean
parse_limit (RelayAccountSettings  *self,
             Limit                  limit,
             guint                 *value,
             GError               **error)
{
  guint max = 0;
  guint number;
  guint unit;

  g_assert (limit < N_LIMITS);

  if (limit == LIMIT_MESSAGES || limit == LIMIT_RECIPIENTS)
    return relay_validate_count (limit_text (self, limit), RELAY_ACCOUNT_ERROR_LIMITS,
                                 limit_label (limit), 0, value, error);

  if (parse_limit (self, limit - 1, &max, NULL) && max == 0)
    {
      *value = 0;
      return TRUE;
    }

  if (!relay_validate_count (limit_text (self, limit), RELAY_ACCOUNT_ERROR_LIMITS,
                             limit_label (limit), 1, &number, error))
    return FALSE;

  unit = unit_seconds[MIN (gtk_drop_down_get_selected (window_unit (self, limit)),
                           G_N_ELEMENTS (unit_seconds) - 1)];
  if (number > G_MAXINT32 / unit)
    {
      /* Translators: %s is a field name such as “Message window” */
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_LIMITS,
                   _("%s: “%s” is longer than a window can be"), limit_label (limit),
                   limit_text (self, limit));
      return FALSE;
    }

  *value = number * unit;
  return TRUE;
}

/* The form's limits, when they are all valid */
static gboolean
parse_limits (RelayAccountSettings *self,
              guint                 values[N_LIMITS])
{
  for (Limit limit = 0; limit < N_LIMITS; limit++)
    if (!parse_limit (self, limit, &values[limit], NULL))
      return FALSE;

  return TRUE;
}

static void
set_count (AdwEntryRow *row,
           guint        value)
{
  g_autofree char *text = g_strdup_printf ("%u", value);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/* In the largest unit that holds @seconds whole; a window of no limit
 * shows @fallback_unit, ready for a maximum typed later */
static void
show_window (RelayAccountSettings *self,
             Limit                 window,
             guint                 seconds,
             guint                 fallback_unit)
{
  guint unit = fallback_unit;

  if (seconds > 0)
    for (unit = G_N_ELEMENTS (unit_seconds) - 1; seconds % unit_seconds[unit] != 0; unit--)
      ;

  set_count (limit_row (self, window), seconds > 0 ? seconds / unit_seconds[unit] : 1);
  gtk_drop_down_set_selected (window_unit (self, window), unit);
}

static void
show_limits (RelayAccountSettings *self,
             guint                 max_messages,
             guint                 message_window,
             guint                 max_recipients,
             guint                 recipient_window)
{
  gboolean loading = self->loading;

  self->loading = TRUE;
  set_count (self->messages_row, max_messages);
  show_window (self, LIMIT_MESSAGE_WINDOW, max_messages > 0 ? message_window : 0, 1);
  set_count (self->recipients_row, max_recipients);
  show_window (self, LIMIT_RECIPIENT_WINDOW, max_recipients > 0 ? recipient_window : 0, 3);
  self->loading = loading;
  memset (self->touched, 0, sizeof self->touched);
}

static gboolean
limits_are_preset (RelayAccountSettings *self)
{
  guint values[N_LIMITS];
  RelayProvider *provider = self->provider;

  return provider != NULL && parse_limits (self, values) &&
         values[LIMIT_MESSAGES] == relay_provider_get_max_messages (provider) &&
         values[LIMIT_MESSAGE_WINDOW] == (values[LIMIT_MESSAGES] ? relay_provider_get_message_window (provider) : 0) &&
         values[LIMIT_RECIPIENTS] == relay_provider_get_max_recipients (provider) &&
         values[LIMIT_RECIPIENT_WINDOW] == (values[LIMIT_RECIPIENTS] ? relay_provider_get_recipient_window (provider) : 0);
}

/* “30 messages per minute, 10,000 recipients per day”, or none */
static char *
describe_limits (guint max_messages,
                 guint message_window,
                 guint max_recipients,
                 guint recipient_window)
{
  g_autofree char *messages = NULL;
  g_autofree char *recipients = NULL;

  if (max_messages > 0)
    messages = relay_format_limit (max_messages, message_window, FALSE);
  if (max_recipients > 0)
    recipients = relay_format_limit (max_recipients, recipient_window, TRUE);

  if (messages != NULL && recipients != NULL)
    /* Translators: two limits, such as “30 messages per minute” and “10,000 recipients per day” */
    return g_strdup_printf (_("%s and %s"), messages, recipients);

  return g_strdup (messages ? messages : recipients);
}

static void
update_preset_row (RelayAccountSettings *self)
{
  g_autofree char *limits = NULL;
  g_autofree char *text = NULL;
  RelayProvider *provider = self->provider;

  if (provider == NULL)
    return;

  limits = describe_limits (relay_provider_get_max_messages (provider),
                            relay_provider_get_message_window (provider),
                            relay_provider_get_max_recipients (provider),
                            relay_provider_get_recipient_window (provider));
  if (limits != NULL)
    /* Translators: %s is a provider, e.g. “Office 365”, the second %s its limits */
    text = g_strdup_printf (_("%s accepts at most %s; mail sent faster is delayed or refused. "
                              "Mail Relay waits instead. 0 is no limit."),
                            relay_provider_get_name (provider), limits);
  else
    /* Translators: %s is a provider, e.g. “SendGrid” */
    text = g_strdup_printf (_("%s has no fixed limits to start from: your plan or your server "
                              "decides. 0 is no limit."),
                            relay_provider_get_name (provider));

  adw_action_row_set_subtitle (self->preset_row, text);
}

/* Marks the bad rows and lists what is wrong under the group; returns the
 * first bad row */
static GtkWidget *
check_limits (RelayAccountSettings *self)
{
  g_autoptr(GString) messages = g_string_new (NULL);
  GtkWidget *first_bad = NULL;

  for (Limit limit = 0; limit < N_LIMITS; limit++)
    {
      g_autoptr(GError) error = NULL;
      GtkWidget *row = GTK_WIDGET (limit_row (self, limit));
      guint value;
      gboolean bad = !parse_limit (self, limit, &value, &error);
      gboolean shown = bad && (self->touched[limit] || self->show_all_errors);

      if (bad && first_bad == NULL)
        first_bad = row;

      if (shown)
        {
          gtk_widget_add_css_class (row, "error");
          g_string_append_printf (messages, "%s%s", messages->len ? "\n" : "", error->message);
          gtk_accessible_update_state (GTK_ACCESSIBLE (row),
                                       GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                       -1);
          gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, error->message,
                                          -1);
        }
      else
        {
          gtk_widget_remove_css_class (row, "error");
          gtk_accessible_reset_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID);
          gtk_accessible_reset_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
        }
    }

  if (self->ca_error != NULL)
    g_string_append_printf (messages, "%s%s", messages->len ? "\n" : "", self->ca_error);

  gtk_label_set_text (self->error_label, messages->str);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), messages->len > 0);

  return first_bad;
}

static void
update_limits (RelayAccountSettings *self)
{
  guint values[N_LIMITS];
  g_autofree char *summary = NULL;

  check_limits (self);

  if (parse_limits (self, values))
    {
      summary = describe_limits (values[LIMIT_MESSAGES], values[LIMIT_MESSAGE_WINDOW],
                                 values[LIMIT_RECIPIENTS], values[LIMIT_RECIPIENT_WINDOW]);
      adw_expander_row_set_subtitle (self->limits_row,
                                     summary ? summary : _("None: mail goes out as fast as the server takes it"));
    }
  else
    adw_expander_row_set_subtitle (self->limits_row, _("Not valid: see below"));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.reset-limits", !limits_are_preset (self));
}

static void
emit_changed (RelayAccountSettings *self)
{
  if (!self->loading)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
limit_changed_cb (GtkEditable          *editable,
                  RelayAccountSettings *self)
{
  if (self->loading)
    return;

  for (Limit limit = 0; limit < N_LIMITS; limit++)
    if (GTK_EDITABLE (limit_row (self, limit)) == editable)
      self->touched[limit] = TRUE;

  update_limits (self);
  emit_changed (self);
}

static void
unit_changed_cb (RelayAccountSettings *self)
{
  if (self->loading)
    return;

  update_limits (self);
  emit_changed (self);
}

static const char *
shown_ca_file (RelayAccountSettings *self)
{
  if (self->ca_choice != NULL)
    return self->ca_choice;

  return self->base ? relay_account_get_ca_file (self->base) : "";
}

/* The pins a Save would keep: the base's, less those removed here */
static GStrv
shown_pins (RelayAccountSettings *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char * const *pins = self->base ? relay_account_get_pins (self->base) : NULL;

  for (guint i = 0; pins != NULL && pins[i] != NULL; i++)
    if (!g_hash_table_contains (self->removed, pins[i]))
      g_strv_builder_add (builder, pins[i]);

  return g_strv_builder_end (builder);
}

static void
remove_pin_response_cb (AdwMessageDialog     *dialog,
                        const char           *response,
                        RelayAccountSettings *self)
{
  const char *pin = g_object_get_data (G_OBJECT (dialog), "pin");

  if (g_strcmp0 (response, "remove") != 0 || pin == NULL)
    return;

  g_hash_table_add (self->removed, g_strdup (pin));
  update_trust_rows (self);
  emit_changed (self);
}

static void
remove_pin_cb (GtkButton            *button,
               RelayAccountSettings *self)
{
  const char *pin = g_object_get_data (G_OBJECT (button), "pin");
  g_autofree char *fingerprint = relay_format_fingerprint (pin, 8);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->base == NULL)
    return;

  /* Translators: %s is a server name, %u its port, the last %s a SHA-256 fingerprint on lines of its own */
  body = g_strdup_printf (_("Once you save, %s, port %u, no longer accepts the certificate with this SHA-256 "
                            "fingerprint:\n\n%s\n\nWith no pinned certificate left, the server’s certificate "
                            "has to be vouched for by a certificate authority again."),
                          relay_account_get_host (self->base), relay_account_get_port (self->base), fingerprint);
  dialog = relay_message_dialog_new (GTK_WIDGET (self), _("Remove the Pinned Certificate?"), body,
                                     "cancel",
                                     "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT,
                                     "remove", _("_Remove"), ADW_RESPONSE_DESTRUCTIVE,
                                     NULL);
  g_object_set_data_full (G_OBJECT (dialog), "pin", g_strdup (pin), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_pin_response_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
new_pin_row (RelayAccountSettings *self,
             const char           *pin,
             const char           *server)
{
  g_autofree char *fingerprint = relay_format_fingerprint (pin, 16);
  g_autofree char *name = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), fingerprint);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), server);
  gtk_widget_set_focusable (row, FALSE);
  gtk_widget_add_css_class (row, "relay-fingerprint");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, pin, -1);

  /* Translators: %s is the start of a SHA-256 fingerprint */
  name = g_strdup_printf (_("Remove the certificate %.8s…"), pin);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("Remove this pinned certificate"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data_full (G_OBJECT (button), "pin", g_strdup (pin), g_free);
  g_signal_connect_object (button, "clicked", G_CALLBACK (remove_pin_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

static void
update_trust_rows (RelayAccountSettings *self)
{
  const char *ca_file = shown_ca_file (self);
  g_auto(GStrv) pins = shown_pins (self);
  g_autofree char *text = NULL;
  g_autofree char *server = NULL;
  guint n = g_strv_length (pins);
  gboolean same = self->pin_rows != NULL && self->pin_rows->len == n;

  if (ca_file[0] != '\0')
    {
      g_autofree char *shown = g_filename_display_name (ca_file);

      adw_action_row_set_subtitle (self->ca_row, shown);
    }
  else
    adw_action_row_set_subtitle (self->ca_row, _("None: the system’s certificate authorities are trusted"));
  gtk_widget_set_visible (self->ca_clear_button, ca_file[0] != '\0');

  /* Translators: a server name and its port */
  server = self->base ? g_strdup_printf (_("%s, port %u"), relay_account_get_host (self->base),
                                         relay_account_get_port (self->base)) : NULL;
  same = same && g_strcmp0 (server, self->pins_server) == 0;
  for (guint i = 0; same && i < n; i++)
    same = g_strcmp0 (g_object_get_data (g_ptr_array_index (self->pin_rows, i), "pin"), pins[i]) == 0;
  if (same)
    return;

  for (guint i = 0; self->pin_rows != NULL && i < self->pin_rows->len; i++)
    adw_expander_row_remove (self->pins_row, g_ptr_array_index (self->pin_rows, i));
  g_clear_pointer (&self->pin_rows, g_ptr_array_unref);
  self->pin_rows = g_ptr_array_new ();
  g_free (self->pins_server);
  self->pins_server = g_steal_pointer (&server);

  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = new_pin_row (self, pins[i], self->pins_server);

      g_object_set_data_full (G_OBJECT (row), "pin", g_strdup (pins[i]), g_free);
      adw_expander_row_add_row (self->pins_row, row);
      g_ptr_array_add (self->pin_rows, row);
    }

  if (n == 0)
    text = g_strdup (_("None. A server’s certificate is pinned from the connection test, "
                       "when its certificate is shown."));
  else
    /* Translators: %s is a server name, %u its port */
    text = g_strdup_printf (ngettext ("Only this certificate is accepted for %s, port %u; any other is "
                                      "refused, even one that a certificate authority vouches for.",
                                      "Only these certificates are accepted for %s, port %u; any other is "
                                      "refused, even one that a certificate authority vouches for.",
                                      n),
                            relay_account_get_host (self->base), relay_account_get_port (self->base));
  adw_expander_row_set_subtitle (self->pins_row, text);
  /* enabling it would also open it */
  if (adw_expander_row_get_enable_expansion (self->pins_row) != (n > 0))
    {
      adw_expander_row_set_enable_expansion (self->pins_row, n > 0);
      adw_expander_row_set_expanded (self->pins_row, FALSE);
    }
}

static void
chooser_response_cb (GtkNativeDialog      *chooser,
                     int                   response,
                     RelayAccountSettings *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);

  if (file == NULL)
    return;

  /* inside Flatpak, a path the document portal made for the file */
  g_clear_pointer (&self->ca_error, g_free);
  if (g_file_peek_path (file) == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      self->ca_error = g_strdup_printf (_("CA file: “%s” is not a local file"), uri);
    }
  else if ((path = relay_validate_ca_file (g_file_peek_path (file), &error)) != NULL)
    {
      g_free (self->ca_choice);
      self->ca_choice = g_steal_pointer (&path);
    }
  else
    self->ca_error = g_strdup (error->message);

  update_trust_rows (self);
  check_limits (self);
  emit_changed (self);
}

/* Through the file chooser portal inside Flatpak */
static void
choose_ca_file_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  RelayAccountSettings *self = RELAY_ACCOUNT_SETTINGS (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) pem = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;

  gtk_file_filter_set_name (pem, _("Certificates (PEM)"));
  gtk_file_filter_add_mime_type (pem, "application/x-x509-ca-cert");
  gtk_file_filter_add_mime_type (pem, "application/x-pem-file");
  gtk_file_filter_add_suffix (pem, "pem");
  gtk_file_filter_add_suffix (pem, "crt");
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");

  self->chooser = gtk_file_chooser_native_new (_("Choose a CA File"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), pem);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clear_ca_file_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  RelayAccountSettings *self = RELAY_ACCOUNT_SETTINGS (widget);

  g_free (self->ca_choice);
  self->ca_choice = g_strdup ("");
  g_clear_pointer (&self->ca_error, g_free);
  update_trust_rows (self);
  check_limits (self);
  emit_changed (self);
}

static void
reset_limits_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  relay_account_settings_reset_limits (RELAY_ACCOUNT_SETTINGS (widget));
  emit_changed (RELAY_ACCOUNT_SETTINGS (widget));
}

static void
relay_account_settings_dispose (GObject *object)
{
  RelayAccountSettings *self = (RelayAccountSettings *)object;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_ACCOUNT_SETTINGS);
  g_clear_pointer (&self->pin_rows, g_ptr_array_unref);
  g_clear_pointer (&self->pins_server, g_free);
  g_clear_object (&self->base);
  g_clear_pointer (&self->ca_choice, g_free);
  g_clear_pointer (&self->ca_error, g_free);
  g_clear_pointer (&self->removed, g_hash_table_unref);

  G_OBJECT_CLASS (relay_account_settings_parent_class)->dispose (object);
}

static void
relay_account_settings_class_init (RelayAccountSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_account_settings_dispose;

  /**
   * RelayAccountSettings::changed:
   *
   * The user changed a setting (a limit, the CA file, a pin removed).
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-account-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, limits_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, preset_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, messages_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, message_window_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, message_unit);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, recipients_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, recipient_window_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, recipient_unit);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, ca_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, pins_row);
  gtk_widget_class_bind_template_child (widget_class, RelayAccountSettings, error_label);

  gtk_widget_class_install_action (widget_class, "settings.reset-limits", NULL, reset_limits_action);
  gtk_widget_class_install_action (widget_class, "settings.choose-ca-file", NULL, choose_ca_file_action);
  gtk_widget_class_install_action (widget_class, "settings.clear-ca-file", NULL, clear_ca_file_action);
}

/* GTK 4.8 leaves the button inside a drop-down unnamed, and a screen
 * reader says “toggle button”: it takes the drop-down's name */
static void
name_drop_down_button (GtkDropDown *drop_down)
{
  const char *name = gtk_widget_get_tooltip_text (GTK_WIDGET (drop_down));

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (drop_down));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_TOGGLE_BUTTON (child))
      gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
relay_account_settings_init (RelayAccountSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->removed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (Limit limit = 0; limit < N_LIMITS; limit++)
    g_signal_connect (limit_row (self, limit), "changed", G_CALLBACK (limit_changed_cb), self);
  g_signal_connect_swapped (self->message_unit, "notify::selected", G_CALLBACK (unit_changed_cb), self);
  g_signal_connect_swapped (self->recipient_unit, "notify::selected", G_CALLBACK (unit_changed_cb), self);

  relay_accessible_name_buttons_by_label (GTK_WIDGET (self));
  name_drop_down_button (self->message_unit);
  name_drop_down_button (self->recipient_unit);
  update_trust_rows (self);
  update_limits (self);
}

/**
 * relay_account_settings_load:
 * @account: (nullable): the account as saved, or %NULL for a new one
 * @provider: the provider the page shows
 *
 * Shows the limits of @account (of @provider's preset for a new one) and
 * forgets every change made here. The CA file and pins shown come from
 * relay_account_settings_set_trust().
 */
void
relay_account_settings_load (RelayAccountSettings *self,
                             RelayAccount         *account,
                             RelayProvider        *provider)
{
  g_return_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self));
  g_return_if_fail (!account || RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_PROVIDER (provider));

  self->provider = provider;
  self->show_all_errors = FALSE;
  g_clear_pointer (&self->ca_choice, g_free);
  g_clear_pointer (&self->ca_error, g_free);
  g_hash_table_remove_all (self->removed);
  update_preset_row (self);

  if (account != NULL)
    show_limits (self,
                 relay_account_get_max_messages (account), relay_account_get_message_window (account),
                 relay_account_get_max_recipients (account), relay_account_get_recipient_window (account));
  else
    relay_account_settings_reset_limits (self);

  update_limits (self);
  update_trust_rows (self);
}

/**
 * relay_account_settings_set_provider:
 *
 * Explains @provider's own limits and offers them for Reset; the limits
 * shown stay as they are.
 */
void
relay_account_settings_set_provider (RelayAccountSettings *self,
                                     RelayProvider        *provider)
{
  g_return_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self));
  g_return_if_fail (RELAY_IS_PROVIDER (provider));

  self->provider = provider;
  update_preset_row (self);
  update_limits (self);
}

/**
 * relay_account_settings_reset_limits:
 *
 * Shows the provider's own limits, as its preset has them.
 */
void
relay_account_settings_reset_limits (RelayAccountSettings *self)
{
  g_return_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self));

  if (self->provider == NULL)
    return;

  show_limits (self,
               relay_provider_get_max_messages (self->provider),
               relay_provider_get_message_window (self->provider),
               relay_provider_get_max_recipients (self->provider),
               relay_provider_get_recipient_window (self->provider));
  update_limits (self);
}

/**
 * relay_account_settings_set_trust:
 * @base: (nullable): the account as a Save would write it without the
 *   changes made here, for the server it would be saved with; %NULL
 *   while there is no valid server
 *
 * Shows the CA file and the pinned certificates of @base, less the
 * changes made here.
 */
void
relay_account_settings_set_trust (RelayAccountSettings *self,
                                  RelayAccount         *base)
{
  g_return_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self));
  g_return_if_fail (!base || RELAY_IS_ACCOUNT (base));

  g_set_object (&self->base, base);
  update_trust_rows (self);
}

/**
 * relay_account_settings_is_changed:
 * @saved: the account as saved
 *
 * Returns: whether a Save would change @saved's limits, CA file or pins
 *   because of a change made here
 */
gboolean
relay_account_settings_is_changed (RelayAccountSettings *self,
                                   RelayAccount         *saved)
{
  guint values[N_LIMITS];
  g_auto(GStrv) pins = NULL;
  const char * const *base_pins;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self), FALSE);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (saved), FALSE);

  if (!parse_limits (self, values) ||
      values[LIMIT_MESSAGES] != relay_account_get_max_messages (saved) ||
      values[LIMIT_MESSAGE_WINDOW] != (values[LIMIT_MESSAGES] ? relay_account_get_message_window (saved) : 0) ||
      values[LIMIT_RECIPIENTS] != relay_account_get_max_recipients (saved) ||
      values[LIMIT_RECIPIENT_WINDOW] != (values[LIMIT_RECIPIENTS] ? relay_account_get_recipient_window (saved) : 0))
    return TRUE;

  if (self->base == NULL)
    return FALSE;

  pins = shown_pins (self);
  base_pins = relay_account_get_pins (self->base);

  return g_strcmp0 (shown_ca_file (self), relay_account_get_ca_file (self->base)) != 0 ||
         !g_strv_equal ((const char * const *)pins, base_pins);
}

/**
 * relay_account_settings_check:
 * @show_all: whether to show the errors of fields not typed in yet, as
 *   before a Save
 *
 * Marks the bad fields, each message naming its field.
 *
 * Returns: (transfer none) (nullable): the first bad row, or %NULL when
 *   every setting is valid
 */
GtkWidget *
relay_account_settings_check (RelayAccountSettings *self,
                              gboolean              show_all)
{
  GtkWidget *first_bad;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self), NULL);

  self->show_all_errors = show_all;
  first_bad = check_limits (self);
  if (first_bad != NULL && show_all)
    adw_expander_row_set_expanded (self->limits_row, TRUE);

  return first_bad;
}

/**
 * relay_account_settings_apply:
 * @account: the account as a Save would write it, its server set
 *
 * Writes the settings shown into @account through its setters: the
 * limits that are valid (a maximum of 0 takes its window with it, as
 * `--max-messages 0` does), the CA file chosen, the pins left.
 */
void
relay_account_settings_apply (RelayAccountSettings *self,
                              RelayAccount         *account)
{
  const char * const *pins;
  guint value;

  g_return_if_fail (RELAY_IS_ACCOUNT_SETTINGS (self));
  g_return_if_fail (RELAY_IS_ACCOUNT (account));

  if (parse_limit (self, LIMIT_MESSAGES, &value, NULL))
    relay_account_set_max_messages (account, value);
  if (parse_limit (self, LIMIT_MESSAGE_WINDOW, &value, NULL))
    relay_account_set_message_window (account, value);
  if (parse_limit (self, LIMIT_RECIPIENTS, &value, NULL))
    relay_account_set_max_recipients (account, value);
  if (parse_limit (self, LIMIT_RECIPIENT_WINDOW, &value, NULL))
    relay_account_set_recipient_window (account, value);

  if (self->ca_choice != NULL)
    relay_account_set_ca_file (account, self->ca_choice);

  pins = relay_account_get_pins (account);
  for (guint i = 0; pins[i] != NULL; i++)
    if (g_hash_table_contains (self->removed, pins[i]))
      {
        g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
        g_auto(GStrv) left = NULL;

        for (guint j = 0; pins[j] != NULL; j++)
          if (!g_hash_table_contains (self->removed, pins[j]))
            g_strv_builder_add (builder, pins[j]);
        left = g_strv_builder_end (builder);
        relay_account_set_pins (account, (const char * const *)left);
        break;
      }
}
