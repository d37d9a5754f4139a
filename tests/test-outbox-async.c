/* test-outbox-async.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The outbox's asynchronous calls: the drain in a worker of the core,
 * its progress and its report in the caller's main context, the account
 * copied; the counts a view of the outbox shows.
 */

#include "config.h"

#include <string.h>

#include "relay-outbox.h"
#include "test-helpers.h"

/* A plain SMTP server of the test's own, on 127.0.0.1: every message is
 * accepted, and counted; with chunking it offers PIPELINING and CHUNKING
 * (BDAT) */
static gboolean chunking;

static gboolean
smtp_run_cb (GThreadedSocketService *service,
             GSocketConnection      *connection,
             GObject                *source_object,
             gpointer                user_data)
{
  guint *n_accepted = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  gboolean in_data = FALSE;

  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_output_stream_write_all (out, "220 test ESMTP\r\n", 16, NULL, NULL, NULL);

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      const char *reply = NULL;

      if (line == NULL)
        break;
      if (in_data)
        {
          if (g_str_equal (line, "."))
            {
              in_data = FALSE;
              g_atomic_int_inc ((int *)n_accepted);
              reply = "250 2.0.0 Ok: queued\r\n";
            }
        }
      else if (g_ascii_strncasecmp (line, "EHLO", 4) == 0)
        reply = chunking ? "250-test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n" : "250-test\r\n250 8BITMIME\r\n";
      else if (g_ascii_strncasecmp (line, "BDAT ", 5) == 0)
        {
          gsize size = g_ascii_strtoull (line + 5, NULL, 10);
          g_autofree char *chunk = g_malloc (size + 1);

          if (!g_input_stream_read_all (G_INPUT_STREAM (in), chunk, size, NULL, NULL, NULL))
            break;
          g_atomic_int_inc ((int *)n_accepted);
          reply = "250 2.0.0 Ok: queued\r\n";
        }
      else if (g_ascii_strncasecmp (line, "DATA", 4) == 0)
        {
          in_data = TRUE;
          reply = "354 End data with <CR><LF>.<CR><LF>\r\n";
        }
      else if (g_ascii_strncasecmp (line, "QUIT", 4) == 0)
        {
          g_output_stream_write_all (out, "221 2.0.0 Bye\r\n", 15, NULL, NULL, NULL);
          break;
        }
      else
        reply = "250 2.0.0 Ok\r\n";

      if (reply != NULL && !g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL))
        break;
    }

  return TRUE;
}

static RelayAccount *
make_account (guint port)
{
  RelayAccount *account = relay_account_new ();

  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, port);
  relay_account_set_security (account, RELAY_SECURITY_NONE);
  relay_account_set_from (account, "sender@example.org");

  return account;
}

static void
enqueue (RelayAccount *account,
         RelaySendLog *log,
         const char   *subject)
{
  const char *to[] = { "rcpt@example.org", NULL };
  g_autoptr(GBytes) body = g_bytes_new_static ("Hello\n", 6);
  g_autoptr(GError) error = NULL;
  g_autofree char *message_id = relay_outbox_enqueue (account, to, subject, body, log, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message_id);
}

/* A server, an account that sends through it, and what a drain said */
typedef struct
{
  GSocketService *service;
  guint           n_accepted;
  RelayOutbox    *outbox;    /* the default one */
  RelayAccount   *account;
  RelaySendLog   *log;
  GPtrArray      *lines;     /* what progress said, in order */
  GThread        *progress_thread;
  gboolean        progress_after_result;
  GAsyncResult   *result;
  GThread        *result_thread;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  guint port;

  fixture->service = loopback_service_start (G_CALLBACK (smtp_run_cb), &fixture->n_accepted, &port);
  fixture->outbox = relay_outbox_new (NULL);
  fixture->account = make_account (port);
  fixture->log = relay_send_log_new (NULL);
  fixture->lines = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  loopback_service_stop (&fixture->service);
  g_clear_object (&fixture->outbox);
  g_clear_object (&fixture->account);
  g_clear_object (&fixture->log);
  g_clear_pointer (&fixture->lines, g_ptr_array_unref);
  g_clear_object (&fixture->result);
}

static void
progress_cb (const char *text,
             gpointer    user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->lines, g_strdup (text));
  if (fixture->progress_thread == NULL || fixture->progress_thread == g_thread_self ())
    fixture->progress_thread = g_thread_self ();
  else
    fixture->progress_thread = (GThread *)0x1;
  if (fixture->result != NULL)
    fixture->progress_after_result = TRUE;
}

