/* relay-provider-group.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's presentation of the chosen provider: its name and
 * summary, sending limits, how credentials are shared, pros and cons. */

#define G_LOG_DOMAIN "relay-provider-group"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-provider-group.h"

struct _RelayProviderGroup
{
  AdwPreferencesGroup  parent_instance;

  AdwExpanderRow      *pros_cons_row;
  AdwActionRow        *pros_row;
  AdwActionRow        *cons_row;
  AdwActionRow        *limits_row;
  AdwActionRow        *sharing_row;
  GtkImage            *sharing_icon;
};

G_DEFINE_FINAL_TYPE (RelayProviderGroup, relay_provider_group, ADW_TYPE_PREFERENCES_GROUP)

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
relay_provider_group_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), RELAY_TYPE_PROVIDER_GROUP);

  G_OBJECT_CLASS (relay_provider_group_parent_class)->dispose (object);
}

static void
relay_provider_group_class_init (RelayProviderGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_provider_group_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-provider-group.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayProviderGroup, pros_cons_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProviderGroup, pros_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProviderGroup, cons_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProviderGroup, limits_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProviderGroup, sharing_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProviderGroup, sharing_icon);
}

static void
relay_provider_group_init (RelayProviderGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * relay_provider_group_set_provider:
 *
 * Presents @provider: the group's title and description, and its rows.
 */
void
relay_provider_group_set_provider (RelayProviderGroup *self,
                                   RelayProvider      *provider)
{
  const char * const *pros;
  const char * const *cons;
  g_autofree char *pros_text = NULL;
  g_autofree char *cons_text = NULL;
  g_autoptr(GString) limits = NULL;

  g_return_if_fail (RELAY_IS_PROVIDER_GROUP (self));
  g_return_if_fail (RELAY_IS_PROVIDER (provider));

  pros = relay_provider_get_pros (provider);
  cons = relay_provider_get_cons (provider);
  pros_text = join_lines (pros);
  cons_text = join_lines (cons);
  limits = g_string_new (NULL);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), relay_provider_get_name (provider));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self), relay_provider_get_summary (provider));

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
}
