/* relay-accessible.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void relay_accessible_name_buttons_by_label (GtkWidget *root);

G_END_DECLS
