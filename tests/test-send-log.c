/* test-send-log.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-send-log.h"
#include "test-helpers.h"

static char *
log_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
}

static void
write_file (const char *path,
            const char *contents,
            gssize      length)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static RelaySendLogEntry *
make_entry (RelaySendStatus  status,
            guint            n,
            const char      *subject)
{
  g_autofree char *id = g_strdup_printf ("<%u.bench@example.org>", n);
  g_autofree char *rcpt = g_strdup_printf ("rcpt%u@example.org", n);
  const char *recipients[] = { rcpt, "copy@example.org", NULL };

  return relay_send_log_entry_new (status, id, recipients, subject, n % 4 + 1, "250 2.0.0 Ok");
}

static char *
make_line (RelaySendStatus  status,
           guint            n,
           const char      *subject)
{
  g_autoptr(RelaySendLogEntry) entry = make_entry (status, n, subject);

  return relay_send_log_entry_to_line (entry);
}

static void
test_entry_round_trip (void)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 ("2026-11-28T02:50:00.123456+01:00", NULL);
  g_autoptr(GDateTime) next = g_date_time_new_from_iso8601 ("2026-11-28T03:00:00Z", NULL);
  const char *recipients[] = { "a@example.org", "b@example.org", NULL };
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(RelaySendLogEntry) parsed = NULL;
  g_autoptr(RelaySendLogEntry) minimal = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *again = NULL;
  g_autofree char *minimal_line = NULL;

  entry = relay_send_log_entry_new (RELAY_SEND_STATUS_DEFERRED, "<1@example.org>", recipients,
                                    "Hello “world”\nsecond line", 2, "451 4.7.1 Try again later");
  relay_send_log_entry_set_time (entry, time);
  relay_send_log_entry_set_account (entry, "3f0c1a52-77f1-4bd6-9c1e-0a4a7e9d3b11");
  relay_send_log_entry_set_detail (entry, "The server is busy");
  relay_send_log_entry_set_next_attempt (entry, next);
  relay_send_log_entry_set_source (entry, "app");

  line = relay_send_log_entry_to_line (entry);
  g_assert_cmpstr (line, ==,
                   "{\"time\":\"2026-11-28T02:50:00.123+01:00\",\"message_id\":\"<1@example.org>\","
                   "\"status\":\"deferred\",\"recipients\":[\"a@example.org\",\"b@example.org\"],"
                   "\"subject\":\"Hello “world”\\nsecond line\",\"attempt\":2,"
                   "\"reply\":\"451 4.7.1 Try again later\","
                   "\"account\":\"3f0c1a52-77f1-4bd6-9c1e-0a4a7e9d3b11\","
                   "\"detail\":\"The server is busy\",\"next_attempt\":\"2026-11-28T03:00:00.000+00:00\","
                   "\"source\":\"app\"}");

  parsed = relay_send_log_entry_new_from_line (line, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  g_assert_cmpint (relay_send_log_entry_get_status (parsed), ==, RELAY_SEND_STATUS_DEFERRED);
  g_assert_cmpstr (relay_send_log_entry_get_message_id (parsed), ==, "<1@example.org>");
  g_assert_true (g_strv_equal ((const char * const *)relay_send_log_entry_get_recipients (parsed),
                               recipients));
  g_assert_cmpstr (relay_send_log_entry_get_subject (parsed), ==, "Hello “world”\nsecond line");
  g_assert_cmpuint (relay_send_log_entry_get_attempt (parsed), ==, 2);
  g_assert_cmpstr (relay_send_log_entry_get_reply (parsed), ==, "451 4.7.1 Try again later");
  g_assert_cmpstr (relay_send_log_entry_get_account (parsed), ==, "3f0c1a52-77f1-4bd6-9c1e-0a4a7e9d3b11");
  g_assert_cmpstr (relay_send_log_entry_get_detail (parsed), ==, "The server is busy");
  g_assert_cmpstr (relay_send_log_entry_get_source (parsed), ==, "app");
  g_assert_true (g_date_time_equal (relay_send_log_entry_get_time (parsed),
                                    relay_send_log_entry_get_time (entry)));
  g_assert_true (g_date_time_equal (relay_send_log_entry_get_next_attempt (parsed), next));
  again = relay_send_log_entry_to_line (parsed);
  g_assert_cmpstr (again, ==, line);

  /* optional members left out; the time is now, in milliseconds */
  minimal = relay_send_log_entry_new (RELAY_SEND_STATUS_SENT, "<2@example.org>", NULL, NULL, 1, NULL);
  g_assert_cmpint (g_date_time_get_microsecond (relay_send_log_entry_get_time (minimal)) % 1000, ==, 0);
  minimal_line = relay_send_log_entry_to_line (minimal);
  g_assert_true (g_str_has_prefix (minimal_line, "{\"time\":\""));
  g_assert_true (g_str_has_suffix (minimal_line,
                                   "\",\"message_id\":\"<2@example.org>\",\"status\":\"sent\","
                                   "\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}"));
  g_assert_null (strchr (minimal_line, '\n'));
}

static void
test_entry_strict (void)
{
  const char *bad[] = {
    "",
    "[]",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\"",
    /* unknown status */
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"lost\",\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}",
    /* a recipient that is not a string */
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[1],\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":\"a@b\",\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}",
    /* attempts */
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[],\"subject\":\"\",\"attempt\":-1,\"reply\":\"\"}",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[],\"subject\":\"\",\"attempt\":1.5,\"reply\":\"\"}",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[],\"subject\":\"\",\"attempt\":\"1\",\"reply\":\"\"}",
    /* a time without an offset, a missing member, a wrong type */
    "{\"time\":\"2026-11-28T02:50:00.000\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[],\"attempt\":1,\"reply\":\"\"}",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":null,\"status\":\"sent\",\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}",
    "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\",\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\",\"next_attempt\":\"soon\"}",
  };
  g_autoptr(GString) huge = g_string_new ("{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\","
                                          "\"status\":\"sent\",\"recipients\":[],\"subject\":\"");
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(RelaySendLogEntry) bad_entry = relay_send_log_entry_new_from_line (bad[i], -1, &error);

      g_test_message ("%s: %s", bad[i], error ? error->message : "accepted");
      g_assert_null (bad_entry);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }

  /* the length bound holds even for a line that would parse */
  for (guint i = 0; i < 70 * 1024; i++)
    g_string_append_c (huge, 'x');
  g_string_append (huge, "\",\"attempt\":1,\"reply\":\"\"}");
  entry = relay_send_log_entry_new_from_line (huge->str, huge->len, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (entry);
  g_clear_error (&error);

  /* a length that stops before the nul is honoured */
  {
    const char *line = "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\",\"status\":\"sent\","
                       "\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}garbage";
    entry = relay_send_log_entry_new_from_line (line, strlen (line) - strlen ("garbage"), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (relay_send_log_entry_get_message_id (entry), ==, "x");
  }
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  guint *changes = user_data;

  changes[0]++;
  changes[1] = position;
  changes[2] = removed;
  changes[3] = added;
}

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_send_log_load_finish (RELAY_SEND_LOG (object), result, &error));
  g_assert_no_error (error);
  /* the model has changed before the callback */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (object)), ==, 3);
  *done = TRUE;
}

