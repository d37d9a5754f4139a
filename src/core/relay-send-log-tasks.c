/* relay-send-log-tasks.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The work a reader of a loaded send log does off its main thread:
 * finding the rows that match a status, a search or an account over the
 * stored lines, each account's last outcome, and writing rows out as CSV. Each call copies what it reads and runs in
 * a worker thread; the result comes back in the caller's main context.
 */

#define G_LOG_DOMAIN "relay-send-log"

/* memmem */
#define _GNU_SOURCE

#include "config.h"

#include <string.h>

#include "relay-send-log.h"
#include "relay-task-private.h"

/* Lines between two looks at the cancellable */
#define CANCEL_STRIDE 0x10000

typedef struct
{
  RelaySendStatus status;  /* or RELAY_SEND_STATUS_ANY */
  char  *search_needle;  /* case-folded, or NULL */
  char  *account;        /* an account's id, or NULL */
  guint  first;
} Filter;

static void
filter_free (Filter *filter)
{
  g_free (filter->search_needle);
  g_free (filter->account);
  g_free (filter);
}

/* The line's entry was sent through @account: its id, which only a few
 * lines hold anywhere, is looked for before the line is parsed */
static gboolean
line_has_account (const char *line,
                  gsize       length,
                  const char *account)
{
  g_autoptr(RelaySendLogEntry) entry = NULL;

  if (memmem (line, length, account, strlen (account)) == NULL)
    return FALSE;

  entry = relay_send_log_entry_new_from_line (line, length, NULL);
  return entry != NULL && g_strcmp0 (relay_send_log_entry_get_account (entry), account) == 0;
}

/* On the stored lines, in whatever form they were written: the status as
 * every reader of the log reads it, a substring test for a search */
static void
filter_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RelaySendLog *log = source_object;
  Filter *filter = task_data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = filter->first; i < n; i++)
    {
      gsize length = 0;
      const char *line = relay_send_log_get_line (log, i, &length);

      if ((i & (CANCEL_STRIDE - 1)) == 0 && g_task_return_error_if_cancelled (task))
        return;
      if (line == NULL)
        continue;
      if (filter->status != RELAY_SEND_STATUS_ANY)
        {
          RelaySendStatus status;

          if (!relay_send_log_line_get_status (line, length, &status) || status != filter->status)
            continue;
        }
      if (filter->search_needle != NULL)
        {
          g_autofree char *folded = g_utf8_casefold (line, length);

          if (strstr (folded, filter->search_needle) == NULL)
            continue;
        }
      if (filter->account != NULL && !line_has_account (line, length, filter->account))
        continue;
      g_array_append_val (positions, i);
    }

  g_task_return_pointer (task, g_steal_pointer (&positions), (GDestroyNotify)g_array_unref);
}

/**
 * relay_send_log_filter_async:
 * @self: a loaded log
 * @first: the first row to look at
 * @status: the status the rows must have, or %RELAY_SEND_STATUS_ANY
 * @search: (nullable): text the rows' lines must hold, in any case, or
 *   %NULL (or "") for any
 * @account: (nullable): the id of the account the rows' events went
 *   through (their `account` member), or %NULL for any
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's main context when done
 * @user_data: for @callback
 *
 * Finds the rows from @first on that match, in a worker thread, reading
 * the stored lines without parsing them. The log must not be loaded again
 * until @callback has run: it reads the lines the log holds now.
 */
void
relay_send_log_filter_async (RelaySendLog        *self,
                             guint                first,
                             RelaySendStatus      status,
                             const char          *search,
                             const char          *account,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Filter *filter;

  g_return_if_fail (RELAY_IS_SEND_LOG (self));
  g_return_if_fail (status == RELAY_SEND_STATUS_ANY || (status >= 0 && status <= RELAY_SEND_STATUS_UNKNOWN));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  filter = g_new0 (Filter, 1);
  filter->first = first;
  filter->status = status;
  if (search != NULL && search[0] != '\0')
    filter->search_needle = g_utf8_casefold (search, -1);
  filter->account = g_strdup (account);

  relay_task_run_in_worker (self, relay_send_log_filter_async, filter, (GDestroyNotify)filter_free,
                            filter_thread, cancellable, callback, user_data);
}

