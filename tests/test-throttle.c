/* test-throttle.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Property tests: whatever the schedule of requests, a sender that waits
 * for relay_throttle_next_allowed() never exceeds any window. And the
 * count read back from a send log, as after a restart.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "relay-send-log.h"
#include "relay-throttle.h"

#define S G_USEC_PER_SEC

typedef struct
{
  gint64 when;
  guint  recipients;
} Sent;

static void
assert_windows_respected (GArray *sent,
                          guint   max_messages,
                          gint64  message_window,
                          guint   max_recipients,
                          gint64  recipient_window)
{
  /* the busiest window starts at some attempt */
  for (guint i = 0; i < sent->len; i++)
    {
      gint64 start = g_array_index (sent, Sent, i).when;
      guint messages = 0, recipients = 0;

      for (guint j = i; j < sent->len; j++)
        {
          const Sent *s = &g_array_index (sent, Sent, j);

          if (message_window && s->when < start + message_window)
            messages++;
          if (recipient_window && s->when < start + recipient_window)
            recipients += s->recipients;
        }

      if (message_window)
        g_assert_cmpuint (messages, <=, max_messages);
      if (recipient_window)
        g_assert_cmpuint (recipients, <=, max_recipients);
    }
}

static void
test_random_schedules (void)
{
  for (guint round = 0; round < 300; round++)
    {
      guint max_messages = g_test_rand_int_range (1, 8);
      guint message_window = g_test_rand_int_range (1, 30);
      guint max_recipients = g_test_rand_int_range (1, 40);
      guint recipient_window = g_test_rand_int_range (1, 120);
      gboolean use_messages = g_test_rand_bit () || round % 3 == 0;
      gboolean use_recipients = g_test_rand_bit ();
      g_autoptr(RelayThrottle) throttle = NULL;
      g_autoptr(GArray) sent = g_array_new (FALSE, FALSE, sizeof (Sent));
      gint64 now = G_GINT64_CONSTANT (1700000000) * S;

      throttle = relay_throttle_new (use_messages ? max_messages : 0, message_window,
                                     use_recipients ? max_recipients : 0, recipient_window);

      for (guint n = 0; n < 60; n++)
        {
          guint recipients = g_test_rand_int_range (1, use_recipients ? max_recipients + 3 : 5);
          gint64 at;

          /* requests come at random moments, sometimes in bursts */
          now += g_test_rand_bit () ? 0 : g_test_rand_int_range (0, 5 * S);
          at = relay_throttle_next_allowed (throttle, now, recipients);

          if (use_recipients && recipients > max_recipients)
            {
              g_assert_cmpint (at, ==, G_MAXINT64);
              continue;
            }

          g_assert_cmpint (at, >=, now);
          relay_throttle_record (throttle, at, recipients);
          g_array_append_val (sent, ((Sent) { at, recipients }));
          now = at;
        }

      assert_windows_respected (sent,
                                max_messages, use_messages ? (gint64)message_window * S : 0,
                                max_recipients, use_recipients ? (gint64)recipient_window * S : 0);
    }
}

static void
test_office365 (void)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new (30, 60, 10000, 86400);
  gint64 now = G_GINT64_CONSTANT (1700000000) * S;

  for (guint i = 0; i < 30; i++)
    {
      g_assert_cmpint (relay_throttle_next_allowed (throttle, now, 1), ==, now);
      relay_throttle_record (throttle, now, 1);
    }

  /* the 31st waits until the first leaves the minute */
  g_assert_cmpint (relay_throttle_next_allowed (throttle, now + 10 * S, 1), ==, now + 60 * S);
  g_assert_cmpuint (relay_throttle_count_messages (throttle, now + 10 * S), ==, 30);
  g_assert_cmpuint (relay_throttle_count_recipients (throttle, now + 10 * S), ==, 30);
  g_assert_cmpuint (relay_throttle_count_messages (throttle, now + 60 * S), ==, 0);

  /* more recipients than a day allows never fit */
  g_assert_cmpint (relay_throttle_next_allowed (throttle, now, 10001), ==, G_MAXINT64);
}