static void
drained_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fixture *fixture = user_data;

  g_assert_true (object == G_OBJECT (fixture->outbox));
  fixture->result = g_object_ref (result);
  fixture->result_thread = g_thread_self ();
}

/* Two messages go out through the drain's worker: every line of progress
 * and the report come to the caller's context, the lines first; changes
 * made to the account after the call do not reach the drain */
static void
test_drain (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(RelayOutboxReport) report = NULL;
  g_autoptr(GMainContext) caller = g_main_context_new ();
  g_autoptr(GError) error = NULL;

  enqueue (fixture->account, fixture->log, "one");
  enqueue (fixture->account, fixture->log, "two");
  g_assert_cmpuint (relay_outbox_count (), ==, 2);

  /* called from a context of its own, which is not run until the drain
   * is over: the worker's lines and its result then all wait there, and
   * their order is the order they are dispatched in. The test's server
   * accepts in the global default context. */
  g_main_context_push_thread_default (caller);
  relay_outbox_drain_async (fixture->outbox, fixture->account, fixture->log, RELAY_OUTBOX_WAIT_NONE,
                            progress_cb, fixture, NULL, drained_cb, fixture);
  g_main_context_pop_thread_default (caller);
  /* the drain has its own copy: this port has no server */
  relay_account_set_port (fixture->account, 1);

  while (g_atomic_int_get ((int *)&fixture->n_accepted) < 2 || relay_outbox_count () > 0)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (G_USEC_PER_SEC / 100);
  g_usleep (G_USEC_PER_SEC / 5);
  g_assert_cmpuint (fixture->lines->len, ==, 0);

  g_main_context_push_thread_default (caller);
  while (fixture->result == NULL)
    g_main_context_iteration (caller, TRUE);
  g_main_context_pop_thread_default (caller);

  report = relay_outbox_drain_finish (fixture->outbox, fixture->result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  g_assert_cmpuint (report->sent, ==, 2);
  g_assert_cmpuint (report->failed, ==, 0);
  g_assert_cmpuint (report->deferred, ==, 0);
  g_assert_null (report->stopped_by);
  g_assert_cmpuint (g_atomic_int_get ((int *)&fixture->n_accepted), ==, 2);
  g_assert_cmpuint (relay_outbox_count (), ==, 0);

  g_assert_true (fixture->result_thread == g_thread_self ());
  g_assert_true (fixture->progress_thread == g_thread_self ());
  g_assert_false (fixture->progress_after_result);
  g_assert_cmpuint (fixture->lines->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (fixture->lines, 0), ==, "Sending “one”…");
  g_assert_cmpstr (g_ptr_array_index (fixture->lines, 1), ==, "Sending “two”…");
}

/* Cancelled before it starts: nothing is sent, the message stays, and
 * the caller hears G_IO_ERROR_CANCELLED */
static void
test_drain_cancelled (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(RelayOutboxReport) report = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  enqueue (fixture->account, fixture->log, "kept");
  g_cancellable_cancel (cancellable);
  relay_outbox_drain_async (fixture->outbox, fixture->account, fixture->log, RELAY_OUTBOX_WAIT_NONE,
                            progress_cb, fixture, cancellable, drained_cb, fixture);
  while (fixture->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  report = relay_outbox_drain_finish (fixture->outbox, fixture->result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (report);
  g_assert_cmpuint (g_atomic_int_get ((int *)&fixture->n_accepted), ==, 0);
  g_assert_cmpuint (relay_outbox_count (), ==, 1);
}

static void
counted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* What the Send Log page's meters and banner show: the account's windows
 * filled from the send log as a drain fills them, and the outbox */
static void
test_counts (void)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);
  g_autoptr(RelayAccount) account = make_account (25);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelayOutboxCounts) counts = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *to[] = { "a@example.org", "b@example.org", "c@example.org", NULL };
  g_autoptr(RelaySendLogEntry) sent = relay_send_log_entry_new (RELAY_SEND_STATUS_SENT, "<1@example.org>",
                                                                 to, "sent", 1, "250 ok");
  g_autoptr(RelaySendLogEntry) unknown = relay_send_log_entry_new (RELAY_SEND_STATUS_UNKNOWN, "<2@example.org>",
                                                                    to, "unknown", 1, "");
  g_autoptr(RelaySendLogEntry) failed = relay_send_log_entry_new (RELAY_SEND_STATUS_FAILED, "<3@example.org>",
                                                                   to, "failed", 1, "550 no");
  RelaySendLogEntry *entries[] = { sent, unknown, failed };
  gint64 now;

  relay_account_set_max_messages (account, 30);
  relay_account_set_message_window (account, 60);
  relay_account_set_max_recipients (account, 100);
  relay_account_set_recipient_window (account, 86400);

  g_assert_true (relay_send_log_append (log, entries, G_N_ELEMENTS (entries), &error));
  g_assert_no_error (error);
  enqueue (account, log, "waits");
  enqueue (account, log, "waits too");

  relay_outbox_get_counts_async (outbox, account, log, NULL, counted_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  counts = relay_outbox_get_counts_finish (outbox, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (counts);
  now = g_get_real_time ();
  /* sent and unknown attempts count; a failure does not */
  g_assert_cmpuint (relay_throttle_count_messages (counts->throttle, now), ==, 2);
  g_assert_cmpuint (relay_throttle_count_recipients (counts->throttle, now), ==, 6);
  g_assert_cmpuint (relay_throttle_get_max_messages (counts->throttle), ==, 30);
  g_assert_cmpuint (counts->queued, ==, 2);
  g_assert_cmpuint (counts->due, ==, 2);
  g_assert_cmpint (counts->next_retry, ==, G_MAXINT64);
}

static void
cancel_at_two_cb (const char *text,
                  gpointer    user_data)
{
  if (g_str_has_suffix (text, "“two”…"))
    g_cancellable_cancel (user_data);
}

typedef struct
{
  Fixture           *fixture;
  GCancellable      *cancellable;
  RelayOutboxReport *report;
  GError            *error;
  gboolean           done;
} Run;

/* The drain itself, in a thread of the test's own: its progress comes
 * as it goes on, and the test's server accepts in the default context */
static gpointer
drain_thread (gpointer data)
{
  Run *run = data;

  run->report = relay_outbox_drain (run->fixture->outbox, run->fixture->account, run->fixture->log,
                                    RELAY_OUTBOX_WAIT_NONE, cancel_at_two_cb, run->cancellable,
                                    run->cancellable, &run->error);
  g_atomic_int_set (&run->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* "one" and "two" queued, the drain cancelled as "two" starts: "one" is
 * sent and logged sent, "two" stays queued, and nothing is unknown */
static void
drain_cancelled_at_two (Fixture *fixture)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *contents = NULL;
  Run run = { fixture, cancellable, NULL, NULL, FALSE };
  GThread *thread;

  enqueue (fixture->account, fixture->log, "one");
  enqueue (fixture->account, fixture->log, "two");

  thread = g_thread_new ("drain", drain_thread, &run);
  while (!g_atomic_int_get (&run.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  g_assert_no_error (run.error);
  g_assert_nonnull (run.report);
  g_assert_cmpuint (run.report->sent, ==, 1);
  g_assert_cmpuint (run.report->unknown, ==, 0);
  g_assert_cmpuint (g_atomic_int_get ((int *)&fixture->n_accepted), ==, 1);
  g_assert_cmpuint (relay_outbox_count (), ==, 1);
  relay_outbox_report_free (run.report);

  g_assert_true (g_file_get_contents (relay_send_log_get_path (fixture->log), &contents, NULL, NULL));
  g_assert_null (strstr (contents, "\"unknown\""));
  g_assert_nonnull (strstr (contents, "\"sent\""));
}

/* Cancelled as "two" starts, while "one" is in flight (its data kept to
 * go with the next write): "one" is still sent, and is logged sent, not
 * unknown; "two" stays queued. (Before, the cancelled write of the next
 * envelope took "one" with it, never written, and it was recorded
 * unknown and never sent: lost.) */
static void
test_drain_cancelled_in_flight (Fixture       *fixture,
                                gconstpointer  data)
{
  drain_cancelled_at_two (fixture);
}

/* The same with PIPELINING and CHUNKING: "two" is cancelled before its
 * BDAT write, so not one byte of it went: it stays queued, never unknown
 * (the code before recorded it unknown: lost) */
static void
test_drain_cancelled_bdat (Fixture       *fixture,
                           gconstpointer  data)
{
  chunking = TRUE;
  drain_cancelled_at_two (fixture);
  chunking = FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/outbox-async/drain", Fixture, NULL, fixture_set_up, test_drain, fixture_tear_down);
  g_test_add ("/outbox-async/drain-cancelled", Fixture, NULL, fixture_set_up, test_drain_cancelled,
              fixture_tear_down);
  g_test_add ("/outbox-async/cancelled-in-flight", Fixture, NULL, fixture_set_up, test_drain_cancelled_in_flight,
              fixture_tear_down);
  g_test_add ("/outbox-async/cancelled-bdat", Fixture, NULL, fixture_set_up, test_drain_cancelled_bdat,
              fixture_tear_down);
  g_test_add_func ("/outbox-async/counts", test_counts);

  return g_test_run ();
}
