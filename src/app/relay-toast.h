/* relay-toast.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void relay_toast_show (GtkWidget  *widget,
                       const char *title);

G_END_DECLS
