/* relay-text.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *relay_text_for_display       (const char *text,
                                    gssize      length);
char *relay_text_for_display_lines (const char *text,
                                    gssize      length);

G_END_DECLS
