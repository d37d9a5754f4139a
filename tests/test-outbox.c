/* test-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RelayOutbox: the folder it is given (or the default one), what it keeps
 * there and nowhere else (enqueue, counts, retry, cancel, a damaged item
 * moved beside it), and its retry base and send deadline, read from the
 * environment once, where it is made.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "relay-outbox.h"
#include "relay-outbox-private.h"

static RelayAccount *
make_account (void)
{
  RelayAccount *account = relay_account_new ();

  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, 9);
  relay_account_set_security (account, RELAY_SECURITY_NONE);
  relay_account_set_from (account, "sender@example.org");

  return account;
}

static char *
add (RelayOutbox  *outbox,
     RelayAccount *account,
     RelaySendLog *log,
     const char   *subject)
{
  const char *to[] = { "rcpt@example.org", NULL };
  g_autoptr(GBytes) body = g_bytes_new_static ("Hello\n", 6);
  g_autoptr(GError) error = NULL;
  char *message_id = relay_outbox_add (outbox, account, to, subject, body, log, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message_id);

  return message_id;
}

static guint
count_files (const char *dir,
             const char *suffix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, suffix))
      n++;

  return n;
}

static gboolean
count_status_cb (const char *line,
                 gsize       length,
                 gpointer    user_data)
{
  (*(guint *)user_data)++;

  return TRUE;
}

static guint
count_status (RelaySendLog    *log,
              RelaySendStatus  status)
{
  guint n = 0;

  relay_send_log_scan (relay_send_log_get_path (log), status, count_status_cb, &n, NULL);

  return n;
}

/* NULL is the default folder; any other is taken as it is */
static void
test_path (void)
{
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "mail-relay", "outbox", NULL);
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autoptr(RelayOutbox) fallback = relay_outbox_new (NULL);
  g_autoptr(RelayOutbox) own = relay_outbox_new ("/nonexistent/elsewhere/outbox");
  g_autofree char *path = NULL;

  g_assert_cmpstr (dir, ==, expected);
  g_assert_cmpstr (relay_outbox_get_path (fallback), ==, expected);
  g_assert_cmpstr (relay_outbox_get_path (own), ==, "/nonexistent/elsewhere/outbox");
  g_object_get (own, "path", &path, NULL);
  g_assert_cmpstr (path, ==, "/nonexistent/elsewhere/outbox");
  /* nothing is read or made until it is used */
  g_assert_false (g_file_test ("/nonexistent/elsewhere", G_FILE_TEST_EXISTS));
}

