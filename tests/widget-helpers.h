/* widget-helpers.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef gboolean (*WidgetMatch) (GtkWidget     *widget,
                                 gconstpointer  data);

GtkWidget *find_widget      (GtkWidget     *root,
                             WidgetMatch    match,
                             gconstpointer  data);
GtkWidget *find_type        (GtkWidget     *root,
                             GType          type);
GtkWidget *find_row         (GtkWidget     *root,
                             const char    *title);
GtkWidget *find_button      (GtkWidget     *root,
                             const char    *label);
GtkWidget *find_actionable  (GtkWidget     *root,
                             const char    *action);
char      *without_mnemonic (const char    *text);
AdwMessageDialog *find_message_dialog (void);
GtkWindow *find_toplevel    (GType          type);
GtkWidget *find_visible_label (GtkWidget   *root,
                             const char    *prefix);
void       wait_for         (gboolean     (*done) (gpointer),
                             gpointer       data);
void       assert_buttons_named_once (GtkWidget *root);
gboolean   focus_is_in      (GtkWidget     *widget);
void       use_test_accessibility (void);
void       widget_test_init (int          *argc,
                             char       ***argv);

G_END_DECLS
