/* relay-toast.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A toast from any widget of the window, in the window's toast overlay. */

#define G_LOG_DOMAIN "relay-toast"

#include "config.h"

#include <adwaita.h>

#include "relay-toast.h"

/**
 * relay_toast_show:
 * @widget: a widget inside an #AdwToastOverlay
 * @title: plain text (a toast's title is markup: it is escaped)
 *
 * Shows @title in the toast overlay @widget is in; outside one, nothing.
 */
void
relay_toast_show (GtkWidget  *widget,
                  const char *title)
{
  GtkWidget *overlay;
  g_autofree char *markup = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (title != NULL);

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay == NULL)
    return;

  markup = g_markup_escape_text (title, -1);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (markup));
}
