/* relay-file-private.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The data and config folders are the user's own and closed to others
 * (docs/security.md): another local user must not be able to plant a
 * file in them, nor read what waits in the outbox.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-file-private.h"

/**
 * relay_file_ensure_private_dir:
 * @path: a folder of Mail Relay's own, such as …/mail-relay/outbox
 *
 * Makes @path (and what it needs above it) with mode 0700 when it is not
 * there. When it is: refuses a symbolic link or another user's folder,
 * saying why, and closes a folder that others may read or write (a
 * careless chmod, a restored backup) to them.
 *
 * Returns: whether @path is a private folder of this user's now
 */
gboolean
relay_file_ensure_private_dir (const char  *path,
                               GError     **error)
{
  struct stat st;
  int fd;

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  fd = g_open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ELOOP || saved_errno == ENOTDIR)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                     _("%s is a symbolic link or a file, not a folder: Mail Relay does not use it"), path);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     _("Could not open the folder %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  if (fstat (fd, &st) != 0 || st.st_uid != getuid ())
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   _("The folder %s belongs to another user: Mail Relay does not use it"), path);
      return FALSE;
    }

  if ((st.st_mode & 077) != 0 && fchmod (fd, st.st_mode & 0700) != 0)
    {
      int saved_errno = errno;

      close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("The folder %s is open to other users and could not be closed to them: %s"),
                   path, g_strerror (saved_errno));
      return FALSE;
    }

  close (fd);
  return TRUE;
}
