/* test-helpers.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-helpers.h"

static void
scan_tree (const char *path,
           const char *secret,
           guint      *n_files)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *contents = NULL;
      gsize length = 0;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      if (memmem (contents, length, secret, strlen (secret)) != NULL)
        g_error ("%s contains the secret", path);
      (*n_files)++;
      return;
    }

  if ((dir = g_dir_open (path, 0, NULL)) == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      scan_tree (child, secret, n_files);
    }
}

/**
 * isolate_user_dirs:
 *
 * Points HOME and the XDG user directories at a fresh temporary tree.
 * For tests that need the system data directories (MIME data to load
 * SVG icons), which G_TEST_OPTION_ISOLATE_DIRS would hide. Call it before
 * anything reads those directories.
 */
void
isolate_user_dirs (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("mail-relay-test-XXXXXX", &error);
  const char *vars[][2] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
  };

  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *path = g_build_filename (root, vars[i][1], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
      g_setenv (vars[i][0], path, TRUE);
    }
}

/**
 * remove_tree:
 *
 * Deletes @path and everything below it, if it exists.
 */
void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
    }

  g_remove (path);
}

/**
 * assert_no_file_contains:
 *
 * Fails when any file under the test's XDG directories or home holds
 * @secret, and when there are no files at all (which would prove nothing).
 */
void
assert_no_file_contains (const char *secret)
{
  const char *roots[] = {
    g_get_home_dir (),
    g_get_user_config_dir (),
    g_get_user_data_dir (),
    g_get_user_cache_dir (),
    g_get_user_state_dir (),
    g_get_user_runtime_dir (),
  };
  guint n_files = 0;

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    scan_tree (roots[i], secret, &n_files);

  g_assert_cmpuint (n_files, >, 0);
}

/**
 * run_secret_tool_lookup:
 *
 * Returns: (transfer full) (nullable): what `secret-tool lookup` prints
 *   for the item, or %NULL when it finds none
 */
char *
run_secret_tool_lookup (const char *account_id,
                        const char *kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status;
  const char *argv[] = {
    "secret-tool", "lookup",
    "xdg:schema", "io.github.mailrelay.MailRelay",
    "account", account_id,
    "kind", kind,
    NULL
  };

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);

  if (!g_spawn_check_wait_status (status, NULL))
    return NULL;

  return g_steal_pointer (&out);
}
