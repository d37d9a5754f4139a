/* test-helpers.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE

#include "config.h"

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