static void
assert_item (GListModel *model,
             guint       position,
             guint       n,
             RelaySendStatus status)
{
  g_autoptr(RelaySendLogEntry) entry = g_list_model_get_item (model, position);
  g_autofree char *id = g_strdup_printf ("<%u.bench@example.org>", n);

  g_assert_nonnull (entry);
  g_assert_true (RELAY_IS_SEND_LOG_ENTRY (entry));
  g_assert_cmpstr (relay_send_log_entry_get_message_id (entry), ==, id);
  g_assert_cmpint (relay_send_log_entry_get_status (entry), ==, status);
}

static void
test_append_load (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLog) reader = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) a = make_entry (RELAY_SEND_STATUS_QUEUED, 1, "one");
  g_autoptr(RelaySendLogEntry) b = make_entry (RELAY_SEND_STATUS_SENT, 2, "two");
  g_autoptr(RelaySendLogEntry) c = make_entry (RELAY_SEND_STATUS_FAILED, 3, "three");
  g_autoptr(RelaySendLogEntry) d = make_entry (RELAY_SEND_STATUS_THROTTLED, 4, "four");
  RelaySendLogEntry *first[] = { a };
  RelaySendLogEntry *pair[] = { b, c };
  RelaySendLogEntry *last[] = { d };
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *line_a = relay_send_log_entry_to_line (a);
  g_autofree char *line_b = relay_send_log_entry_to_line (b);
  g_autofree char *line_c = relay_send_log_entry_to_line (c);
  g_autofree char *line_d = relay_send_log_entry_to_line (d);
  guint changes[4] = { 0, };
  gboolean done = FALSE;
  const char *line;
  gsize length;
  struct stat st;

  g_assert_cmpstr (relay_send_log_get_path (log), ==, path);

  /* nothing yet: an empty model, no error */
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (log)) == RELAY_TYPE_SEND_LOG_ENTRY);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (log), 0));

  g_signal_connect (log, "items-changed", G_CALLBACK (items_changed_cb), changes);
  g_assert_true (relay_send_log_append (log, first, 1, &error));
  g_assert_no_error (error);
  g_assert_true (relay_send_log_append (log, pair, 2, &error));
  g_assert_no_error (error);

  /* one signal per append, at the end */
  g_assert_cmpuint (changes[0], ==, 2);
  g_assert_cmpuint (changes[1], ==, 1);
  g_assert_cmpuint (changes[2], ==, 0);
  g_assert_cmpuint (changes[3], ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 3);
  assert_item (G_LIST_MODEL (log), 2, 3, RELAY_SEND_STATUS_FAILED);
  line = relay_send_log_get_line (log, 1, &length);
  g_assert_cmpmem (line, length, line_b, strlen (line_b));

  /* on disk, readable only by the user */
  contents = read_file (path);
  expected = g_strconcat (line_a, "\n", line_b, "\n", line_c, "\n", NULL);
  g_assert_cmpstr (contents, ==, expected);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* another reader, loaded in a thread */
  relay_send_log_load_async (reader, NULL, load_done_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  assert_item (G_LIST_MODEL (reader), 0, 1, RELAY_SEND_STATUS_QUEUED);
  assert_item (G_LIST_MODEL (reader), 1, 2, RELAY_SEND_STATUS_SENT);
  assert_item (G_LIST_MODEL (reader), 2, 3, RELAY_SEND_STATUS_FAILED);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (reader), 3));
  g_assert_null (relay_send_log_get_torn_path (reader));
  g_assert_cmpuint (relay_send_log_get_n_skipped (reader), ==, 0);

  /* the reader grows with its own appends, after the loaded lines */
  g_assert_true (relay_send_log_append (reader, last, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reader)), ==, 4);
  assert_item (G_LIST_MODEL (reader), 3, 4, RELAY_SEND_STATUS_THROTTLED);
  line = relay_send_log_get_line (reader, 3, &length);
  g_assert_cmpmem (line, length, line_d, strlen (line_d));

  /* a reload replaces everything */
  changes[0] = 0;
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_cmpuint (changes[0], ==, 1);
  g_assert_cmpuint (changes[1], ==, 0);
  g_assert_cmpuint (changes[2], ==, 3);
  g_assert_cmpuint (changes[3], ==, 4);

  /* the load's worker thread held no reference to the reader: it goes
   * now, here, and not later in the worker (a GTask run in a thread drops
   * its last reference there, possibly after its callback has run) */
  g_assert_true (await_finalize (g_steal_pointer (&reader)) == g_thread_self ());
}

/* Another process appends: a reload indexes only the new lines and
 * keeps the rows before them; a file rewritten or replaced starts over */
