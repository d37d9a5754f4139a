/* relay-format.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *relay_format_time  (GDateTime *time);
char *relay_format_date  (GDateTime *time);
char *relay_format_count (guint64    count);
char *relay_format_fingerprint (const char *sha256,
                                guint       pairs_per_line);

G_END_DECLS
