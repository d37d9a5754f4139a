/* relay-oauth-client-dialog.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* “Use Your Own Google Client…” (or Microsoft): the client id and
 * secret of an OAuth client the user registered, for a copy of Mail
 * Relay built without one, each checked as it is typed, the first bad
 * field named. What it holds is the caller's to keep. */

#define G_LOG_DOMAIN "relay-oauth-client-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-accessible.h"
#include "relay-oauth-client-dialog.h"
#include "relay-validate.h"

#define GOOGLE_HELP_URI "https://developers.google.com/identity/protocols/oauth2/native-app"
#define MICROSOFT_HELP_URI "https://learn.microsoft.com/entra/identity-platform/quickstart-register-app"

struct _RelayOAuthClientDialog
{
  AdwMessageDialog  parent_instance;

  AdwEntryRow      *client_id_row;
  AdwEntryRow      *client_secret_row;
  GtkLabel         *error_label;
  GtkLinkButton    *help_button;

  char             *service;
  /* a field is judged once something was typed into it */
  gboolean          id_touched;
  gboolean          secret_touched;
};

G_DEFINE_FINAL_TYPE (RelayOAuthClientDialog, relay_oauth_client_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
mark_row (AdwEntryRow *row,
          gboolean     invalid)
{
  if (invalid)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_INVALID,
                               invalid ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE, -1);
}

static void
field_changed_cb (RelayOAuthClientDialog *self)
{
  const char *id_text = gtk_editable_get_text (GTK_EDITABLE (self->client_id_row));
  const char *secret_text = gtk_editable_get_text (GTK_EDITABLE (self->client_secret_row));
  g_autoptr(GError) id_error = NULL;
  g_autoptr(GError) secret_error = NULL;
  g_autofree char *client_id = NULL;
  gboolean secret_ok;
  gboolean id_shown, secret_shown;
  const char *message = NULL;

  self->id_touched |= id_text[0] != '\0';
  self->secret_touched |= secret_text[0] != '\0';

  client_id = relay_validate_oauth_client_id (self->service, id_text, &id_error);
  secret_ok = relay_validate_oauth_client_secret (self->service, secret_text, &secret_error);

  id_shown = client_id == NULL && self->id_touched;
  secret_shown = !secret_ok && self->secret_touched;
  if (id_shown)
    message = id_error->message;
  else if (secret_shown)
    message = secret_error->message;

  mark_row (self->client_id_row, id_shown);
  mark_row (self->client_secret_row, secret_shown);
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "use", client_id != NULL && secret_ok);
}

static void
relay_oauth_client_dialog_finalize (GObject *object)
{
  RelayOAuthClientDialog *self = (RelayOAuthClientDialog *)object;

  g_clear_pointer (&self->service, g_free);

  G_OBJECT_CLASS (relay_oauth_client_dialog_parent_class)->finalize (object);
}

static void
relay_oauth_client_dialog_class_init (RelayOAuthClientDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = relay_oauth_client_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-oauth-client-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayOAuthClientDialog, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, RelayOAuthClientDialog, client_secret_row);
  gtk_widget_class_bind_template_child (widget_class, RelayOAuthClientDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, RelayOAuthClientDialog, help_button);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
}

static void
relay_oauth_client_dialog_init (RelayOAuthClientDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * relay_oauth_client_dialog_new:
 * @parent: (nullable): the window it is for
 * @service: the sign-in service, "google" or "microsoft"
 * @client_id: (nullable): the client id to show first, e.g. the saved one
 *
 * Returns: (transfer none): a new dialog, not yet presented; its "use"
 *   response means both fields are valid
 */
RelayOAuthClientDialog *
relay_oauth_client_dialog_new (GtkWindow  *parent,
                               const char *service,
                               const char *client_id)
{
  RelayOAuthClientDialog *self;
  gboolean microsoft;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (g_strcmp0 (service, "google") == 0 || g_strcmp0 (service, "microsoft") == 0, NULL);

  microsoft = g_str_equal (service, "microsoft");
  self = g_object_new (RELAY_TYPE_OAUTH_CLIENT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->service = g_strdup (service);

  if (microsoft)
    {
      adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Use Your Own Microsoft Client"));
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                                   _("This copy of Mail Relay has no Microsoft sign-in client of its own. "
                                     "Register an application in Microsoft Entra as a public client "
                                     "for mobile and desktop apps, and enter its application (client) ID. "
                                     "It is kept with this account."));
      /* Microsoft's public clients have no secret */
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->client_secret_row),
                                     _("Client Secret (Optional)"));
      gtk_link_button_set_uri (self->help_button, MICROSOFT_HELP_URI);
    }
  else
    {
      adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Use Your Own Google Client"));
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self),
                                   _("This copy of Mail Relay has no Google sign-in client of its own. "
                                     "Create an OAuth client of the type “Desktop app” in the Google Cloud "
                                     "console, and enter its client ID and client secret. The ID is kept "
                                     "with this account, the secret in your keyring."));
      gtk_link_button_set_uri (self->help_button, GOOGLE_HELP_URI);
    }

  if (client_id != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->client_id_row), client_id);
  field_changed_cb (self);
  relay_accessible_name_buttons_by_label (GTK_WIDGET (self));

  return self;
}

const char *
relay_oauth_client_dialog_get_service (RelayOAuthClientDialog *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_CLIENT_DIALOG (self), NULL);

  return self->service;
}

/**
 * relay_oauth_client_dialog_get_client_id:
 *
 * Returns: (transfer full) (nullable): the client id as typed, without
 *   surrounding spaces, or %NULL when it is not valid
 */
char *
relay_oauth_client_dialog_get_client_id (RelayOAuthClientDialog *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_CLIENT_DIALOG (self), NULL);

  return relay_validate_oauth_client_id (self->service,
                                         gtk_editable_get_text (GTK_EDITABLE (self->client_id_row)), NULL);
}

/**
 * relay_oauth_client_dialog_get_client_secret:
 *
 * Returns: the client secret as typed, "" for none
 */
const char *
relay_oauth_client_dialog_get_client_secret (RelayOAuthClientDialog *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_CLIENT_DIALOG (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->client_secret_row));
}