/* What an outbox does happens in its own folder, and in no other */
static void
test_own_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("outbox-XXXXXX", &error);
  g_autofree char *dir_a = g_build_filename (base, "a", "outbox", NULL);
  g_autofree char *dir_b = g_build_filename (base, "b", "outbox", NULL);
  g_autofree char *log_path = g_build_filename (base, "send-log.jsonl", NULL);
  g_autoptr(RelayOutbox) a = relay_outbox_new (dir_a);
  g_autoptr(RelayOutbox) b = relay_outbox_new (dir_b);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(RelaySendLog) log = relay_send_log_new (log_path);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gint64 next = 0;

  g_assert_no_error (error);

  first = add (a, account, log, "first");
  second = add (a, account, log, "second");

  g_assert_cmpuint (count_files (dir_a, ".json"), ==, 2);
  g_assert_cmpuint (count_files (dir_a, ".eml"), ==, 2);
  g_assert_cmpuint (relay_outbox_get_n_items (a), ==, 2);
  g_assert_cmpuint (relay_outbox_get_n_due (a, g_get_real_time (), &next), ==, 2);
  g_assert_cmpint (next, ==, G_MAXINT64);
  g_assert_true (relay_outbox_has (a, first));
  g_assert_cmpuint (count_status (log, RELAY_SEND_STATUS_QUEUED), ==, 2);

  /* neither the other outbox nor the default one sees them */
  g_assert_cmpuint (relay_outbox_get_n_items (b), ==, 0);
  g_assert_false (relay_outbox_has (b, first));
  g_assert_false (g_file_test (dir_b, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (relay_outbox_count (), ==, 0);
  g_assert_false (relay_outbox_contains (first));

  /* its data folder is made private with it */
  g_assert_true (g_file_test (dir_a, G_FILE_TEST_IS_DIR));

  g_assert_true (relay_outbox_retry_message (a, first, &error));
  g_assert_no_error (error);
  g_assert_cmpint (relay_outbox_retry_waiting (a, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_false (relay_outbox_retry_message (b, first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (relay_outbox_cancel_message (a, account, log, first, &error));
  g_assert_no_error (error);
  g_assert_false (relay_outbox_has (a, first));
  g_assert_true (relay_outbox_has (a, second));
  g_assert_cmpuint (relay_outbox_get_n_items (a), ==, 1);
  g_assert_cmpuint (count_files (dir_a, ".eml"), ==, 1);
  g_assert_cmpuint (count_status (log, RELAY_SEND_STATUS_FAILED), ==, 1);

  g_assert_true (relay_outbox_cancel_message (a, account, log, second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (dir_a, ".json"), ==, 0);
  g_assert_cmpuint (count_files (dir_a, ".eml"), ==, 0);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* A drain of an outbox of its own moves a damaged item into the damaged/
 * folder beside it (its data folder's), not into the default one */
static void
test_damaged_beside (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("outbox-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (base, "data", "outbox", NULL);
  g_autofree char *item = g_build_filename (dir, "0000000000000001-damaged.json", NULL);
  g_autofree char *moved = g_build_filename (base, "data", "damaged", "0000000000000001-damaged.json", NULL);
  g_autofree char *default_damaged = g_build_filename (g_get_user_data_dir (), "mail-relay", "damaged", NULL);
  g_autofree char *log_path = g_build_filename (base, "send-log.jsonl", NULL);
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (dir);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(RelaySendLog) log = relay_send_log_new (log_path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(RelayOutboxReport) report = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (item, "{\"recipients\": 7}", -1, &error);
  g_assert_no_error (error);

  relay_outbox_drain_async (outbox, account, log, RELAY_OUTBOX_WAIT_NONE, NULL, NULL, NULL,
                            sent_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (g_async_result_get_source_object (result) == G_OBJECT (outbox));
  g_object_unref (outbox);  /* the reference get_source_object() took */
  report = relay_outbox_drain_finish (outbox, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_cmpuint (report->failed, ==, 1);
  g_assert_cmpuint (report->deferred, ==, 0);
  g_assert_false (g_file_test (item, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (moved, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (default_damaged, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_status (log, RELAY_SEND_STATUS_FAILED), ==, 1);
}

/* The envelope's "account" member, rewritten (NULL: removed, as an
 * older version wrote it) */
static void
set_item_account (const char *dir,
                  const char *account_id)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  gboolean done = FALSE;

  while (!done && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      JsonObject *object;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      if (strstr (contents, "\"subject\":\"Orphan\"") == NULL && strstr (contents, "\"subject\":\"Older\"") == NULL)
        continue;
      if (strstr (contents, account_id ? "\"subject\":\"Orphan\"" : "\"subject\":\"Older\"") == NULL)
        continue;
      g_assert_true (json_parser_load_from_data (parser, contents, -1, NULL));
      object = json_node_get_object (json_parser_get_root (parser));
      if (account_id != NULL)
        json_object_set_string_member (object, "account", account_id);
      else
        json_object_remove_member (object, "account");
      json_generator_set_root (generator, json_parser_get_root (parser));
      g_assert_true (json_generator_to_file (generator, path, NULL));
      done = TRUE;
    }
  g_assert_true (done);
}

static RelayOutboxReport *
drain_now (RelayOutbox  *outbox,
           RelayAccount *account,
           RelaySendLog *log)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  RelayOutboxReport *report;

  relay_outbox_drain_async (outbox, account, log, RELAY_OUTBOX_WAIT_NONE, NULL, NULL, NULL,
                            sent_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  report = relay_outbox_drain_finish (outbox, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);

  return report;
}

static gboolean
collect_accounts_cb (const char *line,
                     gsize       length,
                     gpointer    user_data)
{
  g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (line, length, NULL);

  g_ptr_array_add (user_data, g_strdup_printf ("%s %s", relay_send_log_entry_get_subject (entry),
                                               relay_send_log_entry_get_account (entry)));
  return TRUE;
}

/* Each queued message keeps the account it goes through; an account's
 * outbox holds its own, and the default's also those of an older version
 * and of an account that is gone. A drain of one sends those alone and
 * logs them as that account's. */
static void
test_per_account (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("outbox-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (base, "outbox", NULL);
  g_autofree char *log_path = g_build_filename (base, "send-log.jsonl", NULL);
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (dir);
  g_autoptr(RelaySendLog) log = relay_send_log_new (log_path);
  g_autoptr(RelayAccount) ann = make_account ();
  g_autoptr(RelayAccount) team = make_account ();
  g_autoptr(GListStore) accounts = g_list_store_new (RELAY_TYPE_ACCOUNT);
  g_autoptr(RelayOutbox) ann_outbox = NULL;
  g_autoptr(RelayOutbox) team_outbox = NULL;
  g_autoptr(RelayOutboxReport) report = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GBytes) body = g_bytes_new_static ("Hi\n", 3);
  g_autofree char *from_id = NULL;
  g_autofree char *eml = NULL;
  g_autofree char *expected = NULL;
  const char *to[] = { "rcpt@example.org", NULL };
  g_autofree char *gone = g_uuid_string_random ();

  g_assert_no_error (error);
  g_list_store_append (accounts, ann);
  g_list_store_append (accounts, team);
  g_free (add (outbox, ann, log, "Ann's"));
  g_free (add (outbox, ann, log, "Older"));
  g_free (add (outbox, team, log, "Orphan"));
  from_id = relay_outbox_add_from (outbox, team, "desk@Example.NET", to, "Team's", body, log, &error);
  g_assert_no_error (error);
  set_item_account (dir, NULL);
  set_item_account (dir, gone);

  /* from the given sender, not the account's own */
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *contents = NULL;

        g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
        if (g_str_has_suffix (name, ".eml") && strstr (contents, "Subject: Team's") != NULL)
          eml = g_steal_pointer (&contents);
        else if (g_str_has_suffix (name, ".json") && strstr (contents, "Team's") != NULL)
          {
            g_assert_nonnull (strstr (contents, "\"from\":\"desk@example.net\""));
            g_assert_nonnull (strstr (contents, relay_account_get_id (team)));
          }
      }
  }
  g_assert_nonnull (eml);
  g_assert_nonnull (strstr (eml, "From: <desk@example.net>\r\n"));

  ann_outbox = relay_outbox_new_for_account (outbox, ann, ann, G_LIST_MODEL (accounts));
  team_outbox = relay_outbox_new_for_account (outbox, team, ann, G_LIST_MODEL (accounts));
  g_assert_cmpstr (relay_outbox_get_path (team_outbox), ==, dir);
  g_assert_cmpuint (relay_outbox_get_n_items (outbox), ==, 4);
  g_assert_cmpuint (relay_outbox_get_n_items (ann_outbox), ==, 3);
  g_assert_cmpuint (relay_outbox_get_n_items (team_outbox), ==, 1);

  /* nothing listens on port 9: the team's message is deferred, as the
   * team's; Ann's three are not touched */
  report = drain_now (team_outbox, team, log);
  g_assert_cmpuint (report->deferred, ==, 1);
  g_assert_cmpuint (report->waiting->len, ==, 1);
  g_assert_cmpstr (((RelayOutboxWaiting *)g_ptr_array_index (report->waiting, 0))->subject, ==, "Team's");
  relay_send_log_scan (log_path, RELAY_SEND_STATUS_DEFERRED, collect_accounts_cb, events, NULL);
  g_assert_cmpuint (events->len, ==, 1);
  expected = g_strdup_printf ("Team's %s", relay_account_get_id (team));
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, expected);
  g_assert_cmpuint (relay_outbox_get_n_due (ann_outbox, g_get_real_time (), NULL), ==, 3);

  g_clear_pointer (&report, relay_outbox_report_free);
  report = drain_now (ann_outbox, ann, log);
  g_assert_cmpuint (report->deferred, ==, 3);
  g_ptr_array_set_size (events, 0);
  relay_send_log_scan (log_path, RELAY_SEND_STATUS_DEFERRED, collect_accounts_cb, events, NULL);
  g_assert_cmpuint (events->len, ==, 4);
  for (guint i = 1; i < events->len; i++)
    g_assert_true (g_str_has_suffix (g_ptr_array_index (events, i), relay_account_get_id (ann)));
}

/* After a crash, a message of another account caught mid-send is left
 * to its own account's drain, which logs it unknown as that account's */
static void
test_recover_per_account (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("outbox-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (base, "outbox", NULL);
  g_autofree char *log_path = g_build_filename (base, "send-log.jsonl", NULL);
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (dir);
  g_autoptr(RelaySendLog) log = relay_send_log_new (log_path);
  g_autoptr(RelayAccount) ann = make_account ();
  g_autoptr(RelayAccount) team = make_account ();
  g_autoptr(GListStore) accounts = g_list_store_new (RELAY_TYPE_ACCOUNT);
  g_autoptr(RelayOutbox) ann_outbox = NULL;
  g_autoptr(RelayOutbox) team_outbox = NULL;
  g_autoptr(RelayOutboxReport) report = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = NULL;
  g_autofree char *expected = NULL;
  const char *name;

  g_assert_no_error (error);
  g_list_store_append (accounts, ann);
  g_list_store_append (accounts, team);
  g_free (add (outbox, team, log, "Caught"));

  /* as an earlier version left a message it was sending */
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *contents = NULL;
        g_autoptr(GString) changed = NULL;

        g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
        changed = g_string_new (contents);
        g_assert_cmpuint (g_string_replace (changed, "\"state\":\"queued\"", "\"state\":\"sending\"", 1), ==, 1);
        g_assert_true (g_file_set_contents (path, changed->str, -1, NULL));
      }

  ann_outbox = relay_outbox_new_for_account (outbox, ann, ann, G_LIST_MODEL (accounts));
  team_outbox = relay_outbox_new_for_account (outbox, team, ann, G_LIST_MODEL (accounts));
  report = drain_now (ann_outbox, ann, log);
  g_assert_cmpuint (report->unknown, ==, 0);
  g_assert_cmpuint (relay_outbox_get_n_items (outbox), ==, 1);
  g_clear_pointer (&report, relay_outbox_report_free);

  report = drain_now (team_outbox, team, log);
  g_assert_cmpuint (report->unknown, ==, 1);
  g_assert_cmpuint (relay_outbox_get_n_items (outbox), ==, 0);
  relay_send_log_scan (log_path, RELAY_SEND_STATUS_UNKNOWN, collect_accounts_cb, events, NULL);
  g_assert_cmpuint (events->len, ==, 1);
  expected = g_strdup_printf ("Caught %s", relay_account_get_id (team));
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, expected);
}

/* A drain of the whole outbox (as the app's Send Now makes it) sends
 * its account's messages and an older version's, never another
 * account's through it */
static void
test_whole_outbox_drain (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("outbox-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (base, "outbox", NULL);
  g_autofree char *log_path = g_build_filename (base, "send-log.jsonl", NULL);
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (dir);
  g_autoptr(RelaySendLog) log = relay_send_log_new (log_path);
  g_autoptr(RelayAccount) ann = make_account ();
  g_autoptr(RelayAccount) team = make_account ();
  g_autoptr(RelayOutboxReport) report = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  g_free (add (outbox, ann, log, "Ann's"));
  g_free (add (outbox, team, log, "Older"));
  g_free (add (outbox, team, log, "Team's"));
  set_item_account (dir, NULL);

  /* nothing listens on port 9: what it takes is deferred */
  report = drain_now (outbox, ann, log);
  g_assert_cmpuint (report->deferred, ==, 2);
  relay_send_log_scan (log_path, RELAY_SEND_STATUS_DEFERRED, collect_accounts_cb, events, NULL);
  g_assert_cmpuint (events->len, ==, 2);
  for (guint i = 0; i < events->len; i++)
    {
      g_assert_false (g_str_has_prefix (g_ptr_array_index (events, i), "Team's"));
      g_assert_true (g_str_has_suffix (g_ptr_array_index (events, i), relay_account_get_id (ann)));
    }
  /* the team's is still queued, untouched */
  g_assert_cmpuint (relay_outbox_get_n_items (outbox), ==, 3);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *)user_data)++;
}

/* The environment is read where the outbox is made, and only there */
static void
test_settings_read_once (void)
{
  g_autoptr(RelayOutbox) before = NULL;
  g_autoptr(RelayOutbox) during = NULL;
  g_autoptr(RelayOutbox) bad = NULL;
  guint n_notify = 0;

  g_unsetenv ("MAIL_RELAY_RETRY_BASE_SECONDS");
  g_unsetenv ("MAIL_RELAY_SEND_DEADLINE_SECONDS");
  before = relay_outbox_new (NULL);
  g_assert_cmpfloat (relay_outbox_get_retry_base (before), ==, 60);
  g_assert_cmpfloat (relay_outbox_get_send_deadline (before), ==, 60);

  g_setenv ("MAIL_RELAY_RETRY_BASE_SECONDS", "0.5", TRUE);
  g_setenv ("MAIL_RELAY_SEND_DEADLINE_SECONDS", "3", TRUE);
  during = relay_outbox_new (NULL);
  g_assert_cmpfloat (relay_outbox_get_retry_base (during), ==, 0.5);
  g_assert_cmpfloat (relay_outbox_get_send_deadline (during), ==, 3);
  /* an outbox made before keeps what it read */
  g_assert_cmpfloat (relay_outbox_get_retry_base (before), ==, 60);
  g_assert_cmpfloat (relay_outbox_get_send_deadline (before), ==, 60);

  /* as before the split: not a number above 0 means the default */
  g_setenv ("MAIL_RELAY_RETRY_BASE_SECONDS", "-4", TRUE);
  g_setenv ("MAIL_RELAY_SEND_DEADLINE_SECONDS", "soon", TRUE);
  bad = relay_outbox_new (NULL);
  g_assert_cmpfloat (relay_outbox_get_retry_base (bad), ==, 60);
  g_assert_cmpfloat (relay_outbox_get_send_deadline (bad), ==, 60);
  g_unsetenv ("MAIL_RELAY_RETRY_BASE_SECONDS");
  g_unsetenv ("MAIL_RELAY_SEND_DEADLINE_SECONDS");
  g_assert_cmpfloat (relay_outbox_get_retry_base (during), ==, 0.5);

  /* settings of the object: notified once per change */
  g_signal_connect (during, "notify::retry-base", G_CALLBACK (notify_cb), &n_notify);
  relay_outbox_set_retry_base (during, 2);
  relay_outbox_set_retry_base (during, 2);
  g_assert_cmpuint (n_notify, ==, 1);
  g_object_set (during, "retry-base", 0.0, NULL);
  g_assert_cmpfloat (relay_outbox_get_retry_base (during), ==, 60);
  g_assert_cmpuint (n_notify, ==, 2);
  relay_outbox_set_send_deadline (during, 0);
  g_assert_cmpfloat (relay_outbox_get_send_deadline (during), ==, 60);

  g_assert_finalize_object (g_steal_pointer (&bad));
}

/* Send Now and Cancel leave a message alone while the journal, which may
 * hold its "sending" mark, cannot be read: rewriting its envelope would
 * end the mark, and the next drain would send it again */
static void
test_unreadable_journal (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("outbox-XXXXXX", &error);
  g_autofree char *dir = g_build_filename (base, "outbox", NULL);
  g_autofree char *journal = g_build_filename (dir, ".journal", NULL);
  g_autofree char *log_path = g_build_filename (base, "send-log.jsonl", NULL);
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (dir);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(RelaySendLog) log = relay_send_log_new (log_path);
  g_autofree char *id = NULL;

  g_assert_no_error (error);
  id = add (outbox, account, log, "marked elsewhere");
  /* not the user's own regular file: never followed, never read */
  g_assert_cmpint (symlink ("/dev/null", journal), ==, 0);

  g_assert_false (relay_outbox_retry_message (outbox, id, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (relay_outbox_cancel_message (outbox, account, log, id, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (relay_outbox_has (outbox, id));
  g_assert_cmpuint (count_status (log, RELAY_SEND_STATUS_FAILED), ==, 0);

  /* readable again: both work */
  g_assert_cmpint (g_unlink (journal), ==, 0);
  g_assert_true (relay_outbox_retry_message (outbox, id, &error));
  g_assert_no_error (error);
  g_assert_true (relay_outbox_cancel_message (outbox, account, log, id, &error));
  g_assert_no_error (error);
  g_assert_false (relay_outbox_has (outbox, id));
}

/* An envelope's "source": one of the four, or none (an older version's);
 * anything else is a damaged envelope */
static void
test_envelope_source (void)
{
  const char *start = "{\"message_id\":\"a@example.org\",\"from\":\"me@example.org\","
                       "\"recipients\":[\"you@example.org\"],\"subject\":\"s\",\"attempt\":0,"
                       "\"state\":\"queued\",\"next_attempt\":0";
  struct { const char *member; gboolean ok; } cases[] = {
    { "", TRUE },
    { ",\"source\":\"cli\"", TRUE },
    { ",\"source\":\"sendmail\"", TRUE },
    { ",\"source\":\"relay\"", TRUE },
    { ",\"source\":\"app\"", TRUE },
    { ",\"source\":\"bogus\"", FALSE },
    { ",\"source\":\"\"", FALSE },
    { ",\"source\":3", FALSE },
    { ",\"source\":null", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *envelope = g_strconcat (start, cases[i].member, "}", NULL);
      g_autofree char *normalized = NULL;
      g_autoptr(GError) error = NULL;
      gboolean ok = relay_outbox_item_check (envelope, strlen (envelope), &normalized, &error);

      if (ok != cases[i].ok)
        g_error ("%s: %s", envelope, ok ? "taken" : error->message);
      /* what is written back keeps it */
      if (ok)
        g_assert_true ((strstr (normalized, "\"source\"") != NULL) == (cases[i].member[0] != '\0'));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/outbox/path", test_path);
  g_test_add_func ("/outbox/own-folder", test_own_folder);
  g_test_add_func ("/outbox/damaged-beside", test_damaged_beside);
  g_test_add_func ("/outbox/settings-read-once", test_settings_read_once);
  g_test_add_func ("/outbox/unreadable-journal", test_unreadable_journal);
  g_test_add_func ("/outbox/per-account", test_per_account);
  g_test_add_func ("/outbox/recover-per-account", test_recover_per_account);
  g_test_add_func ("/outbox/whole-outbox-drain", test_whole_outbox_drain);
  g_test_add_func ("/outbox/envelope-source", test_envelope_source);

  return g_test_run ();
}
