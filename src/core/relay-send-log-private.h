/* relay-send-log-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-send-log.h"

G_BEGIN_DECLS

gboolean           relay_send_log_index_lines       (const char    *contents,
                                                     gsize          size,
                                                     GArray        *starts,
                                                     guint         *n_skipped,
                                                     GCancellable  *cancellable,
                                                     GError       **error);
RelaySendLogEntry *relay_send_log_entry_new_unreadable (const char *line,
                                                        gsize       length,
                                                        guint       position,
                                                        GError     *error);

G_END_DECLS
