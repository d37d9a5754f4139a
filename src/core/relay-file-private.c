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

/* Closes @fd's file or folder to other users when it is open to them */
static gboolean
close_to_others (int                fd,
                 const struct stat *st,
                 const char        *path,
                 GError           **error)
{
  if ((st->st_mode & 077) != 0 && fchmod (fd, st->st_mode & 0700) != 0)
    {
      int saved_errno = errno;

      if (S_ISDIR (st->st_mode))
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     _("The folder %s is open to other users and could not be closed to them: %s"),
                     path, g_strerror (saved_errno));
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     _("The file %s is open to other users and could not be closed to them: %s"),
                     path, g_strerror (saved_errno));
      errno = saved_errno;
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_file_check_private_dir:
 * @path: a folder of Mail Relay's own, such as …/mail-relay
 *
 * What relay_file_ensure_private_dir() does to a folder that is there,
 * for a reader that makes nothing: a missing folder is fine.
 *
 * Returns: whether @path is missing or a private folder of this user's now
 */
gboolean
relay_file_check_private_dir (const char  *path,
                              GError     **error)
{
  struct stat st;
  int fd;

  fd = g_open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return TRUE;
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

  if (!close_to_others (fd, &st, path, error))
    {
      close (fd);
      return FALSE;
    }

  close (fd);
  return TRUE;
}

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
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  return relay_file_check_private_dir (path, error);
}

/**
 * relay_file_open_own:
 * @path: a file in one of Mail Relay's own folders
 * @flags: flags for open(); %O_NOFOLLOW and %O_CLOEXEC are added
 * @mode: the mode of a file that %O_CREAT makes
 *
 * Opens a file of this user's own: never through a symbolic link that
 * someone planted (refused, not followed), only a regular file that
 * belongs to the user; one that others may read or write (a careless
 * chmod, a restored backup) is closed to them first.
 *
 * Returns: the file descriptor, or -1 with errno set (%ENOENT for a
 *   missing file, %ELOOP for a symbolic link, %EPERM for another user's
 *   file, %EINVAL for what is not a regular file) and @error naming @path
 */
int
relay_file_open_own (const char  *path,
                     int          flags,
                     int          mode,
                     GError     **error)
{
  struct stat st;
  int saved_errno;
  int fd;

  /* O_NONBLOCK: a planted FIFO does not hold the open */
  fd = g_open (path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
  if (fd < 0)
    {
      saved_errno = errno;
      if (saved_errno == ELOOP)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                     _("%s is a symbolic link: Mail Relay does not follow it"), path);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     _("Could not open %s: %s"), path, g_strerror (saved_errno));
      errno = saved_errno;
      return -1;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   _("%s is not a regular file: Mail Relay does not use it"), path);
      errno = EINVAL;
      return -1;
    }

  if (st.st_uid != getuid ())
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   _("%s belongs to another user: Mail Relay does not use it"), path);
      errno = EPERM;
      return -1;
    }

  if (!close_to_others (fd, &st, path, error) ||
      fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) != 0)
    {
      saved_errno = errno;
      close (fd);
      if (error != NULL && *error == NULL)
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     _("Could not open %s: %s"), path, g_strerror (saved_errno));
      errno = saved_errno;
      return -1;
    }

  return fd;
}
