/* relay-log-page.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-log-page"

#include "config.h"

#include "relay-log-page.h"

struct _RelayLogPage
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (RelayLogPage, relay_log_page, ADW_TYPE_BIN)

static void
relay_log_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), RELAY_TYPE_LOG_PAGE);

  G_OBJECT_CLASS (relay_log_page_parent_class)->dispose (object);
}

static void
relay_log_page_class_init (RelayLogPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = relay_log_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-log-page.ui");
}

static void
relay_log_page_init (RelayLogPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
