/* fuzz-send-log.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A send log as the model loads it: the line index over the file's bytes
 * (torn tail, foreign lines), then each indexed line parsed as the model
 * does when a row is shown. The command line's readers, scan and
 * read_tail, must find the same lines in the same file. */

#define _GNU_SOURCE

#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "relay-send-log-private.h"

#include "fuzz-common.h"

static int memfd = -1;
static char *memfd_path;

static void
use_entry (RelaySendLogEntry *entry)
{
  g_autofree char *line = relay_send_log_entry_to_line (entry);
  const char * const *recipients = relay_send_log_entry_get_recipients (entry);

  g_assert (g_str_has_prefix (line, "{\"time\":\""));
  g_assert (relay_send_log_entry_get_time (entry) != NULL);
  g_assert (relay_send_status_to_string (relay_send_log_entry_get_status (entry)) != NULL);
  g_assert (relay_send_log_entry_get_message_id (entry) != NULL);
  g_assert (relay_send_log_entry_get_subject (entry) != NULL);
  g_assert (relay_send_log_entry_get_reply (entry) != NULL);
  g_assert (recipients != NULL);
  for (guint i = 0; recipients[i] != NULL; i++)
    g_assert (g_utf8_validate (recipients[i], -1, NULL));
}

typedef struct
{
  const char *contents;
  GArray     *starts;
  guint       next;
} ScanCheck;

/* the @index-th indexed line of @contents, without its newline */
static gboolean
is_line (const char *contents,
         GArray     *starts,
         guint       index,
         const char *line,
         gsize       length)
{
  const char *expected = contents + g_array_index (starts, guint64, index);

  return memcmp (expected, line, length) == 0 && expected[length] == '\n';
}

static gboolean
scan_cb (const char *line,
         gsize       length,
         gpointer    user_data)
{
  ScanCheck *check = user_data;

  g_assert_cmpuint (check->next, <, check->starts->len);
  g_assert (is_line (check->contents, check->starts, check->next, line, length));
  check->next++;

  return TRUE;
}

/* The command line reads the same file with its own code: it must find
 * the lines that the model indexed, no more, no fewer */
static void
check_readers (const guint8 *data,
               size_t        size,
               GArray       *starts)
{
  const char *contents = (const char *)data;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GError) error = NULL;
  ScanCheck check = { contents, starts, 0 };
  guint n_tail;

  if (memfd < 0)
    {
      memfd = memfd_create ("fuzz-send-log", MFD_CLOEXEC);
      g_assert (memfd >= 0);
      memfd_path = g_strdup_printf ("/proc/self/fd/%d", memfd);
    }
  g_assert (ftruncate (memfd, 0) == 0);
  g_assert (pwrite (memfd, data, size, 0) == (gssize)size);

  g_assert (relay_send_log_scan (memfd_path, -1, scan_cb, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check.next, ==, starts->len);

  all = relay_send_log_read_tail (memfd_path, G_MAXUINT, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, starts->len);
  for (guint i = 0; i < all->len; i++)
    g_assert (is_line (contents, starts, i, all->pdata[i], strlen (all->pdata[i])));

  n_tail = MIN (3, starts->len);
  tail = relay_send_log_read_tail (memfd_path, 3, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tail->len, ==, n_tail);
  for (guint i = 0; i < n_tail; i++)
    g_assert (is_line (contents, starts, starts->len - n_tail + i, tail->pdata[i],
                       strlen (tail->pdata[i])));
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (guint64));
  const char *contents = (const char *)data;
  guint n_skipped = 0;

  fuzz_init ();

  g_assert (relay_send_log_index_lines (contents, size, starts, &n_skipped, NULL, NULL));

  for (guint i = 0; i < starts->len; i++)
    {
      guint64 start = g_array_index (starts, guint64, i);
      const char *line = contents + start;
      g_autoptr(RelaySendLogEntry) entry = NULL;
      g_autoptr(GError) error = NULL;
      const char *nl;

      /* as relay_send_log_get_line() */
      g_assert (start < size);
      nl = memchr (line, '\n', size - start);
      g_assert (nl != NULL);

      entry = relay_send_log_entry_new_from_line (line, nl - line, &error);
      if (entry == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          entry = relay_send_log_entry_new_unreadable (line, nl - line, i, error);
          g_assert (relay_send_log_entry_get_status (entry) == RELAY_SEND_STATUS_UNKNOWN);
        }
      use_entry (entry);
    }

  check_readers (data, size, starts);

  return 0;
}