static void
test_reload_grown (void)
{
  g_autofree char *path = log_path ();
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLog) writer = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) a = make_entry (RELAY_SEND_STATUS_SENT, 1, "one");
  g_autoptr(RelaySendLogEntry) b = make_entry (RELAY_SEND_STATUS_DEFERRED, 2, "two");
  g_autoptr(RelaySendLogEntry) c = make_entry (RELAY_SEND_STATUS_FAILED, 3, "three");
  g_autoptr(RelaySendLogEntry) first = NULL;
  g_autoptr(RelaySendLogEntry) again = NULL;
  RelaySendLogEntry *pair[] = { a, b };
  RelaySendLogEntry *one[] = { c };
  g_autofree char *line_b = relay_send_log_entry_to_line (b);
  g_autofree char *line_c = relay_send_log_entry_to_line (c);
  g_autofree char *other = make_line (RELAY_SEND_STATUS_QUEUED, 9, "a rewritten file");
  g_autofree char *rewritten = NULL;
  g_autofree char *replacement = NULL;
  g_autoptr(GError) error = NULL;
  guint changes[4] = { 0, };
  const char *line;
  gsize length;
  FILE *file;

  g_assert_true (relay_send_log_append (writer, pair, 2, &error));
  g_assert_no_error (error);
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (log), 0);

  g_signal_connect (log, "items-changed", G_CALLBACK (items_changed_cb), changes);

  /* nothing new: no change at all */
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_cmpuint (changes[0], ==, 0);

  /* grown: one change, at the end, and the first row is the same object */
  g_assert_true (relay_send_log_append (writer, one, 1, &error));
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes[0], ==, 1);
  g_assert_cmpuint (changes[1], ==, 2);
  g_assert_cmpuint (changes[2], ==, 0);
  g_assert_cmpuint (changes[3], ==, 1);
  again = g_list_model_get_item (G_LIST_MODEL (log), 0);
  g_assert_true (again == first);
  g_clear_object (&again);
  assert_item (G_LIST_MODEL (log), 2, 3, RELAY_SEND_STATUS_FAILED);
  line = relay_send_log_get_line (log, 2, &length);
  g_assert_cmpmem (line, length, line_c, strlen (line_c));
  line = relay_send_log_get_line (log, 1, &length);
  g_assert_cmpmem (line, length, line_b, strlen (line_b));

  /* rewritten in place, longer than before: every row is new */
  rewritten = g_strconcat (other, "\n", other, "\n", other, "\n", other, "\n", NULL);
  file = fopen (path, "w");
  g_assert_nonnull (file);
  g_assert_cmpint (fputs (rewritten, file), >=, 0);
  g_assert_cmpint (fclose (file), ==, 0);
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_cmpuint (changes[0], ==, 2);
  g_assert_cmpuint (changes[1], ==, 0);
  g_assert_cmpuint (changes[2], ==, 3);
  g_assert_cmpuint (changes[3], ==, 4);
  assert_item (G_LIST_MODEL (log), 0, 9, RELAY_SEND_STATUS_QUEUED);

  /* replaced by another file with the same start: every row is new too */
  replacement = g_strconcat (rewritten, other, "\n", NULL);
  g_assert_true (g_file_set_contents (path, replacement, -1, &error));
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_cmpuint (changes[0], ==, 3);
  g_assert_cmpuint (changes[1], ==, 0);
  g_assert_cmpuint (changes[2], ==, 4);
  g_assert_cmpuint (changes[3], ==, 5);
}