static void
test_recorded_out_of_order (void)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new (3, 2, 0, 0);
  gint64 t = G_GINT64_CONSTANT (1700000000) * S;

  /* as read back from a log after a restart */
  relay_throttle_record (throttle, t + S, 1);
  relay_throttle_record (throttle, t, 1);
  relay_throttle_record (throttle, t + S / 2, 1);

  g_assert_cmpint (relay_throttle_next_allowed (throttle, t + S, 1), ==, t + 2 * S);
}

static void
test_no_limits (void)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new (0, 0, 0, 0);

  for (guint i = 0; i < 1000; i++)
    relay_throttle_record (throttle, i, 50);
  g_assert_cmpint (relay_throttle_next_allowed (throttle, 5, 1000), ==, 5);
}

static gboolean
collect_cb (const char *line,
            gsize       length,
            gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strndup (line, length));
  return TRUE;
}

static void
log_event (GPtrArray       *entries,
           RelaySendStatus  status,
           gint64           ago,
           guint            n_recipients)
{
  const char *recipients[] = { "a@example.org", "b@example.org", "c@example.org", NULL };
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (g_get_real_time () / S - ago / S);
  RelaySendLogEntry *entry;

  recipients[n_recipients] = NULL;
  entry = relay_send_log_entry_new (status, "<id@example.org>", recipients, "subject", 1, "250 2.0.0 Ok");
  relay_send_log_entry_set_time (entry, time);
  g_ptr_array_add (entries, entry);
}

/* Counting carries across a restart: what the log holds within the
 * windows, sent or with an unknown result; read from the end only */
static void
test_from_log (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-throttle-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "send-log.jsonl", NULL);
  g_autoptr(RelaySendLog) log = relay_send_log_new (path);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(RelayThrottle) throttle = relay_throttle_new (30, 60, 10000, 86400);
  g_autoptr(GError) error = NULL;
  gint64 now;

  /* three days ago: outside every window */
  for (guint i = 0; i < 5; i++)
    log_event (entries, RELAY_SEND_STATUS_SENT, G_GINT64_CONSTANT (3) * 86400 * S, 3);
  /* yesterday: only in the day's recipients */
  log_event (entries, RELAY_SEND_STATUS_SENT, G_GINT64_CONSTANT (23) * 3600 * S, 3);
  /* this minute: two sent, one unknown, and what is not an attempt */
  log_event (entries, RELAY_SEND_STATUS_SENT, 10 * S, 1);
  log_event (entries, RELAY_SEND_STATUS_SENT, 9 * S, 2);
  log_event (entries, RELAY_SEND_STATUS_UNKNOWN, 5 * S, 1);
  log_event (entries, RELAY_SEND_STATUS_FAILED, 5 * S, 1);
  log_event (entries, RELAY_SEND_STATUS_DEFERRED, 4 * S, 1);
  log_event (entries, RELAY_SEND_STATUS_QUEUED, 3 * S, 1);
  log_event (entries, RELAY_SEND_STATUS_THROTTLED, 3 * S, 1);
  /* written after later ones, as a slow writer would */
  log_event (entries, RELAY_SEND_STATUS_SENT, 20 * S, 1);
  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);

  relay_throttle_record_log (throttle, path);
  now = g_get_real_time ();
  g_assert_cmpuint (relay_throttle_count_messages (throttle, now), ==, 4);
  g_assert_cmpuint (relay_throttle_count_recipients (throttle, now), ==, 3 + 1 + 2 + 1 + 1);

  /* read back from the end: the scan stops at the first line older than
   * asked for, and gives the newest first */
  {
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) tail = relay_send_log_read_tail (path, 100, RELAY_SEND_STATUS_ANY, &error);

    g_assert_true (relay_send_log_scan_since (path, now - 60 * S, collect_cb, seen, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (seen->len, ==, 8);
    g_assert_cmpuint (tail->len, ==, 14);
    for (guint i = 0; i < seen->len; i++)
      g_assert_cmpstr (g_ptr_array_index (seen, i), ==, g_ptr_array_index (tail, tail->len - 1 - i));
  }

  g_remove (path);
  g_rmdir (dir);
}

