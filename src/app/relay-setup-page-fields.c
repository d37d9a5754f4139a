/* relay-setup-page-fields.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's checks as you type: each field checked, the message
 * naming it under its group, and the bad rows marked for a screen reader. */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include "relay-setup-page-private.h"
#include "relay-validate.h"

GtkWidget *
_relay_setup_page_field_row (RelaySetupPage *self,
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

const char *
_relay_setup_page_field_text (RelaySetupPage *self,
                              Field           field)
{
  return gtk_editable_get_text (GTK_EDITABLE (_relay_setup_page_field_row (self, field)));
}

/* Checks one field; the message names it. Returns NULL when it is fine. */
char *
_relay_setup_page_check_field (RelaySetupPage *self,
                               Field           field)
{
  g_autoptr(GError) error = NULL;
  const char *text = _relay_setup_page_field_text (self, field);
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
      if (gtk_widget_get_visible (_relay_setup_page_field_row (self, field)))
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
GtkWidget *
_relay_setup_page_validate_form (RelaySetupPage *self)
{
  g_autoptr(GString) server = g_string_new (NULL);
  g_autoptr(GString) account = g_string_new (NULL);
  GtkWidget *first_bad = NULL;

  for (Field field = 0; field < N_FIELDS; field++)
    {
      g_autofree char *message = _relay_setup_page_check_field (self, field);
      GtkWidget *row = _relay_setup_page_field_row (self, field);
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
