/* relay-channel-dialog.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the export and import dialogs of a channel share: a header bar
 * with Cancel and the dialog's action, the error line that names the
 * field, and their keyboard (Enter in a field presses the action). */

#define G_LOG_DOMAIN "relay-channel-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-accessible.h"
#include "relay-channel-dialog-private.h"

/* Cancel at the start, the action (@clicked, swapped: it gets @window)
 * at the end; returns the action's button */
GtkWidget *
_relay_channel_dialog_add_header (GtkWindow  *window,
                                  GtkBox     *box,
                                  const char *action_label,
                                  GCallback   clicked)
{
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *button = gtk_button_new_with_mnemonic (action_label);

  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), window);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  gtk_widget_add_css_class (button, "suggested-action");
  g_signal_connect_swapped (button, "clicked", clicked, window);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), button);
  gtk_box_append (box, header);

  return button;
}

/* A hidden error line in a group of its own at the end of @page */
GtkLabel *
_relay_channel_dialog_add_error_label (AdwPreferencesPage *page)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkLabel *label = GTK_LABEL (gtk_label_new (NULL));

  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_xalign (label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (label), "error");
  gtk_widget_set_visible (GTK_WIDGET (label), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (label));
  adw_preferences_page_add (page, ADW_PREFERENCES_GROUP (group));

  return label;
}

/* @message (which names the field), or none; the focus goes to @field */
void
_relay_channel_dialog_show_error (GtkLabel   *label,
                                  const char *message,
                                  GtkWidget  *field)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (field != NULL)
    gtk_widget_grab_focus (field);
}

/* Enter in one of @rows (AdwEntryRows, %NULL-terminated) presses
 * @button; every button is named once for a screen reader. Escape is
 * each class's binding (window.close). */
void
_relay_channel_dialog_set_up_keys (GtkWindow         *window,
                                   GtkWidget         *button,
                                   GtkWidget * const *rows)
{
  gtk_window_set_default_widget (window, button);
  for (guint i = 0; rows[i] != NULL; i++)
    adw_entry_row_set_activates_default (ADW_ENTRY_ROW (rows[i]), TRUE);
  relay_accessible_name_buttons_by_label (GTK_WIDGET (window));
}
