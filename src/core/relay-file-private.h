/* relay-file-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* A file mapped read-only by relay_file_map() */
typedef struct
{
  int         fd;
  const char *contents;
  gsize       size;
} RelayFileMapping;

#define RELAY_FILE_MAPPING_INIT { -1, NULL, 0 }

gboolean relay_file_check_private_dir  (const char        *path,
                                        GError           **error);
gboolean relay_file_ensure_private_dir (const char        *path,
                                        GError           **error);
int      relay_file_open_own           (const char        *path,
                                        int                flags,
                                        int                mode,
                                        GError           **error);
gboolean relay_file_set_errno_error    (GError           **error,
                                        int                saved_errno,
                                        const char        *what,
                                        const char        *path);
gboolean relay_file_write_all          (int                fd,
                                        const char        *data,
                                        gsize              length);
gboolean relay_file_write_new          (const char        *path,
                                        const char        *data,
                                        gsize              length,
                                        GError           **error);
gboolean relay_file_pread_all          (int                fd,
                                        char              *buffer,
                                        gsize              length,
                                        off_t              offset);
gboolean relay_file_sync_directory     (const char        *dir,
                                        GError           **error);
gboolean relay_file_map                (const char        *path,
                                        RelayFileMapping  *mapping,
                                        GError           **error);
void     relay_file_mapping_clear      (RelayFileMapping  *mapping);

G_END_DECLS
