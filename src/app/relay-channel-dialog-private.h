/* relay-channel-dialog-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the export and import dialogs of a channel share: their header bar,
 * their error line and their keyboard (relay-channel-dialog.c). */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

GtkWidget *_relay_channel_dialog_add_header      (GtkWindow          *window,
                                                  GtkBox             *box,
                                                  const char         *action_label,
                                                  GCallback           clicked);
GtkLabel  *_relay_channel_dialog_add_error_label (AdwPreferencesPage *page);
void       _relay_channel_dialog_show_error      (GtkLabel           *label,
                                                  const char         *message,
                                                  GtkWidget          *field);
void       _relay_channel_dialog_set_up_keys     (GtkWindow          *window,
                                                  GtkWidget          *button,
                                                  GtkWidget * const  *rows);

G_END_DECLS