static void
test_torn_line (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *one = make_line (RELAY_SEND_STATUS_SENT, 1, "one");
  g_autofree char *two = make_line (RELAY_SEND_STATUS_SENT, 2, "two");
  g_autofree char *fragment = g_strndup (two, 40);
  g_autofree char *contents = NULL;
  g_autofree char *repaired = NULL;
  g_autofree char *torn = NULL;
  g_autofree char *first_torn = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) three = make_entry (RELAY_SEND_STATUS_FAILED, 3, "three");
  RelaySendLogEntry *entries[] = { three };
  g_autoptr(GError) error = NULL;

  contents = g_strconcat (one, "\n", two, "\n", fragment, NULL);
  write_file (path, contents, -1);

  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2);
  assert_item (G_LIST_MODEL (log), 1, 2, RELAY_SEND_STATUS_SENT);

  /* the fragment is kept aside, the log cut back to its last newline */
  g_assert_nonnull (relay_send_log_get_torn_path (log));
  g_assert_true (g_str_has_prefix (relay_send_log_get_torn_path (log), path));
  g_assert_nonnull (strstr (relay_send_log_get_torn_path (log), ".torn-"));
  torn = read_file (relay_send_log_get_torn_path (log));
  g_assert_cmpstr (torn, ==, fragment);
  repaired = read_file (path);
  g_assert_cmpuint (strlen (repaired), ==, strlen (one) + strlen (two) + 2);
  g_assert_true (g_str_has_suffix (repaired, "\n"));

  /* a later append is whole */
  g_assert_true (relay_send_log_append (log, entries, 1, &error));
  g_assert_no_error (error);
  {
    g_autoptr(RelaySendLog) again = relay_send_log_new (NULL);

    g_assert_true (relay_send_log_load (again, NULL, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 3);
    assert_item (G_LIST_MODEL (again), 2, 3, RELAY_SEND_STATUS_FAILED);
    g_assert_null (relay_send_log_get_torn_path (again));
  }

  /* a second tear in the same second never overwrites the first */
  first_torn = g_strdup (relay_send_log_get_torn_path (log));
  {
    g_autoptr(RelaySendLog) again = relay_send_log_new (NULL);
    g_autofree char *before = read_file (path);
    g_autofree char *with_tear = g_strconcat (before, "{\"time\":\"2026", NULL);
    g_autofree char *first_text = NULL;

    write_file (path, with_tear, -1);
    g_assert_true (relay_send_log_load (again, NULL, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 3);
    g_assert_nonnull (relay_send_log_get_torn_path (again));
    g_assert_cmpstr (relay_send_log_get_torn_path (again), !=, first_torn);
    first_text = read_file (first_torn);
    g_assert_cmpstr (first_text, ==, fragment);
  }

  /* a log that is one torn line and nothing else */
  {
    g_autoptr(RelaySendLog) again = relay_send_log_new (NULL);
    g_autofree char *left = NULL;

    write_file (path, fragment, -1);
    g_assert_true (relay_send_log_load (again, NULL, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 0);
    left = read_file (path);
    g_assert_cmpstr (left, ==, "");
  }
}

/* A crash tore a line and the next run appended without loading first:
 * the torn piece is moved aside as a load moves it, and the file stays
 * JSON Lines, the new entry whole on its own line */
static void
test_append_after_tear (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *one = make_line (RELAY_SEND_STATUS_SENT, 1, "one");
  const char *fragment = "{\"time\":\"2026-11-28T02:5";
  g_autofree char *contents = g_strconcat (one, "\n", fragment, NULL);
  g_autoptr(RelaySendLog) writer = relay_send_log_new (NULL);
  g_autoptr(RelaySendLog) reader = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) two = make_entry (RELAY_SEND_STATUS_DEFERRED, 2, "two");
  g_autoptr(RelaySendLogEntry) three = make_entry (RELAY_SEND_STATUS_SENT, 3, "three");
  RelaySendLogEntry *entries[] = { two };
  g_autofree char *two_line = relay_send_log_entry_to_line (two);
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *torn = NULL;
  g_autofree char *first_torn = NULL;
  g_autoptr(GError) error = NULL;

  write_file (path, contents, -1);
  g_assert_true (relay_send_log_append (writer, entries, 1, &error));
  g_assert_no_error (error);

  after = read_file (path);
  expected = g_strconcat (one, "\n", two_line, "\n", NULL);
  g_assert_cmpstr (after, ==, expected);
  g_assert_nonnull (relay_send_log_get_torn_path (writer));
  g_assert_true (g_str_has_prefix (relay_send_log_get_torn_path (writer), path));
  g_assert_nonnull (strstr (relay_send_log_get_torn_path (writer), ".torn-"));
  torn = read_file (relay_send_log_get_torn_path (writer));
  g_assert_cmpstr (torn, ==, fragment);

  g_assert_true (relay_send_log_load (reader, NULL, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reader)), ==, 2);
  assert_item (G_LIST_MODEL (reader), 0, 1, RELAY_SEND_STATUS_SENT);
  assert_item (G_LIST_MODEL (reader), 1, 2, RELAY_SEND_STATUS_DEFERRED);
  g_assert_cmpuint (relay_send_log_get_n_skipped (reader), ==, 0);
  g_assert_null (relay_send_log_get_torn_path (reader));

  /* a whole file is left as it is, and a second tear gets its own file */
  first_torn = g_strdup (relay_send_log_get_torn_path (writer));
  entries[0] = three;
  g_clear_pointer (&contents, g_free);
  contents = g_strconcat (expected, "{\"status\": \"se", NULL);
  write_file (path, contents, -1);
  g_assert_true (relay_send_log_append (writer, entries, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (relay_send_log_get_torn_path (writer), !=, first_torn);
  g_clear_pointer (&torn, g_free);
  torn = read_file (relay_send_log_get_torn_path (writer));
  g_assert_cmpstr (torn, ==, "{\"status\": \"se");
  g_clear_pointer (&torn, g_free);
  torn = read_file (first_torn);
  g_assert_cmpstr (torn, ==, fragment);
  {
    g_autofree char *three_line = relay_send_log_entry_to_line (three);
    g_autofree char *now = read_file (path);
    g_autofree char *want = g_strconcat (expected, three_line, "\n", NULL);

    g_assert_cmpstr (now, ==, want);
  }
}

/* The writer's own lines are read without parsing, eight bytes at a time:
 * quotes, backslashes, control characters and bytes that are not ASCII
 * at every offset of a word must be found, and the result must be what
 * the full parse says */
static void
test_fast_path (void)
{
  const char *specials[] = { "\"", "\\", "中", "\t", "\001", "/", "—" };

  for (guint i = 0; i < G_N_ELEMENTS (specials); i++)
    for (guint k = 0; k < 20; k++)
      {
        g_autoptr(GString) subject = g_string_new (NULL);
        g_autoptr(RelaySendLogEntry) entry = NULL;
        g_autoptr(RelaySendLogEntry) parsed = NULL;
        g_autofree char *line = NULL;
        RelaySendStatus status;
        char *at;

        for (guint j = 0; j < k; j++)
          g_string_append_c (subject, 'a' + j);
        g_string_append (subject, specials[i]);
        g_string_append (subject, "tail of the subject");
        entry = make_entry (RELAY_SEND_STATUS_FAILED, k, subject->str);
        line = relay_send_log_entry_to_line (entry);

        g_assert_true (relay_send_log_line_get_status (line, strlen (line), &status));
        g_assert_cmpint (status, ==, RELAY_SEND_STATUS_FAILED);
        parsed = relay_send_log_entry_new_from_line (line, -1, NULL);
        g_assert_cmpstr (relay_send_log_entry_get_subject (parsed), ==, subject->str);

        /* a raw control character, a byte that is not UTF-8, an unescaped
         * quote: not JSON, wherever they are */
        at = strstr (line, "tail of");
        g_assert_nonnull (at);
        for (guint j = 0; j < 3; j++)
          {
            at[0] = j == 0 ? '\001' : j == 1 ? '\xff' : '"';
            g_assert_false (relay_send_log_line_get_status (line, strlen (line), &status));
            g_assert_null (relay_send_log_entry_new_from_line (line, -1, NULL));
          }
      }
}

/* Found by fuzz/fuzz-send-log: the quick path's check for a leading zero
 * in an attempt of two digits or more read far outside the line */
static void
test_fast_attempt (void)
{
  const guint attempts[] = { 0, 9, 10, 99, 100, 4294967295u };
  const char *refused[] = { "00", "012", "4294967296", "99999999999", "-1", "1.0", "1e1" };

  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      const char *recipients[] = { "a@example.org", NULL };
      g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new (RELAY_SEND_STATUS_SENT, "<a@x>", recipients,
                                                                      "s", attempts[i], "250 ok");
      g_autofree char *line = relay_send_log_entry_to_line (entry);
      g_autoptr(RelaySendLogEntry) parsed = relay_send_log_entry_new_from_line (line, -1, NULL);
      RelaySendStatus status;

      g_assert_true (relay_send_log_line_get_status (line, strlen (line), &status));
      g_assert_cmpuint (relay_send_log_entry_get_attempt (parsed), ==, attempts[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *line = g_strdup_printf ("{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"message_id\":\"x\","
                                               "\"status\":\"sent\",\"recipients\":[],\"subject\":\"\","
                                               "\"attempt\":%s,\"reply\":\"\"}", refused[i]);
      RelaySendStatus status;

      g_assert_false (relay_send_log_line_get_status (line, strlen (line), &status));
      g_assert_null (relay_send_log_entry_new_from_line (line, -1, NULL));
    }
}

/* Lines that other tools write: Python's json.dumps, jq, members in
 * another order, escapes the writer does not use */
static const char *other_forms[] = {
  /* json.dumps (", " and ": "), its own member order */
  "{\"status\": \"failed\", \"time\": \"2026-11-28T03:00:00.000+00:00\", \"message_id\": \"<10.bench@example.org>\", "
  "\"recipients\": [\"a@example.org\"], \"subject\": \"\\u4e2d\\u6587\", \"attempt\": 2, \"reply\": \"550 no\"}",
  /* jq -c: compact, keys sorted */
  "{\"attempt\":1,\"message_id\":\"<11.bench@example.org>\",\"recipients\":[],\"reply\":\"250 ok\","
  "\"status\":\"sent\",\"subject\":\"jq\",\"time\":\"2026-11-28T03:00:01Z\"}",
  /* spaces around everything, tabs, a trailing carriage return, and a
   * member the app does not know that holds the word status */
  " {\t\"time\" : \"2026-11-28T03:00:02.5+01:00\" , \"message_id\" : \"<12.bench@example.org>\" , "
  "\"extra\" : {\"status\": \"sent\", \"list\": [1, 2.5e3, true, null]} , \"status\" : \"failed\" , "
  "\"recipients\" : [ \"b@example.org\" , \"c@example.org\" ] , \"subject\" : \"x\" , \"attempt\" : 0 , "
  "\"reply\" : \"550 5.1.1 \\\"no\\\"\" }\r",
  /* the writer's order, but a time with a zone the writer never writes */
  "{\"time\":\"2026-11-28T03:00:03.000-05:30\",\"message_id\":\"<13.bench@example.org>\",\"status\":\"deferred\","
  "\"recipients\":[\"d@example.org\"],\"subject\":\"later\",\"attempt\":3,\"reply\":\"451 later\"}",
};

/* Lines that are not entries: counted, never shown */
static const char *not_entries[] = {
  "this is not JSON",
  "[1, 2, 3]",
  /* a JSON object without a reply */
  "{\"time\": \"2026-11-28T03:00:04Z\", \"message_id\": \"x\", \"status\": \"failed\", \"recipients\": [], "
  "\"subject\": \"\", \"attempt\": 1}",
  /* a wrong type */
  "{\"time\": \"2026-11-28T03:00:04Z\", \"message_id\": \"x\", \"status\": \"failed\", \"recipients\": \"a@b\", "
  "\"subject\": \"\", \"attempt\": 1, \"reply\": \"\"}",
  /* json-glib takes comments; JSON does not */
  "{/* c */\"time\":\"2026-11-28T03:00:04Z\",\"message_id\":\"x\",\"status\":\"failed\",\"recipients\":[],"
  "\"subject\":\"\",\"attempt\":1,\"reply\":\"\"}",
  /* a trailing comma */
  "{\"time\":\"2026-11-28T03:00:04Z\",\"message_id\":\"x\",\"status\":\"failed\",\"recipients\":[],"
  "\"subject\":\"\",\"attempt\":1,\"reply\":\"\",}",
};

static GString *
depth_bomb (guint depth,
            gboolean closed)
{
  GString *line = g_string_new ("{\"time\":\"2026-11-28T03:00:05Z\",\"message_id\":\"x\",\"status\":\"failed\","
                                "\"recipients\":[],\"subject\":\"\",\"attempt\":1,\"reply\":\"\",\"deep\":");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (line, '[');
  if (closed)
    {
      for (guint i = 0; i < depth; i++)
        g_string_append_c (line, ']');
      g_string_append_c (line, '}');
    }
  return line;
}

static char *
write_forms_log (guint *n_entries,
                 guint *n_not)
{
  g_autofree char *path = log_path ();
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(GString) bomb = depth_bomb (100000, FALSE);
  g_autoptr(GString) deep = depth_bomb (1000, TRUE);
  g_autoptr(GString) nested = depth_bomb (100, TRUE);

  /* our own lines, the others between them */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *own = make_line (i % 2 ? RELAY_SEND_STATUS_FAILED : RELAY_SEND_STATUS_SENT, i, "own");

      g_string_append_printf (contents, "%s\n%s\n%s\n", own, other_forms[i], not_entries[i]);
    }
  g_string_append_printf (contents, "%s\n%s\n\n", not_entries[4], not_entries[5]);
  /* 100,000 “[” (json-glib's recursion would run out of stack), a valid
   * line nested 1,000 deep, both not entries; nested 100 deep is one */
  g_string_append_len (contents, bomb->str, bomb->len);
  g_string_append_c (contents, '\n');
  g_string_append_len (contents, deep->str, deep->len);
  g_string_append_c (contents, '\n');
  g_string_append_len (contents, nested->str, nested->len);
  g_string_append_c (contents, '\n');
  write_file (path, contents->str, contents->len);

  *n_entries = 4 + 4 + 1;
  *n_not = 6 + 2;
  return g_string_free (g_steal_pointer (&contents), FALSE);
}

static gboolean collect_cb (const char *line,
                            gsize       length,
                            gpointer    user_data);

/* Any valid JSON object with the members is an entry, for every reader,
 * and what is not is counted */
static void
test_other_forms (void)
{
  g_autofree char *path = log_path ();
  guint n_entries, n_not, n_skipped = 0;
  g_autofree char *contents = write_forms_log (&n_entries, &n_not);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GPtrArray) since = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  RelaySendStatus status;
  guint n_failed = 0;

  /* each form alone */
  for (guint i = 0; i < G_N_ELEMENTS (other_forms); i++)
    {
      g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (other_forms[i], -1, &error);

      g_assert_no_error (error);
      g_assert_nonnull (entry);
      g_assert_cmpstr (relay_send_log_entry_get_message_id (entry), ==,
                       (i == 0 ? "<10.bench@example.org>" : i == 1 ? "<11.bench@example.org>"
                        : i == 2 ? "<12.bench@example.org>" : "<13.bench@example.org>"));
      g_assert_true (relay_send_log_line_get_status (other_forms[i], strlen (other_forms[i]), &status));
      g_assert_cmpint (status, ==, relay_send_log_entry_get_status (entry));
    }
  {
    g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (other_forms[0], -1, NULL);

    g_assert_cmpint (relay_send_log_entry_get_status (entry), ==, RELAY_SEND_STATUS_FAILED);
    g_assert_cmpstr (relay_send_log_entry_get_subject (entry), ==, "中文");
    g_assert_cmpuint (relay_send_log_entry_get_attempt (entry), ==, 2);
  }
  for (guint i = 0; i < G_N_ELEMENTS (not_entries); i++)
    {
      g_assert_false (relay_send_log_line_get_status (not_entries[i], strlen (not_entries[i]), &status));
      g_assert_null (relay_send_log_entry_new_from_line (not_entries[i], -1, NULL));
    }

  /* the model */
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, n_entries);
  g_assert_cmpuint (relay_send_log_get_n_skipped (log), ==, n_not);
  for (guint i = 0; i < n_entries; i++)
    {
      g_autoptr(RelaySendLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (log), i);
      gsize length;
      const char *line = relay_send_log_get_line (log, i, &length);

      /* none is shown as unreadable */
      g_assert_null (relay_send_log_entry_get_detail (entry));
      g_assert_true (relay_send_log_line_get_status (line, length, &status));
      g_assert_cmpint (status, ==, relay_send_log_entry_get_status (entry));
      n_failed += status == RELAY_SEND_STATUS_FAILED;
    }
  g_assert_cmpuint (n_failed, ==, 2 + 2 + 1);

  /* log, log --json and log --status */
  g_assert_true (relay_send_log_scan_full (path, RELAY_SEND_STATUS_ANY, collect_cb, scanned, &n_skipped, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (scanned->len, ==, n_entries);
  g_assert_cmpuint (n_skipped, ==, n_not);
  for (guint i = 0; i < G_N_ELEMENTS (other_forms); i++)
    g_assert_cmpstr (g_ptr_array_index (scanned, 3 * 0 + 2 * i + 1), ==, other_forms[i]);

  n_skipped = 0;
  g_assert_true (relay_send_log_scan_full (path, RELAY_SEND_STATUS_FAILED, collect_cb, failed, &n_skipped, &error));
  g_assert_cmpuint (failed->len, ==, n_failed);
  g_assert_cmpuint (n_skipped, ==, n_not);
  g_assert_cmpstr (g_ptr_array_index (failed, 0), ==, other_forms[0]);

  /* log --limit */
  tail = relay_send_log_read_tail_full (path, 100, RELAY_SEND_STATUS_ANY, &n_skipped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_skipped, ==, n_not);
  g_assert_cmpuint (tail->len, ==, scanned->len);
  for (guint i = 0; i < tail->len; i++)
    g_assert_cmpstr (g_ptr_array_index (tail, i), ==, g_ptr_array_index (scanned, i));
  g_clear_pointer (&tail, g_ptr_array_unref);
  tail = relay_send_log_read_tail_full (path, 3, RELAY_SEND_STATUS_FAILED, &n_skipped, &error);
  g_assert_cmpuint (tail->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (g_ptr_array_index (tail, i), ==, g_ptr_array_index (failed, failed->len - 3 + i));

  /* live updates: every entry is newer than 2026-11-28T00:00Z */
  g_assert_true (relay_send_log_scan_since (path, G_GINT64_CONSTANT (1795824000) * G_USEC_PER_SEC,
                                            collect_cb, since, &error));
  g_assert_cmpuint (since->len, ==, n_entries);
  g_assert_cmpstr (g_ptr_array_index (since, since->len - 1 - 1), ==, other_forms[0]);
}

static void
test_corrupt_middle (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *one = make_line (RELAY_SEND_STATUS_SENT, 1, "one");
  g_autofree char *two = make_line (RELAY_SEND_STATUS_FAILED, 2, "two");
  g_autofree char *three = make_line (RELAY_SEND_STATUS_QUEUED, 3, "three");
  g_autofree char *four = make_line (RELAY_SEND_STATUS_SENT, 4, "four");
  g_autofree char *torn = g_strndup (two, 50);
  g_autofree char *contents = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GError) error = NULL;

  /* garbage, an empty line, a torn write that the next append ran into */
  contents = g_strconcat (one, "\n",
                          "not json at all\n",
                          "\n",
                          two, "\n",
                          torn, three, "\n",
                          four, "\n", NULL);
  write_file (path, contents, -1);

  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 3);
  g_assert_cmpuint (relay_send_log_get_n_skipped (log), ==, 2);
  assert_item (G_LIST_MODEL (log), 0, 1, RELAY_SEND_STATUS_SENT);
  assert_item (G_LIST_MODEL (log), 1, 2, RELAY_SEND_STATUS_FAILED);
  assert_item (G_LIST_MODEL (log), 2, 4, RELAY_SEND_STATUS_SENT);
  g_assert_null (relay_send_log_get_torn_path (log));
}

/* The same as a full parse would select */
static GPtrArray *
parse_select (const char      *contents,
              RelaySendStatus  status)
{
  GPtrArray *selected = g_ptr_array_new_with_free_func (g_free);
  const char *p, *nl;

  /* not g_strsplit(): under ASan each of its strstr() calls measures the
   * whole rest of the log. The piece after the last newline is torn or
   * empty. */
  for (p = contents; (nl = strchr (p, '\n')) != NULL; p = nl + 1)
    {
      g_autofree char *line = g_strndup (p, nl - p);
      g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (line, -1, NULL);

      if (entry != NULL && (status == RELAY_SEND_STATUS_ANY || relay_send_log_entry_get_status (entry) == status))
        g_ptr_array_add (selected, g_steal_pointer (&line));
    }

  return selected;
}

static gboolean
collect_cb (const char *line,
            gsize       length,
            gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strndup (line, length));
  return TRUE;
}

