/* relay-send-log-scan.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading the send log's lines straight off the file, without the list
 * model: forwards over a mapping (`log`, `--status`, the outbox's
 * recovery), backwards from the end a chunk at a time (`--limit`, the
 * throttle's recent attempts).
 */

#define G_LOG_DOMAIN "relay-send-log"

/* memrchr */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-file-private.h"
#include "relay-send-log-private.h"

/**
 * relay_send_log_scan_full:
 * @status: the entries' status, or %RELAY_SEND_STATUS_ANY for every status
 * @func: called with each entry's line (no newline, not nul-terminated),
 *   oldest first; returns %FALSE to stop
 * @n_skipped: (out) (optional): how many lines were not entries
 *
 * Walks the log's entries: what `log --json` prints. Every reader agrees
 * on what an entry is (relay_send_log_line_get_status()): the writer's own
 * lines are recognized without parsing them, any other line is parsed.
 * Lines that are not entries are skipped and counted, blank lines are
 * skipped, and the piece after the last newline (a line being written,
 * or a torn tail that the next load or append moves aside) is not a line
 * yet. A missing file is an empty log.
 */
gboolean
relay_send_log_scan_full (const char            *path,
                          RelaySendStatus        status,
                          RelaySendLogLineFunc   func,
                          gpointer               user_data,
                          guint                 *n_skipped,
                          GError               **error)
{
  RelayFileMapping mapping = RELAY_FILE_MAPPING_INIT;
  const char *p, *end;
  guint skipped = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (status == RELAY_SEND_STATUS_ANY ||
                        (guint)status <= RELAY_SEND_STATUS_UNKNOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (n_skipped != NULL)
    *n_skipped = 0;

  if (!relay_send_log_check_dir (path, error))
    return FALSE;

  if (!relay_file_map (path, &mapping, error))
    {
      relay_file_mapping_clear (&mapping);
      return FALSE;
    }

  if (mapping.contents == NULL)
    {
      relay_file_mapping_clear (&mapping);
      return TRUE;
    }

  end = memrchr (mapping.contents, '\n', mapping.size);
  end = end ? end + 1 : mapping.contents;

  for (p = mapping.contents; p < end;)
    {
      const char *line = p;
      const char *nl = memchr (p, '\n', end - p);
      RelaySendStatus line_status;
      LineKind kind;

      p = nl + 1;
      kind = relay_send_log_classify_line (line, nl - line, &line_status, NULL);
      if (kind == LINE_NOT_ENTRY)
        skipped++;
      else if (kind == LINE_ENTRY && (status == RELAY_SEND_STATUS_ANY || line_status == status) &&
               !func (line, nl - line, user_data))
        break;
    }

  if (n_skipped != NULL)
    *n_skipped = skipped;

  relay_file_mapping_clear (&mapping);
  return TRUE;
}

/**
 * relay_send_log_scan:
 *
 * relay_send_log_scan_full() without the count of lines skipped.
 */
gboolean
relay_send_log_scan (const char            *path,
                     RelaySendStatus        status,
                     RelaySendLogLineFunc   func,
                     gpointer               user_data,
                     GError               **error)
{
  return relay_send_log_scan_full (path, status, func, user_data, NULL, error);
}

/* An entry's line, its status and (when asked for) its time */
typedef gboolean (*EntryFunc) (const char      *line,
                               gsize            length,
                               RelaySendStatus  status,
                               GDateTime       *time,
                               gpointer         user_data);

typedef struct
{
  EntryFunc  func;
  gpointer   user_data;
  gboolean   want_time;
  guint      n_skipped;
} Backwards;

static gboolean
backwards_line (Backwards  *backwards,
                const char *line,
                gsize       length)
{
  g_autoptr(GDateTime) time = NULL;
  RelaySendStatus status;

  switch (relay_send_log_classify_line (line, length, &status, backwards->want_time ? &time : NULL))
    {
    case LINE_ENTRY:
      return backwards->func (line, length, status, time, backwards->user_data);
    case LINE_NOT_ENTRY:
      backwards->n_skipped++;
      return TRUE;
    case LINE_BLANK:
    default:
      return TRUE;
    }
}

/* Calls @backwards->func on each entry of @path, newest first, reading
 * the file backwards 64 KiB at a time, until it returns %FALSE. Skips and
 * counts what relay_send_log_scan_full() skips and counts, up to where
 * it stops. A missing file has no lines. */
static gboolean
scan_backwards (const char  *path,
                Backwards   *backwards,
                GError     **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GError) open_error = NULL;
  gboolean have_end = FALSE;
  gboolean overlong = FALSE;
  gboolean more = TRUE;
  struct stat st;
  off_t pos;
  int fd;

  if (!relay_send_log_check_dir (path, error))
    return FALSE;

  fd = relay_file_open_own (path, O_RDONLY, 0, &open_error);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;

      g_propagate_error (error, g_steal_pointer (&open_error));
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      close (fd);
      return relay_file_set_errno_error (error, saved_errno, "read", path);
    }

  /* @buffer holds the start of the file's unread part followed by the
   * partial line that the previous chunk began in the middle of */
  for (pos = st.st_size; pos > 0 && more;)
    {
      gsize n = MIN (pos, CHUNK_SIZE);
      gsize carry = buffer->len;
      const char *data;
      gsize line_end;

      g_byte_array_set_size (buffer, n + carry);
      memmove (buffer->data + n, buffer->data, carry);
      if (!relay_file_pread_all (fd, (char *)buffer->data, n, pos - n))
        {
          int saved_errno = errno;

          close (fd);
          return relay_file_set_errno_error (error, saved_errno, "read", path);
        }
      pos -= n;

      data = (const char *)buffer->data;
      line_end = buffer->len;
      while (more)
        {
          const char *nl = memrchr (data, '\n', line_end);
          gsize line_start;

          if (nl == NULL)
            break;

          line_start = nl - data + 1;
          /* the first newline from the end: after it, a line not yet whole */
          if (have_end && overlong)
            backwards->n_skipped++;
          else if (have_end)
            more = backwards_line (backwards, data + line_start, line_end - line_start);
          have_end = TRUE;
          overlong = FALSE;
          line_end = nl - data;
        }

      /* keep the partial line for the next chunk, unless it is already
       * longer than any entry */
      g_byte_array_set_size (buffer, line_end);
      if (buffer->len > MAX_LINE)
        {
          overlong = TRUE;
          g_byte_array_set_size (buffer, 0);
        }
    }

  /* the file's first line */
  if (pos == 0 && more && have_end)
    {
      if (overlong)
        backwards->n_skipped++;
      else
        backwards_line (backwards, (const char *)buffer->data, buffer->len);
    }

  close (fd);
  return TRUE;
}

