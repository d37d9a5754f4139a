/* fuzz-send-log.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A send log as the model loads it: the line index over the file's bytes
 * (torn tail, foreign lines, other tools' forms), then each indexed line
 * parsed as the model does when a row is shown. Every line's quick
 * classification (the writer's own form read without parsing) must agree
 * with the full parse, and the command line's readers (scan, read_tail,
 * scan_since, with and without a status) must find the same entries and
 * count the same skipped lines in the same file. */

#define _GNU_SOURCE

#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay-send-log-private.h"

#include "fuzz-common.h"

/* a file of its own, not /proc/self/fd/N of a memfd: the log is never
 * opened through a symbolic link */
static int log_fd = -1;
static char *log_path;

static void
remove_log (void)
{
  g_unlink (log_path);
}

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
  const char      *contents;
  GArray          *starts;
  RelaySendStatus  status;
  guint            next;
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

static RelaySendStatus
indexed_status (const char *contents,
                GArray     *starts,
                guint       index)
{
  const char *line = contents + g_array_index (starts, guint64, index);
  const char *nl = strchr (line, '\n');
  RelaySendStatus status;

  g_assert (relay_send_log_line_get_status (line, nl - line, &status));
  return status;
}

/* the next indexed line of the status asked for */
static void
advance (ScanCheck *check)
{
  while (check->next < check->starts->len && check->status != RELAY_SEND_STATUS_ANY &&
         indexed_status (check->contents, check->starts, check->next) != check->status)
    check->next++;
}

static gboolean
scan_cb (const char *line,
         gsize       length,
         gpointer    user_data)
{
  ScanCheck *check = user_data;

  advance (check);
  g_assert_cmpuint (check->next, <, check->starts->len);
  g_assert (is_line (check->contents, check->starts, check->next, line, length));
  check->next++;

  return TRUE;
}

/* newest first */
static gboolean
since_cb (const char *line,
          gsize       length,
          gpointer    user_data)
{
  ScanCheck *check = user_data;

  g_assert_cmpuint (check->next, >, 0);
  check->next--;
  g_assert (is_line (check->contents, check->starts, check->next, line, length));

  return TRUE;
}

/* The command line reads the same file with its own code: it must find
 * the entries that the model indexed, no more, no fewer, and skip as many
 * lines */
static void
check_readers (const guint8 *data,
               size_t        size,
               GArray       *starts,
               guint         n_skipped)
{
  const char *contents = (const char *)data;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GError) error = NULL;
  ScanCheck check = { contents, starts, RELAY_SEND_STATUS_ANY, 0 };
  RelaySendStatus status = size > 0 ? data[0] % (RELAY_SEND_STATUS_UNKNOWN + 1) : 0;
  guint scan_skipped = G_MAXUINT, tail_skipped = G_MAXUINT;
  guint n_tail, n_of_status = 0;

  if (log_fd < 0)
    {
      log_fd = g_file_open_tmp ("fuzz-send-log-XXXXXX", &log_path, NULL);
      g_assert (log_fd >= 0);
      atexit (remove_log);
    }
  g_assert (ftruncate (log_fd, 0) == 0);
  g_assert (pwrite (log_fd, data, size, 0) == (gssize)size);

  g_assert (relay_send_log_scan_full (log_path, RELAY_SEND_STATUS_ANY, scan_cb, &check, &scan_skipped, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check.next, ==, starts->len);
  g_assert_cmpuint (scan_skipped, ==, n_skipped);

  /* with a status */
  check = (ScanCheck) { contents, starts, status, 0 };
  g_assert (relay_send_log_scan_full (log_path, status, scan_cb, &check, &scan_skipped, &error));
  advance (&check);
  g_assert_cmpuint (check.next, ==, starts->len);
  g_assert_cmpuint (scan_skipped, ==, n_skipped);
  for (guint i = 0; i < starts->len; i++)
    n_of_status += indexed_status (contents, starts, i) == status;

  all = relay_send_log_read_tail_full (log_path, G_MAXUINT, RELAY_SEND_STATUS_ANY, &tail_skipped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, starts->len);
  g_assert_cmpuint (tail_skipped, ==, n_skipped);
  for (guint i = 0; i < all->len; i++)
    g_assert (is_line (contents, starts, i, all->pdata[i], strlen (all->pdata[i])));
  g_clear_pointer (&all, g_ptr_array_unref);

  all = relay_send_log_read_tail_full (log_path, G_MAXUINT, status, &tail_skipped, &error);
  g_assert_cmpuint (all->len, ==, n_of_status);
  g_assert_cmpuint (tail_skipped, ==, n_skipped);

  n_tail = MIN (3, starts->len);
  tail = relay_send_log_read_tail (log_path, 3, RELAY_SEND_STATUS_ANY, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tail->len, ==, n_tail);
  for (guint i = 0; i < n_tail; i++)
    g_assert (is_line (contents, starts, starts->len - n_tail + i, tail->pdata[i],
                       strlen (tail->pdata[i])));

  /* the live updates' reader, back to the start */
  check = (ScanCheck) { contents, starts, RELAY_SEND_STATUS_ANY, starts->len };
  g_assert (relay_send_log_scan_since (log_path, G_MININT64, since_cb, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (check.next, ==, 0);
}

/* The quick classification agrees with the full parse on every line */
static void
check_line (const char *line,
            gsize       length,
            guint       position)
{
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  RelaySendStatus status;
  gboolean blank = TRUE;

  for (gsize i = 0; i < length && blank; i++)
    blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';

  entry = relay_send_log_entry_new_from_line (line, length, &error);
  if (relay_send_log_line_get_status (line, length, &status))
    {
      g_assert_no_error (error);
      g_assert (entry != NULL);
      g_assert_cmpint (status, ==, relay_send_log_entry_get_status (entry));
      use_entry (entry);
    }
  else
    {
      g_assert (entry == NULL);
      g_assert (blank || error != NULL);
      if (error != NULL)
        {
          g_autoptr(RelaySendLogEntry) unreadable = NULL;

          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          unreadable = relay_send_log_entry_new_unreadable (line, length, position, error);
          g_assert (relay_send_log_entry_get_status (unreadable) == RELAY_SEND_STATUS_UNKNOWN);
          use_entry (unreadable);
        }
    }
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (guint64));
  const char *contents = (const char *)data;
  const char *p, *nl;
  guint n_skipped = 0;
  guint n_lines = 0;

  fuzz_init ();

  g_assert (relay_send_log_index_lines (contents, size, starts, &n_skipped, NULL, NULL));

  /* every whole line, entry or not */
  for (p = contents; (nl = memchr (p, '\n', contents + size - p)) != NULL; p = nl + 1)
    check_line (p, nl - p, n_lines++);
  g_assert_cmpuint (starts->len + n_skipped, <=, n_lines);

  for (guint i = 0; i < starts->len; i++)
    {
      guint64 start = g_array_index (starts, guint64, i);
      const char *line = contents + start;
      g_autoptr(RelaySendLogEntry) entry = NULL;
      g_autoptr(GError) error = NULL;

      /* as relay_send_log_get_line(), then the model's row */
      g_assert (start < size);
      nl = memchr (line, '\n', size - start);
      g_assert (nl != NULL);

      entry = relay_send_log_entry_new_from_line (line, nl - line, &error);
      g_assert_no_error (error);
      use_entry (entry);
    }

  check_readers (data, size, starts, n_skipped);

  return 0;
}
