/* relay-file-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean relay_file_check_private_dir  (const char  *path,
                                        GError     **error);
gboolean relay_file_ensure_private_dir (const char  *path,
                                        GError     **error);
int      relay_file_open_own           (const char  *path,
                                        int          flags,
                                        int          mode,
                                        GError     **error);

G_END_DECLS
