/* relay-file-private.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The data and config folders are the user's own and closed to others
 * (docs/security.md): another local user must not be able to plant a
 * file in them, nor read what waits in the outbox. The POSIX file
 * helpers that the stores share (whole writes and reads, a durable
 * folder, a read-only mapping) live here too: one implementation each.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/mman.h>
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

/**
 * relay_file_set_errno_error:
 * @saved_errno: the errno of the failure
 * @what: the verb: "read", "write", "create", "sync"…
 *
 * Sets @error to “Could not @what “@path”: …” in G_IO_ERROR, with the
 * code of @saved_errno.
 *
 * Returns: %FALSE, for `return relay_file_set_errno_error (…);`
 */
gboolean
relay_file_set_errno_error (GError     **error,
                            int          saved_errno,
                            const char  *what,
                            const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not %s “%s”: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/**
 * relay_file_write_all:
 *
 * Writes all of @data to @fd, again after an interruption.
 *
 * Returns: whether it was written, else errno says why
 */
gboolean
relay_file_write_all (int          fd,
                      const char  *data,
                      gsize        length)
{
  while (length > 0)
    {
      gssize written = write (fd, data, length);

      if (written < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }

      data += written;
      length -= written;
    }

  return TRUE;
}

/**
 * relay_file_write_new:
 * @path: a file that does not exist yet, in one of Mail Relay's own folders
 * @data: what it holds
 * @length: the length of @data
 *
 * Creates @path (mode 0600, never through a symbolic link), writes @data
 * and syncs the file (fsync), but not its folder: for a file that nothing
 * reads before another one names it, written after it and made durable
 * with the folder's sync (g_file_set_contents_full() with
 * %G_FILE_SET_CONTENTS_DURABLE), which makes this file's entry durable
 * too. On failure nothing is left at @path.
 *
 * Returns: whether the file was written and synced
 */
gboolean
relay_file_write_new (const char  *path,
                      const char  *data,
                      gsize        length,
                      GError     **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int saved_errno;

  if (fd < 0)
    return relay_file_set_errno_error (error, errno, "create", path);

  if (!relay_file_write_all (fd, data, length) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (path);
      return relay_file_set_errno_error (error, saved_errno, "write", path);
    }

  if (close (fd) != 0)
    {
      saved_errno = errno;
      g_unlink (path);
      return relay_file_set_errno_error (error, saved_errno, "write", path);
    }

  return TRUE;
}

/**
 * relay_file_pread_all:
 *
 * Reads exactly @length bytes of @fd at @offset into @buffer, again
 * after an interruption.
 *
 * Returns: whether they were read, else errno says why (%EIO when the
 *   file ends first)
 */
gboolean
relay_file_pread_all (int    fd,
                      char  *buffer,
                      gsize  length,
                      off_t  offset)
{
  while (length > 0)
    {
      gssize n = pread (fd, buffer, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }

      buffer += n;
      length -= n;
      offset += n;
    }

  return TRUE;
}

/**
 * relay_file_sync_directory:
 * @dir: the folder of a file just created
 *
 * Makes the folder's entries durable (fsync on the folder), so that a
 * file just created is still there after a crash.
 *
 * Returns: whether the folder was synced
 */
gboolean
relay_file_sync_directory (const char  *dir,
                           GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      relay_file_set_errno_error (error, errno, "sync", dir);
      if (fd >= 0)
        close (fd);
      return FALSE;
    }

  close (fd);
  return TRUE;
}

/**
 * relay_file_mapping_clear:
 *
 * Unmaps and closes what relay_file_map() mapped.
 */
void
relay_file_mapping_clear (RelayFileMapping *mapping)
{
  if (mapping->contents != NULL)
    munmap ((void *)mapping->contents, mapping->size);
  if (mapping->fd >= 0)
    close (mapping->fd);
}

/**
 * relay_file_map:
 * @path: a file of this user's own (see relay_file_open_own())
 * @mapping: (out caller-allocates): initialized with
 *   %RELAY_FILE_MAPPING_INIT; cleared with relay_file_mapping_clear()
 *   whatever this returns
 *
 * Maps @path read-only, for reading it once from start to end. A missing
 * or empty file maps to nothing, without an error.
 *
 * Returns: whether @path was mapped, or is missing or empty
 */
gboolean
relay_file_map (const char        *path,
                RelayFileMapping  *mapping,
                GError           **error)
{
  g_autoptr(GError) open_error = NULL;
  struct stat st;
  void *contents;

  mapping->fd = relay_file_open_own (path, O_RDONLY, 0, &open_error);
  if (mapping->fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;

      g_propagate_error (error, g_steal_pointer (&open_error));
      return FALSE;
    }

  if (fstat (mapping->fd, &st) != 0)
    return relay_file_set_errno_error (error, errno, "read", path);

  if (st.st_size == 0)
    return TRUE;

  contents = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, mapping->fd, 0);
  if (contents == MAP_FAILED)
    return relay_file_set_errno_error (error, errno, "map", path);

  mapping->contents = contents;
  mapping->size = st.st_size;
  madvise (contents, st.st_size, MADV_SEQUENTIAL);

  return TRUE;
}