static gboolean
stop_after_two_cb (const char *line,
                   gsize       length,
                   gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strndup (line, length));
  return ((GPtrArray *)user_data)->len < 2;
}

static void
assert_same_lines (GPtrArray *a,
                   GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a, i), ==, g_ptr_array_index (b, i));
}

/* Found by fuzz/fuzz-send-log: a line with a nul byte was an item of the
 * model and a line of scan(), but read_tail() cut it at the nul, so
 * `log --json --limit` printed half a line. No reader takes it now. */
static void
test_nul_byte (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *one = make_line (RELAY_SEND_STATUS_SENT, 1, "one");
  g_autofree char *two = make_line (RELAY_SEND_STATUS_FAILED, 2, "two");
  g_autofree char *three = make_line (RELAY_SEND_STATUS_SENT, 3, "three");
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GError) error = NULL;
  char *nul;

  g_string_append_printf (contents, "%s\n%s\n%s\n", one, two, three);
  nul = strstr (contents->str, "\"two\"");
  g_assert_nonnull (nul);
  nul[2] = '\0';
  write_file (path, contents->str, contents->len);

  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2);
  g_assert_cmpuint (relay_send_log_get_n_skipped (log), ==, 1);
  assert_item (G_LIST_MODEL (log), 0, 1, RELAY_SEND_STATUS_SENT);
  assert_item (G_LIST_MODEL (log), 1, 3, RELAY_SEND_STATUS_SENT);

  g_assert_true (relay_send_log_scan (path, RELAY_SEND_STATUS_ANY, collect_cb, scanned, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (scanned->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (scanned, 0), ==, one);
  g_assert_cmpstr (g_ptr_array_index (scanned, 1), ==, three);

  g_ptr_array_set_size (scanned, 0);
  g_assert_true (relay_send_log_scan (path, RELAY_SEND_STATUS_FAILED, collect_cb, scanned, &error));
  g_assert_cmpuint (scanned->len, ==, 0);

  tail = relay_send_log_read_tail (path, 10, RELAY_SEND_STATUS_ANY, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tail->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (tail, 0), ==, one);
  g_assert_cmpstr (g_ptr_array_index (tail, 1), ==, three);
}

/* A log of @n entries with every status, subjects that spell other
 * statuses, long lines, damage in the middle and a torn end */
static char *
write_mixed_log (guint n)
{
  g_autofree char *path = log_path ();
  g_autoptr(GString) contents = g_string_new (NULL);
  GRand *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < n; i++)
    {
      RelaySendStatus status = g_rand_int_range (rand, 0, 10) < 2 ? RELAY_SEND_STATUS_FAILED
                                                                  : g_rand_int_range (rand, 0, 6);
      g_autofree char *subject = g_strdup_printf ("Report %u \"status\":\"failed\" %*s", i,
                                                  g_rand_int_range (rand, 0, 600), "");
      g_autofree char *line = make_line (status, i, subject);

      g_string_append (contents, line);
      g_string_append_c (contents, '\n');

      if (i == n / 3)
        g_string_append (contents, "garbage \"status\":\"failed\"\n");
      if (i == n / 2)
        {
          g_string_append (contents, "{\"time\":\"2026");
          g_string_append_len (contents, line, 30);
          g_string_append (contents, "\"status\":\"failed\"}\n");
        }
    }
  g_string_append (contents, "{\"time\":\"2026-11-28T02:50:00.000+00:00\",\"status\":\"failed\"");

  g_rand_free (rand);
  write_file (path, contents->str, contents->len);
  return g_string_free (g_steal_pointer (&contents), FALSE);
}

