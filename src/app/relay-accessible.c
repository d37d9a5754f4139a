/* relay-accessible.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-accessible"

#include "config.h"

#include "relay-accessible.h"

/**
 * relay_accessible_name_buttons_by_label:
 * @root: a widget whose buttons are all built
 *
 * GTK 4.8 gives a button with text both an accessible label, its text as
 * written (“_Save”, “保存(_S)”), and a relation to the label widget that
 * shows it: a screen reader says both, “_Save Save”. The button under
 * @root (or @root itself) that shows its own text is named by that text
 * alone.
 */
void
relay_accessible_name_buttons_by_label (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root) && gtk_button_get_label (GTK_BUTTON (root)) != NULL &&
      GTK_IS_LABEL (gtk_button_get_child (GTK_BUTTON (root))))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL);

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    relay_accessible_name_buttons_by_label (child);
}
