/* test-send-log-tasks.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The send log's work off the main thread: the filter over the stored
 * lines and the CSV export (relay-send-log-tasks.c).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "relay-send-log.h"

typedef struct
{
  GAsyncResult *result;
  GThread      *thread;
} Wait;

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->thread = g_thread_self ();
}

static GAsyncResult *
wait_for_result (Wait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  /* the result comes back on the caller's thread */
  g_assert_true (wait->thread == g_thread_self ());
  return wait->result;
}

static RelaySendLogEntry *
make_entry (RelaySendStatus  status,
            guint            n,
            const char      *subject,
            const char      *reply)
{
  g_autofree char *id = g_strdup_printf ("<%u.tasks@example.org>", n);
  g_autofree char *rcpt = g_strdup_printf ("rcpt%u@example.org", n);
  const char *recipients[] = { rcpt, "copy@example.org", NULL };

  return relay_send_log_entry_new (status, id, recipients, subject, 1, reply);
}

/* Events 0…9: even ones sent, odd ones failed; event 7's subject says
 * “Invoice”, in another case than the search */
static RelaySendLog *
make_log (void)
{
  RelaySendLog *log = relay_send_log_new (NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 10; i++)
    g_ptr_array_add (entries, make_entry (i % 2 ? RELAY_SEND_STATUS_FAILED : RELAY_SEND_STATUS_SENT, i,
                                          i == 7 ? "Your INVOICE" : "Hello",
                                          i % 2 ? "550 5.1.1 No such user" : "250 2.0.0 Ok"));
  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 10);

  return log;
}

static GArray *
filter (RelaySendLog *log,
        guint            first,
        RelaySendStatus  status,
        const char   *search,
        const char   *account)
{
  Wait wait = { 0 };
  g_autoptr(GError) error = NULL;
  GArray *positions;

  relay_send_log_filter_async (log, first, status, search, account, NULL, done_cb, &wait);
  positions = relay_send_log_filter_finish (log, wait_for_result (&wait), &error);
  g_assert_no_error (error);
  g_assert_nonnull (positions);
  g_clear_object (&wait.result);

  return positions;
}

static void
assert_positions (GArray      *positions,
                  const guint *expected,
                  guint        n_expected)
{
  g_assert_cmpmem (positions->data, positions->len * sizeof (guint), expected, n_expected * sizeof (guint));
  g_array_unref (positions);
}

static void
test_filter (void)
{
  g_autoptr(RelaySendLog) log = make_log ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  {
    const guint failed[] = { 1, 3, 5, 7, 9 };
    const guint failed_from_4[] = { 5, 7, 9 };
    const guint invoice[] = { 7 };
    const guint all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

    assert_positions (filter (log, 0, RELAY_SEND_STATUS_FAILED, NULL, NULL), failed, G_N_ELEMENTS (failed));
    assert_positions (filter (log, 4, RELAY_SEND_STATUS_FAILED, NULL, NULL), failed_from_4, G_N_ELEMENTS (failed_from_4));
    /* any case, anywhere in the line */
    assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, "invoice", NULL), invoice, G_N_ELEMENTS (invoice));
    assert_positions (filter (log, 0, RELAY_SEND_STATUS_FAILED, "Invoice", NULL), invoice, G_N_ELEMENTS (invoice));
    assert_positions (filter (log, 0, RELAY_SEND_STATUS_SENT, "invoice", NULL), NULL, 0);
    assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, "no such user", NULL), failed, G_N_ELEMENTS (failed));
    assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, "", NULL), all, G_N_ELEMENTS (all));
    assert_positions (filter (log, 10, RELAY_SEND_STATUS_ANY, NULL, NULL), NULL, 0);
  }

  /* cancelled: no positions, the caller's error */
  g_cancellable_cancel (cancellable);
  relay_send_log_filter_async (log, 0, RELAY_SEND_STATUS_ANY, NULL, NULL, cancellable, done_cb, &wait);
  g_assert_null (relay_send_log_filter_finish (log, wait_for_result (&wait), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&wait.result);
}

static char *
export (RelaySendLog  *log,
        const char    *name,
        GArray        *positions,
        GError       **error)
{
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  Wait wait = { 0 };
  gboolean ok;

  relay_send_log_export_csv_async (log, file, positions, NULL, done_cb, &wait);
  ok = relay_send_log_export_csv_finish (log, wait_for_result (&wait), error);
  g_clear_object (&wait.result);

  return ok ? g_steal_pointer (&path) : NULL;
}

/* The export is the user's log: private from the start (a file that was
 * there at 0644 is replaced by one at 0600); a cell that a spreadsheet
 * would take for a formula starts with an apostrophe; quotes and commas
 * are quoted as RFC 4180 says */