static void
test_scan (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *contents = write_mixed_log (3000);
  g_autoptr(GError) error = NULL;

  for (int i = -1; i <= RELAY_SEND_STATUS_UNKNOWN; i++)
    {
      RelaySendStatus status = i < 0 ? RELAY_SEND_STATUS_ANY : (RelaySendStatus)i;
      g_autoptr(GPtrArray) expected = parse_select (contents, status);
      g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func (g_free);

      g_assert_true (relay_send_log_scan (path, status, collect_cb, scanned, &error));
      g_assert_no_error (error);
      g_test_message ("status %d: %u lines", i, expected->len);
      g_assert_cmpuint (expected->len, >, 0);
      assert_same_lines (scanned, expected);
    }

  /* the callback stops the walk */
  {
    g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func (g_free);

    g_assert_true (relay_send_log_scan (path, RELAY_SEND_STATUS_FAILED, stop_after_two_cb, scanned, &error));
    g_assert_cmpuint (scanned->len, ==, 2);
  }

  /* the reader saw a torn end but left it alone */
  {
    g_autofree char *after = read_file (path);

    g_assert_cmpstr (after, ==, contents);
  }
}

static void
test_read_tail (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *contents = write_mixed_log (6000);
  const guint counts[] = { 0, 1, 10, 100, 1000, 5999, 6000, 100000 };
  g_autoptr(GError) error = NULL;

  /* far more than one 64 KiB chunk */
  g_assert_cmpuint (strlen (contents), >, 20 * 64 * 1024);

  for (int s = -1; s <= RELAY_SEND_STATUS_UNKNOWN; s++)
    {
      RelaySendStatus status = s < 0 ? RELAY_SEND_STATUS_ANY : (RelaySendStatus)s;
      g_autoptr(GPtrArray) all = parse_select (contents, status);

      for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
        {
          g_autoptr(GPtrArray) tail = relay_send_log_read_tail (path, counts[i], status, &error);
          g_autoptr(GPtrArray) expected = g_ptr_array_new ();
          guint n = MIN (counts[i], all->len);

          g_assert_no_error (error);
          g_assert_nonnull (tail);
          for (guint j = all->len - n; j < all->len; j++)
            g_ptr_array_add (expected, g_ptr_array_index (all, j));
          assert_same_lines (tail, expected);
        }
    }
}

