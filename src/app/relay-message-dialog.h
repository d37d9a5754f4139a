/* relay-message-dialog.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

GtkWidget *relay_message_dialog_new (GtkWidget  *widget,
                                     const char *heading,
                                     const char *body,
                                     const char *default_response,
                                     const char *first_response,
                                     ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
