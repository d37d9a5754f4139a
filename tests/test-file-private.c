/* test-file-private.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The POSIX file helpers that the send log and the outbox share
 * (relay-file-private.c): whole writes and reads, a new file written and
 * synced, a folder's fsync, a
 * read-only mapping of a file of the user's own. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-file-private.h"

static char *
make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-file-private-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* What is written whole reads back whole, at any offset; reading past
 * the end is an error (EIO), not a short read */
static void
test_write_pread (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "data", NULL);
  g_autoptr(GString) data = g_string_new (NULL);
  g_autofree char *back = NULL;
  int fd;

  /* more than one pipe or page buffer */
  for (guint i = 0; data->len < 300 * 1024; i++)
    g_string_append_printf (data, "line %u\n", i);

  fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (relay_file_write_all (fd, data->str, data->len));
  g_assert_true (relay_file_write_all (fd, "", 0));

  back = g_malloc (data->len);
  g_assert_true (relay_file_pread_all (fd, back, data->len, 0));
  g_assert_cmpmem (back, data->len, data->str, data->len);
  g_assert_true (relay_file_pread_all (fd, back, 10, data->len - 10));
  g_assert_cmpmem (back, 10, data->str + data->len - 10, 10);

  errno = 0;
  g_assert_false (relay_file_pread_all (fd, back, 11, data->len - 10));
  g_assert_cmpint (errno, ==, EIO);

  /* a write that cannot be made says why */
  close (fd);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  errno = 0;
  g_assert_false (relay_file_write_all (fd, "x", 1));
  g_assert_cmpint (errno, ==, EBADF);
  close (fd);

  remove_dir (dir);
}

static void
test_sync_directory (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_file_sync_directory (dir, &error));
  g_assert_no_error (error);

  g_assert_false (relay_file_sync_directory (missing, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));

  remove_dir (dir);
}

/* A new file is written whole, mode 0600; one that exists, or a planted
 * link, is refused and left as it was, naming the file */
static void
test_write_new (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "new.eml", NULL);
  g_autofree char *link = g_build_filename (dir, "link.eml", NULL);
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;
  gsize length;

  g_assert_true (relay_file_write_new (path, "Subject: x\r\n\r\nbody\r\n", 21, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, "Subject: x\r\n\r\nbody\r\n", 21);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* never over a file that is there */
  g_assert_false (relay_file_write_new (path, "other", 5, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, 21);

  /* nor through a planted link, whose target stays unmade */
  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_false (relay_file_write_new (link, "x", 1, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));

  remove_dir (dir);
}

/* A missing or empty file maps to nothing without an error; a file maps
 * whole; a planted link is refused, naming the file */
static void
test_map (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *full = g_build_filename (dir, "full", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  g_autoptr(GError) error = NULL;
  RelayFileMapping mapping = RELAY_FILE_MAPPING_INIT;
  struct stat st;

  g_assert_true (relay_file_map (missing, &mapping, &error));
  g_assert_no_error (error);
  g_assert_null (mapping.contents);
  relay_file_mapping_clear (&mapping);

  g_assert_true (g_file_set_contents_full (empty, "", 0, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  mapping = (RelayFileMapping) RELAY_FILE_MAPPING_INIT;
  g_assert_true (relay_file_map (empty, &mapping, &error));
  g_assert_no_error (error);
  g_assert_null (mapping.contents);
  g_assert_cmpuint (mapping.size, ==, 0);
  relay_file_mapping_clear (&mapping);

  /* open to others: closed to them as it is opened */
  g_assert_true (g_file_set_contents_full (full, "a\nb\n", 4, G_FILE_SET_CONTENTS_NONE, 0644,
                                           NULL));
  g_assert_cmpint (chmod (full, 0644), ==, 0);
  mapping = (RelayFileMapping) RELAY_FILE_MAPPING_INIT;
  g_assert_true (relay_file_map (full, &mapping, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (mapping.contents, mapping.size, "a\nb\n", 4);
  relay_file_mapping_clear (&mapping);
  g_assert_cmpint (g_stat (full, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_cmpint (symlink (full, link), ==, 0);
  mapping = (RelayFileMapping) RELAY_FILE_MAPPING_INIT;
  g_assert_false (relay_file_map (link, &mapping, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, link));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  relay_file_mapping_clear (&mapping);

  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/file-private/write-pread", test_write_pread);
  g_test_add_func ("/file-private/sync-directory", test_sync_directory);
  g_test_add_func ("/file-private/write-new", test_write_new);
  g_test_add_func ("/file-private/map", test_map);

  return g_test_run ();
}