static void
test_export_csv (void)
{
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelaySendLogEntry) formula = make_entry (RELAY_SEND_STATUS_SENT, 1, "=HYPERLINK(\"http://x\")", "250 ok");
  g_autoptr(RelaySendLogEntry) plain = make_entry (RELAY_SEND_STATUS_FAILED, 2, "Plain, with a comma", "-ERR");
  g_autoptr(RelaySendLogEntry) third = make_entry (RELAY_SEND_STATUS_DEFERRED, 3, "@SUM(A1)", "421 later");
  RelaySendLogEntry *entries[] = { formula, plain, third };
  g_autofree char *old_path = g_build_filename (g_get_user_cache_dir (), "old.csv", NULL);
  g_autofree char *path = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint last = 2;
  struct stat st;

  g_assert_true (relay_send_log_append (log, entries, G_N_ELEMENTS (entries), &error));
  g_assert_no_error (error);
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (old_path, "old\r\n", -1, NULL));
  g_assert_cmpint (g_chmod (old_path, 0644), ==, 0);

  path = export (log, "old.csv", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_cmpstr (lines[0], ==, "time,status,recipients,subject,attempt,reply");
  g_assert_true (g_str_has_suffix (lines[1], ",sent,rcpt1@example.org; copy@example.org,\"'=HYPERLINK(\"\"http://x\"\")\",1,250 ok"));
  g_assert_true (g_str_has_suffix (lines[2], ",failed,rcpt2@example.org; copy@example.org,\"Plain, with a comma\",1,'-ERR"));
  g_assert_true (g_str_has_suffix (lines[3], ",deferred,rcpt3@example.org; copy@example.org,'@SUM(A1),1,421 later"));
  g_assert_cmpstr (lines[4], ==, "");
  g_clear_pointer (&lines, g_strfreev);
  g_clear_pointer (&csv, g_free);
  g_clear_pointer (&path, g_free);

  /* the rows asked for, in their order; a new file is 0600 too */
  g_array_append_val (positions, last);
  path = export (log, "new.csv", positions, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_suffix (lines[1], ",'@SUM(A1),1,421 later"));
  g_clear_pointer (&path, g_free);

  /* a folder that is not there: the file's error */
  path = export (log, "missing/folder.csv", NULL, &error);
  g_assert_null (path);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

#define ACCOUNT_A "0a1b2c3d-0000-4000-8000-00000000000a"
#define ACCOUNT_B "0a1b2c3d-0000-4000-8000-00000000000b"

/* Events 0…5 through A, B, none, A, B, A: sent, failed, sent, deferred,
 * sent, queued; event 2's subject names A without going through it */
static RelaySendLog *
make_accounts_log (void)
{
  const char *accounts[] = { ACCOUNT_A, ACCOUNT_B, NULL, ACCOUNT_A, ACCOUNT_B, ACCOUNT_A };
  const RelaySendStatus statuses[] = {
    RELAY_SEND_STATUS_SENT, RELAY_SEND_STATUS_FAILED, RELAY_SEND_STATUS_SENT,
    RELAY_SEND_STATUS_DEFERRED, RELAY_SEND_STATUS_SENT, RELAY_SEND_STATUS_QUEUED,
  };
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "accounts-log.jsonl", NULL);
  RelaySendLog *log = relay_send_log_new (path);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      RelaySendLogEntry *entry = make_entry (statuses[i], 100 + i, i == 2 ? "About " ACCOUNT_A : "Hello",
                                             "250 2.0.0 Ok");

      relay_send_log_entry_set_account (entry, accounts[i]);
      g_ptr_array_add (entries, entry);
    }
  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);
  g_assert_true (relay_send_log_load (log, NULL, &error));
  g_assert_no_error (error);

  return log;
}

static void
test_filter_account (void)
{
  g_autoptr(RelaySendLog) log = make_accounts_log ();
  const guint a[] = { 0, 3, 5 };
  const guint b[] = { 1, 4 };
  const guint a_deferred[] = { 3 };
  const guint b_from_2[] = { 4 };

  /* the account member, not a subject that names it */
  assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, NULL, ACCOUNT_A), a, G_N_ELEMENTS (a));
  assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, NULL, ACCOUNT_B), b, G_N_ELEMENTS (b));
  assert_positions (filter (log, 0, RELAY_SEND_STATUS_DEFERRED, NULL, ACCOUNT_A), a_deferred, 1);
  assert_positions (filter (log, 2, RELAY_SEND_STATUS_ANY, NULL, ACCOUNT_B), b_from_2, 1);
  assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, "hello", ACCOUNT_B), b, G_N_ELEMENTS (b));
  assert_positions (filter (log, 0, RELAY_SEND_STATUS_ANY, NULL, "0a1b2c3d-0000-4000-8000-00000000000c"), NULL, 0);
}

static void
test_last_outcomes (void)
{
  g_autoptr(RelaySendLog) log = make_accounts_log ();
  g_autoptr(GHashTable) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  relay_send_log_last_outcomes_async (log, NULL, done_cb, &wait);
  outcomes = relay_send_log_last_outcomes_finish (log, wait_for_result (&wait), &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);

  /* A's last event is only queued: its last outcome is the deferral */
  g_assert_cmpuint (g_hash_table_size (outcomes), ==, 2);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (outcomes, ACCOUNT_A)), ==, RELAY_SEND_STATUS_DEFERRED);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (outcomes, ACCOUNT_B)), ==, RELAY_SEND_STATUS_SENT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/send-log-tasks/filter", test_filter);
  g_test_add_func ("/send-log-tasks/export-csv", test_export_csv);
  g_test_add_func ("/send-log-tasks/filter-account", test_filter_account);
  g_test_add_func ("/send-log-tasks/last-outcomes", test_last_outcomes);

  return g_test_run ();
}