/* An account's throttle counts its own attempts alone (and those a line
 * names no account for): each account's windows are its own */
static void
test_from_log_per_account (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-throttle-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "send-log.jsonl", NULL);
  g_autoptr(RelaySendLog) log = relay_send_log_new (path);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(RelayAccount) ann = relay_account_new ();
  g_autoptr(RelayAccount) team = relay_account_new ();
  g_autoptr(RelayThrottle) ann_throttle = NULL;
  g_autoptr(RelayThrottle) team_throttle = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now;

  relay_account_set_max_messages (ann, 3);
  relay_account_set_message_window (ann, 60);
  relay_account_set_max_messages (team, 3);
  relay_account_set_message_window (team, 60);

  for (guint i = 0; i < 3; i++)
    {
      log_event (entries, RELAY_SEND_STATUS_SENT, (10 + i) * S, 1);
      relay_send_log_entry_set_account (g_ptr_array_index (entries, entries->len - 1), relay_account_get_id (ann));
    }
  log_event (entries, RELAY_SEND_STATUS_SENT, 5 * S, 1);
  relay_send_log_entry_set_account (g_ptr_array_index (entries, entries->len - 1), relay_account_get_id (team));
  /* another tool's line: whose it is cannot be told */
  log_event (entries, RELAY_SEND_STATUS_SENT, 4 * S, 1);
  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);

  ann_throttle = relay_throttle_new_for_account (ann);
  team_throttle = relay_throttle_new_for_account (team);
  relay_throttle_record_log (ann_throttle, path);
  relay_throttle_record_log (team_throttle, path);
  now = g_get_real_time ();
  g_assert_cmpuint (relay_throttle_count_messages (ann_throttle, now), ==, 4);
  g_assert_cmpuint (relay_throttle_count_messages (team_throttle, now), ==, 2);
  /* Ann waits for her window; the team's account sends now */
  g_assert_cmpint (relay_throttle_next_allowed (ann_throttle, now, 1), >, now);
  g_assert_cmpint (relay_throttle_next_allowed (team_throttle, now, 1), ==, now);

  g_remove (path);
  g_rmdir (dir);
}

/* A line another tool wrote (json.dumps spacing, its own member order)
 * is an attempt like any other */
static void
test_from_log_other_forms (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-throttle-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "send-log.jsonl", NULL);
  g_autoptr(RelayThrottle) throttle = relay_throttle_new (30, 60, 10000, 86400);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) recent = g_date_time_add_seconds (now, -10);
  g_autofree char *stamp = g_date_time_format_iso8601 (recent);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  contents = g_strdup_printf ("{\"status\": \"sent\", \"time\": \"%s\", \"message_id\": \"<1@x>\", "
                              "\"recipients\": [\"a@example.org\", \"b@example.org\"], \"subject\": \"s\", "
                              "\"attempt\": 1, \"reply\": \"250 ok\"}\n"
                              "{ \"time\" : \"%s\" , \"status\" : \"failed\" , \"message_id\" : \"<2@x>\" , "
                              "\"recipients\" : [\"c@example.org\"] , \"subject\" : \"s\" , "
                              "\"attempt\" : 1 , \"reply\" : \"550 no\" }\n",
                              stamp, stamp);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  relay_throttle_record_log (throttle, path);
  g_assert_cmpuint (relay_throttle_count_messages (throttle, g_get_real_time ()), ==, 1);
  g_assert_cmpuint (relay_throttle_count_recipients (throttle, g_get_real_time ()), ==, 2);

  g_remove (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/throttle/random-schedules", test_random_schedules);
  g_test_add_func ("/throttle/office365", test_office365);
  g_test_add_func ("/throttle/recorded-out-of-order", test_recorded_out_of_order);
  g_test_add_func ("/throttle/no-limits", test_no_limits);
  g_test_add_func ("/throttle/from-log-per-account", test_from_log_per_account);
  g_test_add_func ("/throttle/from-log", test_from_log);
  g_test_add_func ("/throttle/from-log/other-forms", test_from_log_other_forms);

  return g_test_run ();
}