typedef struct
{
  GPtrArray       *lines;
  guint            n_lines;
  RelaySendStatus  status;
} Tail;

static gboolean
tail_line_cb (const char      *line,
              gsize            length,
              RelaySendStatus  status,
              GDateTime       *time,
              gpointer         user_data)
{
  Tail *tail = user_data;

  if (tail->status == RELAY_SEND_STATUS_ANY || status == tail->status)
    g_ptr_array_add (tail->lines, g_strndup (line, length));

  return tail->lines->len < tail->n_lines;
}

/**
 * relay_send_log_read_tail_full:
 * @n_lines: how many entries at most
 * @status: the entries' status, or %RELAY_SEND_STATUS_ANY for every status
 * @n_skipped: (out) (optional): how many lines that are not entries it
 *   passed on its way back
 *
 * The lines of the last @n_lines entries (of @status), reading only the
 * end of the file: backwards, 64 KiB at a time. Skips what
 * relay_send_log_scan_full() skips. A missing file is an empty log.
 *
 * Returns: (transfer container) (element-type utf8): the lines, each
 *   without its newline, oldest first; %NULL on error
 */
GPtrArray *
relay_send_log_read_tail_full (const char       *path,
                               guint             n_lines,
                               RelaySendStatus   status,
                               guint            *n_skipped,
                               GError          **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  Tail tail = { lines, n_lines, status };
  Backwards backwards = { tail_line_cb, &tail, FALSE, 0 };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (status == RELAY_SEND_STATUS_ANY ||
                        (guint)status <= RELAY_SEND_STATUS_UNKNOWN, NULL);

  if (n_skipped != NULL)
    *n_skipped = 0;

  if (n_lines == 0)
    return g_steal_pointer (&lines);

  if (!scan_backwards (path, &backwards, error))
    return NULL;

  /* found newest first */
  for (guint i = 0, j = lines->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = lines->pdata[i];

      lines->pdata[i] = lines->pdata[j - 1];
      lines->pdata[j - 1] = tmp;
    }

  if (n_skipped != NULL)
    *n_skipped = backwards.n_skipped;

  return g_steal_pointer (&lines);
}

/**
 * relay_send_log_read_tail:
 *
 * relay_send_log_read_tail_full() without the count of lines skipped.
 */
GPtrArray *
relay_send_log_read_tail (const char       *path,
                          guint             n_lines,
                          RelaySendStatus   status,
                          GError          **error)
{
  return relay_send_log_read_tail_full (path, n_lines, status, NULL, error);
}

typedef struct
{
  gint64                since;
  RelaySendLogLineFunc  func;
  gpointer              user_data;
} Since;

static gboolean
since_line_cb (const char      *line,
               gsize            length,
               RelaySendStatus  status,
               GDateTime       *time,
               gpointer         user_data)
{
  Since *since = user_data;

  if (g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time) < since->since)
    return FALSE;

  return since->func (line, length, since->user_data);
}

/**
 * relay_send_log_scan_since:
 * @since: microseconds since the epoch
 *
 * Calls @func on each entry's line from the end of the file back to the
 * first entry older than @since, newest first, reading only that part of
 * the file; what is not an entry is skipped as relay_send_log_scan_full()
 * skips it. Lines are appended in the order they happen, give or take
 * the moments between taking the time and writing: pass @since with
 * room to spare.
 */
gboolean
relay_send_log_scan_since (const char            *path,
                           gint64                 since,
                           RelaySendLogLineFunc   func,
                           gpointer               user_data,
                           GError               **error)
{
  Since data = { since, func, user_data };
  Backwards backwards = { since_line_cb, &data, TRUE, 0 };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return scan_backwards (path, &backwards, error);
}