/* Lines longer than the bound are skipped by every reader, even when a
 * chunk boundary falls inside them */
static void
test_long_line (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *one = make_line (RELAY_SEND_STATUS_SENT, 1, "one");
  g_autofree char *two = make_line (RELAY_SEND_STATUS_SENT, 2, "two");
  g_autoptr(GString) long_subject = g_string_new (NULL);
  g_autofree char *long_line = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) too_long = NULL;
  RelaySendLogEntry *entries[1];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 150 * 1024; i++)
    g_string_append_c (long_subject, 'x');
  long_line = make_line (RELAY_SEND_STATUS_SENT, 9, long_subject->str);
  contents = g_strconcat (one, "\n", long_line, "\n", two, "\n", NULL);
  write_file (path, contents, -1);

  tail = relay_send_log_read_tail (path, 5, RELAY_SEND_STATUS_ANY, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tail->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (tail, 0), ==, one);
  g_assert_cmpstr (g_ptr_array_index (tail, 1), ==, two);

  g_assert_true (relay_send_log_scan (path, RELAY_SEND_STATUS_ANY, collect_cb, scanned, &error));
  g_assert_cmpuint (scanned->len, ==, 2);

  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2);

  /* and never written */
  too_long = make_entry (RELAY_SEND_STATUS_SENT, 9, long_subject->str);
  entries[0] = too_long;
  g_assert_false (relay_send_log_append (log, entries, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2);
}

static gboolean
never_cb (const char *line,
          gsize       length,
          gpointer    user_data)
{
  g_assert_not_reached ();
  return FALSE;
}

static void
test_missing (void)
{
  g_autofree char *path = log_path ();
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_send_log_scan (path, RELAY_SEND_STATUS_ANY, never_cb, NULL, &error));
  g_assert_no_error (error);
  tail = relay_send_log_read_tail (path, 10, RELAY_SEND_STATUS_SENT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tail->len, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* an empty file is an empty log */
  write_file (path, "", 0);
  g_assert_true (relay_send_log_scan (path, RELAY_SEND_STATUS_ANY, never_cb, NULL, &error));
  g_clear_pointer (&tail, g_ptr_array_unref);
  tail = relay_send_log_read_tail (path, 10, RELAY_SEND_STATUS_ANY, &error);
  g_assert_cmpuint (tail->len, ==, 0);
}