/**
 * relay_send_log_filter_finish:
 *
 * Used error codes: %G_IO_ERROR_CANCELLED.
 *
 * Returns: (transfer full) (element-type guint): the positions of the rows
 *   that match, in order, or %NULL with @error set
 */
GArray *
relay_send_log_filter_finish (RelaySendLog  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_send_log_filter_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* RFC 4180: quoted when it must be, quotes doubled. A subject or a
 * server's reply is someone else's text: a cell that a spreadsheet would
 * take for a formula (=, +, -, @, a tab or a CR first) starts with an
 * apostrophe, so that it is shown as text (OWASP, “CSV Injection”). */
static void
append_csv_field (GString    *out,
                  const char *value,
                  gboolean    last)
{
  gboolean formula = value[0] != '\0' && strchr ("=+-@\t\r", value[0]) != NULL;

  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      if (formula)
        g_string_append_c (out, '\'');
      for (const char *p = value; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    {
      if (formula)
        g_string_append_c (out, '\'');
      g_string_append (out, value);
    }

  g_string_append (out, last ? "\r\n" : ",");
}

typedef struct
{
  GFile  *file;
  GArray *positions;  /* NULL: every row */
} Export;

static void
export_free (Export *export)
{
  g_clear_object (&export->file);
  g_clear_pointer (&export->positions, g_array_unref);
  g_free (export);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RelaySendLog *log = source_object;
  Export *export = task_data;
  g_autoptr(GString) out = g_string_new ("time,status,recipients,subject,attempt,reply\r\n");
  g_autoptr(GError) error = NULL;
  guint n = export->positions ? export->positions->len : g_list_model_get_n_items (G_LIST_MODEL (log));

  for (guint i = 0; i < n; i++)
    {
      guint position = export->positions ? g_array_index (export->positions, guint, i) : i;
      gsize length = 0;
      const char *line = relay_send_log_get_line (log, position, &length);
      g_autoptr(RelaySendLogEntry) entry = NULL;
      g_autofree char *time = NULL;
      g_autofree char *recipients = NULL;
      g_autofree char *attempt = NULL;

      if (line == NULL || !(entry = relay_send_log_entry_new_from_line (line, length, NULL)))
        continue;

      time = g_date_time_format_iso8601 (relay_send_log_entry_get_time (entry));
      recipients = g_strjoinv ("; ", (char **)relay_send_log_entry_get_recipients (entry));
      attempt = g_strdup_printf ("%u", relay_send_log_entry_get_attempt (entry));

      append_csv_field (out, time, FALSE);
      append_csv_field (out, relay_send_status_to_string (relay_send_log_entry_get_status (entry)), FALSE);
      append_csv_field (out, recipients, FALSE);
      append_csv_field (out, relay_send_log_entry_get_subject (entry), FALSE);
      append_csv_field (out, attempt, FALSE);
      append_csv_field (out, relay_send_log_entry_get_reply (entry), TRUE);
    }

  /* the log is private, and so is a copy of it: made 0600 from the start
   * (a new file replaces one that was there, and its mode) */
  if (!g_file_replace_contents (export->file, out->str, out->len, NULL, FALSE,
                                G_FILE_CREATE_REPLACE_DESTINATION | G_FILE_CREATE_PRIVATE,
                                NULL, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * relay_send_log_export_csv_async:
 * @self: a loaded log
 * @file: where the CSV goes; a file there is replaced
 * @positions: (nullable) (element-type guint): the rows to write, in
 *   order (copied), or %NULL for every row
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's main context when done
 * @user_data: for @callback
 *
 * Writes rows of the log to @file as CSV (RFC 4180, one header line:
 * time, status, recipients, subject, attempt, reply), in a worker thread.
 * The file is made readable by its owner only from the start, and a cell
 * that a spreadsheet would take for a formula starts with an apostrophe.
 * The log must not be loaded again until @callback has run.
 */
void
relay_send_log_export_csv_async (RelaySendLog        *self,
                                 GFile               *file,
                                 GArray              *positions,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Export *export;

  g_return_if_fail (RELAY_IS_SEND_LOG (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (positions == NULL || g_array_get_element_size (positions) == sizeof (guint));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  export = g_new0 (Export, 1);
  export->file = g_object_ref (file);
  if (positions != NULL)
    export->positions = g_array_copy (positions);

  relay_task_run_in_worker (self, relay_send_log_export_csv_async, export, (GDestroyNotify)export_free,
                            export_thread, cancellable, callback, user_data);
}

/**
 * relay_send_log_export_csv_finish:
 *
 * Used error codes: those of g_file_replace_contents() in %G_IO_ERROR
 * (%G_IO_ERROR_PERMISSION_DENIED, %G_IO_ERROR_NOT_FOUND for a folder
 * that is not there, %G_IO_ERROR_IS_DIRECTORY, %G_IO_ERROR_NO_SPACE…),
 * and %G_IO_ERROR_CANCELLED.
 *
 * Returns: whether the file was written
 */
gboolean
relay_send_log_export_csv_finish (RelaySendLog  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_send_log_export_csv_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Walks back from the newest line: the first outcome met of each account
 * is its last */
static void
outcomes_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  RelaySendLog *log = source_object;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (log));
  g_autoptr(GHashTable) outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(RelaySendLogEntry) entry = NULL;
      RelaySendStatus status;
      const char *account;
      gsize length = 0;
      const char *line = relay_send_log_get_line (log, i - 1, &length);

      if ((i & (CANCEL_STRIDE - 1)) == 0 && g_task_return_error_if_cancelled (task))
        return;
      /* the status is read without parsing: most lines are not outcomes */
      if (line == NULL || !relay_send_log_line_get_status (line, length, &status) ||
          (status != RELAY_SEND_STATUS_SENT && status != RELAY_SEND_STATUS_FAILED &&
           status != RELAY_SEND_STATUS_DEFERRED))
        continue;

      entry = relay_send_log_entry_new_from_line (line, length, NULL);
      account = entry != NULL ? relay_send_log_entry_get_account (entry) : NULL;
      if (account != NULL && !g_hash_table_contains (outcomes, account))
        g_hash_table_insert (outcomes, g_strdup (account), GINT_TO_POINTER (status));
    }

  g_task_return_pointer (task, g_steal_pointer (&outcomes), (GDestroyNotify)g_hash_table_unref);
}

/**
 * relay_send_log_last_outcomes_async:
 * @self: a loaded log
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's main context when done
 * @user_data: for @callback
 *
 * Finds, in a worker thread, how the last attempt through each account
 * ended: the status (%RELAY_SEND_STATUS_SENT, %RELAY_SEND_STATUS_FAILED
 * or %RELAY_SEND_STATUS_DEFERRED) of the newest such event that names
 * it. The log must not be loaded again until @callback has run.
 */
void
relay_send_log_last_outcomes_async (RelaySendLog        *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (RELAY_IS_SEND_LOG (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  relay_task_run_in_worker (self, relay_send_log_last_outcomes_async, NULL, NULL,
                            outcomes_thread, cancellable, callback, user_data);
}

/**
 * relay_send_log_last_outcomes_finish:
 *
 * Used error codes: %G_IO_ERROR_CANCELLED.
 *
 * Returns: (transfer full) (element-type utf8 RelaySendStatus): each
 *   account id the log names with the status of its last outcome
 *   (GINT_TO_POINTER()), or %NULL with @error set
 */
GHashTable *
relay_send_log_last_outcomes_finish (RelaySendLog  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_send_log_last_outcomes_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
