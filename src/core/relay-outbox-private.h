/* relay-outbox-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean relay_outbox_item_check (const char  *data,
                                  gsize        length,
                                  char       **normalized,
                                  GError     **error);

G_END_DECLS