/* Correctness at size; the timing is bench/log-vs-python.py's */
static void
test_large_load (void)
{
  const guint n = 200000;
  g_autofree char *path = log_path ();
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GError) error = NULL;
  guint positions[] = { 0, 1, 511, 512, 99999, 100000, n - 2, n - 1, 0, n - 1 };

  /* the writer's own lines, varied cheaply */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *line = NULL;

      if (i < 4)
        line = make_line (i % 6, i, "large");
      else
        line = g_strdup_printf ("{\"time\":\"2026-11-28T02:50:%02u.%03u+00:00\",\"message_id\":\"<%u.bench@example.org>\","
                                "\"status\":\"%s\",\"recipients\":[\"rcpt%u@example.org\",\"copy@example.org\"],"
                                "\"subject\":\"large\",\"attempt\":%u,\"reply\":\"250 2.0.0 Ok\"}",
                                i / 1000 % 60, i % 1000, i, relay_send_status_to_string (i % 6), i, i % 4 + 1);
      g_string_append (contents, line);
      g_string_append_c (contents, '\n');
    }
  write_file (path, contents->str, contents->len);

  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, n);
  g_assert_cmpuint (relay_send_log_get_n_skipped (log), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (positions); i++)
    assert_item (G_LIST_MODEL (log), positions[i], positions[i], positions[i] % 6);

  /* a window scrolled through, as a list view does */
  for (guint i = 150000; i < 151000; i++)
    {
      g_autoptr(RelaySendLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (log), i);

      g_assert_cmpuint (relay_send_log_entry_get_attempt (entry), ==, i % 4 + 1);
    }

  /* a cached item is the same object */
  {
    g_autoptr(GObject) a = g_list_model_get_item (G_LIST_MODEL (log), 150999);
    g_autoptr(GObject) b = g_list_model_get_item (G_LIST_MODEL (log), 150999);

    g_assert_true (a == b);
  }
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* Another local user planted send-log.jsonl as a link to a file of the
 * victim's (or to where one would be made): refused for reading and
 * appending, naming the file, never followed */
static void
test_planted_link (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *target = g_build_filename (g_get_user_data_dir (), "private.txt", NULL);
  g_autofree char *absent = g_build_filename (g_get_user_data_dir (), "made-through-link", NULL);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) entry = make_entry (RELAY_SEND_STATUS_SENT, 1, "through a link");
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *line = make_line (RELAY_SEND_STATUS_QUEUED, 2, "victim's");

  write_file (target, line, -1);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);

  g_assert_false (relay_send_log_load (log, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_clear_error (&error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 0);

  g_assert_false (relay_send_log_scan (path, RELAY_SEND_STATUS_ANY, never_cb, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_clear_error (&error);

  tail = relay_send_log_read_tail (path, 10, RELAY_SEND_STATUS_ANY, &error);
  g_assert_null (tail);
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_clear_error (&error);

  g_assert_false (relay_send_log_append (log, &entry, 1, &error));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_clear_error (&error);
  contents = read_file (target);
  g_assert_cmpstr (contents, ==, line);

  /* a link to where no file is yet: nothing is made through it */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (symlink (absent, path), ==, 0);
  g_assert_false (relay_send_log_append (log, &entry, 1, &error));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_assert_false (g_file_test (absent, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_SYMLINK));
}

/* A log left 0644 and a data folder left 0755 (a careless chmod, a
 * restored backup) are closed to others when the log is read or written */
static void
test_loose_modes (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) entry = make_entry (RELAY_SEND_STATUS_SENT, 1, "modes");
  g_autoptr(GPtrArray) tail = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = make_line (RELAY_SEND_STATUS_QUEUED, 1, "modes");
  g_autofree char *contents = g_strconcat (line, "\n", NULL);

  write_file (path, contents, -1);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 1);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  g_assert_cmpuint (file_mode (dir), ==, 0700);

  g_assert_cmpint (g_chmod (path, 0640), ==, 0);
  tail = relay_send_log_read_tail (path, 10, RELAY_SEND_STATUS_ANY, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tail->len, ==, 1);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  g_assert_cmpint (g_chmod (path, 0666), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_true (relay_send_log_append (log, &entry, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 2);
}

/* A folder or a log that belongs to another user is not used */
static void
test_other_owner (void)
{
  g_autofree char *path = log_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) entry = make_entry (RELAY_SEND_STATUS_SENT, 1, "owner");
  g_autoptr(GError) error = NULL;
  g_autofree char *line = make_line (RELAY_SEND_STATUS_QUEUED, 1, "owner");
  g_autofree char *contents = g_strconcat (line, "\n", NULL);

  if (getuid () != 0)
    {
      g_test_skip ("giving a file to another user needs root (the suite runs as root)");
      return;
    }

  write_file (path, contents, -1);
  g_assert_cmpint (chown (path, 65534, 65534), ==, 0);
  g_assert_false (relay_send_log_load (log, NULL, &error));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_clear_error (&error);
  g_assert_false (relay_send_log_append (log, &entry, 1, &error));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_clear_error (&error);

  g_assert_cmpint (chown (path, 0, 0), ==, 0);
  g_assert_cmpint (chown (dir, 65534, 65534), ==, 0);
  g_assert_false (relay_send_log_load (log, NULL, &error));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_clear_error (&error);
  g_assert_false (relay_send_log_scan (path, RELAY_SEND_STATUS_ANY, never_cb, NULL, &error));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_clear_error (&error);
  g_assert_false (relay_send_log_append (log, &entry, 1, &error));
  g_assert_nonnull (strstr (error->message, dir));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_clear_error (&error);
  g_free (line);
  line = read_file (path);
  g_assert_cmpstr (line, ==, contents);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/send-log/entry/round-trip", test_entry_round_trip);
  g_test_add_func ("/send-log/entry/strict", test_entry_strict);
  g_test_add_func ("/send-log/append-load", test_append_load);
  g_test_add_func ("/send-log/reload-grown", test_reload_grown);
  g_test_add_func ("/send-log/torn-line", test_torn_line);
  g_test_add_func ("/send-log/append-after-tear", test_append_after_tear);
  g_test_add_func ("/send-log/corrupt-middle", test_corrupt_middle);
  g_test_add_func ("/send-log/other-forms", test_other_forms);
  g_test_add_func ("/send-log/fast-path", test_fast_path);
  g_test_add_func ("/send-log/fast-attempt", test_fast_attempt);
  g_test_add_func ("/send-log/nul-byte", test_nul_byte);
  g_test_add_func ("/send-log/scan", test_scan);
  g_test_add_func ("/send-log/read-tail", test_read_tail);
  g_test_add_func ("/send-log/long-line", test_long_line);
  g_test_add_func ("/send-log/missing", test_missing);
  g_test_add_func ("/send-log/large-load", test_large_load);
  g_test_add_func ("/send-log/planted-link", test_planted_link);
  g_test_add_func ("/send-log/loose-modes", test_loose_modes);
  g_test_add_func ("/send-log/other-owner", test_other_owner);

  return g_test_run ();
}
