/* test-log-page.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The send log page under Xvfb: loads off the main thread, filters by
 * status and by text, says when there is nothing yet, and shows what
 * other processes write as they write it.
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "relay-log-page.h"
#include "relay-outbox.h"
#include "relay-sandbox-server.h"
#include "relay-secrets.h"
#include "relay-send-log.h"
#include "test-helpers.h"
#include "widget-helpers.h"

static GtkStack *
page_stack (RelayLogPage *page)
{
  return GTK_STACK (gtk_widget_get_first_child (GTK_WIDGET (page)));
}

static gboolean
showing_log (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (page_stack (data)), "log") == 0;
}

static gboolean
showing_empty (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (page_stack (data)), "empty") == 0;
}

typedef struct
{
  RelayLogPage *page;
  guint         expected;
} Count;

static gboolean
count_is (gpointer data)
{
  Count *count = data;

  return g_list_model_get_n_items (relay_log_page_get_model (count->page)) == count->expected;
}

static gboolean
is_label_with (GtkWidget     *widget,
               gconstpointer  data)
{
  const char * const *texts = data;

  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), texts[0]) != NULL &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), texts[1]) != NULL;
}

/* Whether a shown label under @root holds both @a and @b */
static gboolean
label_with (GtkWidget  *root,
            const char *a,
            const char *b)
{
  const char * const texts[] = { a, b };

  return find_widget (root, is_label_with, texts) != NULL;
}

static gboolean
throttled_shown (gpointer data)
{
  return label_with (GTK_WIDGET (data), "Sending is throttled", "1 message waits");
}

static gboolean
meters_shown (gpointer data)
{
  return label_with (GTK_WIDGET (data), "/ 30 messages this minute", "/ 10,000 recipients in 24 hours");
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *)data;
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_log_page_export_finish (RELAY_LOG_PAGE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

/* @n events, with the subjects subject-@first… */
static void
write_log_from (guint first,
                guint n)
{
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const char *recipients[] = { "rcpt@example.org", NULL };

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *subject = g_strdup_printf ("subject-%u", first + i);
      RelaySendStatus status = i % 100 == 7 ? RELAY_SEND_STATUS_FAILED
                             : i % 100 == 8 ? RELAY_SEND_STATUS_DEFERRED
                             : RELAY_SEND_STATUS_SENT;

      g_ptr_array_add (entries, relay_send_log_entry_new (status, subject, recipients, subject, 1,
                                                          status == RELAY_SEND_STATUS_FAILED
                                                          ? "550 5.1.1 No such user" : "250 2.0.0 Ok"));
    }

  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);
}

static void
write_log (guint n)
{
  write_log_from (0, n);
}

static RelayLogPage *
show_page (GtkWindow **window)
{
  RelayLogPage *page = g_object_new (RELAY_TYPE_LOG_PAGE, NULL);

  *window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (*window, 900, 600);
  gtk_window_set_child (*window, GTK_WIDGET (page));
  gtk_window_present (*window);

  return page;
}

/* The page goes when its window does, on this thread: the filter, the
 * export and the meters ran in worker threads, which must not hold the
 * last reference to a widget (GLib drops a threaded task's last reference
 * in its worker, possibly after the callback has run) */
static void
close_page (GtkWindow    *window,
            RelayLogPage *page)
{
  g_object_ref (page);
  /* out of the window first: a window goes some time after its
   * destruction, and would hold the page meanwhile */
  gtk_window_set_child (window, NULL);
  g_assert_true (await_finalize (page) == g_thread_self ());
  gtk_window_destroy (window);
}

static void
test_empty (void)
{
  GtkWindow *window;
  RelayLogPage *page;
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);

  g_remove (path);
  page = show_page (&window);
  wait_for (showing_empty, page);
  g_assert_true (ADW_IS_STATUS_PAGE (gtk_stack_get_visible_child (page_stack (page))));
  close_page (window, page);
}

static void
test_filters (void)
{
  GtkWindow *window;
  RelayLogPage *page;
  Count count;
  GtkDropDown *dropdown;
  g_autoptr(RelaySendLogEntry) first = NULL;

  g_autoptr(RelayAccount) account = relay_account_new ();

  relay_account_apply_provider (account, relay_provider_lookup ("office365"));
  relay_account_set_from (account, "me@example.org");
  write_log (20000);
  /* one message waits in the outbox while the minute's 30 are used up */
  {
    g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
    g_autoptr(GBytes) body = g_bytes_new_static ("Hello\n", 6);
    g_autoptr(GError) error = NULL;
    const char *to[] = { "rcpt@example.org", NULL };
    g_autofree char *id = relay_outbox_enqueue (account, to, "waiting", body, log, &error);

    g_assert_no_error (error);
    g_assert_nonnull (id);
  }
  page = show_page (&window);
  relay_log_page_set_account (page, account);
  wait_for (showing_log, page);

  /* the meters count this minute's attempts against the limits, and the
   * banner says that the queued message waits */
  wait_for (meters_shown, page);
  wait_for (throttled_shown, page);

  /* the 20,000 written and the queued one, counted as in English */
  count = (Count) { page, 20001 };
  wait_for (count_is, &count);
  g_assert_true (label_with (GTK_WIDGET (page), "20,001 events", ""));
  g_assert_nonnull (find_type (GTK_WIDGET (page), GTK_TYPE_COLUMN_VIEW));

  /* by status: “Failed” is the fifth choice */
  dropdown = GTK_DROP_DOWN (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN));
  gtk_drop_down_set_selected (dropdown, 4);
  count.expected = 200;
  wait_for (count_is, &count);
  first = g_list_model_get_item (relay_log_page_get_model (page), 0);
  g_assert_cmpint (relay_send_log_entry_get_status (first), ==, RELAY_SEND_STATUS_FAILED);
  g_assert_cmpstr (relay_send_log_entry_get_subject (first), ==, "subject-7");

  /* CSV of what is shown */
  {
    g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "export.csv", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autofree char *csv = NULL;
    g_auto(GStrv) lines = NULL;
    gboolean done = FALSE;

    g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
    relay_log_page_export_async (page, file, NULL, exported_cb, &done);
    wait_for (flag_set, &done);
    g_assert_true (g_file_get_contents (path, &csv, NULL, NULL));
    lines = g_strsplit (csv, "\r\n", -1);
    g_assert_cmpstr (lines[0], ==, "time,status,recipients,subject,attempt,reply");
    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 200 + 1);
    g_assert_true (g_str_has_suffix (lines[1], ",failed,rcpt@example.org,subject-7,1,550 5.1.1 No such user"));
  }

  /* and by text, case folded */
  gtk_drop_down_set_selected (dropdown, 0);
  gtk_editable_set_text (GTK_EDITABLE (find_type (GTK_WIDGET (page), GTK_TYPE_SEARCH_ENTRY)), "SUBJECT-19999");
  count.expected = 1;
  wait_for (count_is, &count);

  gtk_editable_set_text (GTK_EDITABLE (find_type (GTK_WIDGET (page), GTK_TYPE_SEARCH_ENTRY)), "");
  count.expected = 20001;
  wait_for (count_is, &count);

  /* the queued message's detail offers Cancel, which takes it out */
  {
    g_autoptr(RelaySendLogEntry) queued = g_list_model_get_item (relay_log_page_get_model (page), 20000);
    g_autoptr(GList) toplevels = NULL;
    g_autofree char *message_id = g_strdup (relay_send_log_entry_get_message_id (queued));
    GtkWidget *cancel = NULL;

    g_assert_cmpint (relay_send_log_entry_get_status (queued), ==, RELAY_SEND_STATUS_QUEUED);
    g_assert_true (relay_outbox_contains (message_id));
    relay_log_page_show_event (page, queued);

    toplevels = gtk_window_list_toplevels ();
    for (GList *l = toplevels; l != NULL && cancel == NULL; l = l->next)
      if (l->data != (gpointer)window)
        cancel = find_button (l->data, "Cancel Message");
    g_assert_nonnull (cancel);
    assert_buttons_named_once (gtk_widget_get_parent (cancel));
    g_signal_emit_by_name (cancel, "clicked");

    g_assert_false (relay_outbox_contains (message_id));
    count.expected = 20002;
    wait_for (count_is, &count);
  }

  close_page (window, page);
}

/* Whether a row with this text is drawn inside the list's viewport: what
 * a person sees, not what the adjustment says */
typedef struct
{
  GtkWidget  *viewport;
  const char *text;
} InView;

static gboolean
is_label_in_view (GtkWidget     *widget,
                  gconstpointer  data)
{
  const InView *in_view = data;
  graphene_rect_t bounds;

  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         g_str_equal (gtk_label_get_text (GTK_LABEL (widget)), in_view->text) &&
         gtk_widget_compute_bounds (widget, in_view->viewport, &bounds) &&
         bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (in_view->viewport);
}

static gboolean
label_in_view (GtkWidget  *root,
               GtkWidget  *viewport,
               const char *text)
{
  InView in_view = { viewport, text };

  return find_widget (root, is_label_in_view, &in_view) != NULL;
}

typedef struct
{
  RelayLogPage *page;
  const char   *subject;
} Shown;

static gboolean
row_shown (gpointer data)
{
  Shown *shown = data;
  GtkWidget *list = find_type (find_type (GTK_WIDGET (shown->page), GTK_TYPE_COLUMN_VIEW), GTK_TYPE_LIST_VIEW);

  return label_in_view (list, list, shown->subject);
}

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () > *(gint64 *)data;
}

/* long enough for a scroll to the end to have happened, if one would */
static void
settle (void)
{
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;

  wait_for (time_passed, &until);
}

/* What another process writes shows up without a reload: the rows
 * before stay, the newest stays in view, and a filter takes the new
 * rows too */
static void
test_live (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
  g_autoptr(RelaySendLogEntry) first = NULL;
  g_autoptr(RelaySendLogEntry) still_first = NULL;
  GtkDropDown *dropdown;
  GtkWindow *window;
  RelayLogPage *page;
  Count count;
  Shown shown;

  g_remove (path);
  write_log (500);
  page = show_page (&window);
  wait_for (showing_log, page);
  count = (Count) { page, 500 };
  wait_for (count_is, &count);
  /* opened on the newest */
  shown = (Shown) { page, "subject-499" };
  wait_for (row_shown, &shown);
  first = g_list_model_get_item (relay_log_page_get_model (page), 0);

  /* as mail-relay-cli send would: another writer; the newest is shown */
  write_log_from (500, 3);
  count.expected = 503;
  wait_for (count_is, &count);
  still_first = g_list_model_get_item (relay_log_page_get_model (page), 0);
  g_assert_true (still_first == first);
  shown.subject = "subject-502";
  wait_for (row_shown, &shown);

  /* scrolled back to the start, it stays there */
  g_assert_true (gtk_widget_activate_action (find_type (find_type (GTK_WIDGET (page), GTK_TYPE_COLUMN_VIEW), GTK_TYPE_LIST_VIEW),
                                             "list.scroll-to-item", "u", 0));
  shown.subject = "subject-0";
  wait_for (row_shown, &shown);
  write_log_from (503, 2);
  count.expected = 505;
  wait_for (count_is, &count);
  settle ();
  g_assert_true (row_shown (&shown));
  shown.subject = "subject-504";
  g_assert_false (row_shown (&shown));

  /* with a filter, the new rows are filtered as they come: one of the
   * next hundred failed */
  dropdown = GTK_DROP_DOWN (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN));
  gtk_drop_down_set_selected (dropdown, 4);
  count.expected = 5;
  wait_for (count_is, &count);
  write_log_from (505, 100);
  count.expected = 6;
  wait_for (count_is, &count);
  g_clear_object (&first);
  first = g_list_model_get_item (relay_log_page_get_model (page), 5);
  g_assert_cmpint (relay_send_log_entry_get_status (first), ==, RELAY_SEND_STATUS_FAILED);
  g_assert_cmpstr (relay_send_log_entry_get_subject (first), ==, "subject-512");

  gtk_drop_down_set_selected (dropdown, 0);
  count.expected = 605;
  wait_for (count_is, &count);

  close_page (window, page);
}

/* The page's work in worker threads (the load, the filter, the export)
 * holds no reference to the page: when the callbacks have run, the page
 * goes with its last reference, on this thread. Were the page a threaded
 * task's source object, the worker could drop it after the callback and
 * dispose the widget off the main thread (late-task-release makes that
 * the order every time). Not shown, the page reads the log only when
 * asked, and no refresh or meter is pending. */
static void
test_released_on_main_thread (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
  g_autofree char *csv = g_build_filename (g_get_user_cache_dir (), "released.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (csv);
  RelayLogPage *page;
  Count count;
  gboolean done = FALSE;

  g_remove (path);
  write_log (1000);
  page = g_object_ref_sink (g_object_new (RELAY_TYPE_LOG_PAGE, NULL));
  relay_log_page_reload (page);
  count.page = page;
  count.expected = 1000;
  wait_for (count_is, &count);

  /* “Failed”: filtered in a thread */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN)), 4);
  count.expected = 10;
  wait_for (count_is, &count);

  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  relay_log_page_export_async (page, file, NULL, exported_cb, &done);
  wait_for (flag_set, &done);

  g_assert_true (await_finalize (page) == g_thread_self ());
}

/* The CSV export is the user's log: private from the start (a file that
 * was there at 0644 is replaced by one at 0600), and a cell that a
 * spreadsheet would run as a formula is text */
static void
test_export_safe (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
  g_autofree char *csv_path = g_build_filename (g_get_user_cache_dir (), "safe.csv", NULL);
  g_autofree char *new_path = g_build_filename (g_get_user_cache_dir (), "new.csv", NULL);
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  const char *recipients[] = { "rcpt@example.org", NULL };
  const char *subjects[] = { "=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "plain", "a=b" };
  const char *expected[] = {
    ",sent,rcpt@example.org,'=cmd|' /C calc'!A0,1,250 2.0.0 Ok",
    ",sent,rcpt@example.org,'+1+1,1,250 2.0.0 Ok",
    ",sent,rcpt@example.org,'-2,1,250 2.0.0 Ok",
    ",sent,rcpt@example.org,'@SUM(A1),1,250 2.0.0 Ok",
    ",sent,rcpt@example.org,'\tTAB,1,250 2.0.0 Ok",
    ",sent,rcpt@example.org,\"'\rCR\",1,250 2.0.0 Ok",
    ",sent,rcpt@example.org,plain,1,250 2.0.0 Ok",
    ",failed,rcpt@example.org,a=b,1,\"'=HYPERLINK(\"\"http://evil.example/\"\";\"\"Ok\"\")\"",
  };
  RelayLogPage *page;
  Count count;
  gboolean done = FALSE;
  GStatBuf st;

  g_remove (path);
  for (guint i = 0; i < G_N_ELEMENTS (subjects); i++)
    {
      gboolean last = i == G_N_ELEMENTS (subjects) - 1;

      g_ptr_array_add (entries, relay_send_log_entry_new (last ? RELAY_SEND_STATUS_FAILED : RELAY_SEND_STATUS_SENT,
                                                          "<safe@example.org>", recipients, subjects[i], 1,
                                                          last ? "=HYPERLINK(\"http://evil.example/\";\"Ok\")"
                                                               : "250 2.0.0 Ok"));
    }
  g_assert_true (relay_send_log_append (log, (RelaySendLogEntry **)entries->pdata, entries->len, &error));
  g_assert_no_error (error);

  page = g_object_ref_sink (g_object_new (RELAY_TYPE_LOG_PAGE, NULL));
  relay_log_page_reload (page);
  count.page = page;
  count.expected = G_N_ELEMENTS (subjects);
  wait_for (count_is, &count);

  /* an earlier export left readable by all, with the usual umask */
  umask (022);
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  g_assert_true (g_file_set_contents (csv_path, "old\r\n", -1, NULL));
  g_assert_cmpint (g_chmod (csv_path, 0644), ==, 0);
  {
    g_autoptr(GFile) file = g_file_new_for_path (csv_path);

    relay_log_page_export_async (page, file, NULL, exported_cb, &done);
    wait_for (flag_set, &done);
  }
  g_assert_cmpint (g_stat (csv_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + G_N_ELEMENTS (expected) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (!g_str_has_suffix (lines[1 + i], expected[i]))
      g_error ("row %u is “%s”, not “…%s”", i, lines[1 + i], expected[i]);

  /* and a new file is never readable by others either */
  done = FALSE;
  {
    g_autoptr(GFile) file = g_file_new_for_path (new_path);

    relay_log_page_export_async (page, file, NULL, exported_cb, &done);
    wait_for (flag_set, &done);
  }
  g_assert_cmpint (g_stat (new_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (await_finalize (page) == g_thread_self ());
}

/* An account for the built-in test server, its password in the keyring */
static RelayAccount *
sandbox_account (RelaySandboxServer *sandbox,
                 RelayAccount       *base)
{
  RelayAccount *account = base ? relay_account_copy (base) : relay_account_new ();
  const char *pins[] = { relay_sandbox_server_get_certificate_sha256 (sandbox), NULL };
  g_autoptr(GError) error = NULL;
  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, relay_sandbox_server_get_starttls_port (sandbox));
  relay_account_set_security (account, RELAY_SECURITY_STARTTLS);
  relay_account_set_username (account, relay_sandbox_server_get_username (sandbox));
  relay_account_set_from (account, "me@example.org");
  relay_account_set_pins (account, pins);
  g_assert_true (relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, "test",
                                           relay_sandbox_server_get_password (sandbox), NULL, &error));
  g_assert_no_error (error);

  return account;
}

static void
enqueue (RelayAccount *account,
         const char   *subject)
{
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GBytes) body = g_bytes_new_static ("Hello\n", 6);
  g_autoptr(GError) error = NULL;
  const char *to[] = { "rcpt@example.org", NULL };
  g_autofree char *id = relay_outbox_enqueue (account, to, subject, body, log, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
}

static gboolean
received_one (gpointer data)
{
  return relay_sandbox_server_get_n_received (data) == 1;
}

static gboolean
waits_for_retry (gpointer data)
{
  gint64 next;

  return relay_outbox_count () == 1 && relay_outbox_count_due (g_get_real_time (), &next) == 0 &&
         next != G_MAXINT64;
}

static gboolean
retry_shown (gpointer data)
{
  return label_with (GTK_WIDGET (data), "1 message waits to be retried", "next attempt");
}

static gboolean
outbox_empty (gpointer data)
{
  return relay_outbox_count () == 0;
}

/* While the app runs, what is due in the outbox goes out without anyone
 * asking; a message put off until a retry goes when a person presses
 * Send Queued Messages. */
static void
test_send_queued (void)
{
  g_autoptr(RelaySandboxServer) first = relay_sandbox_server_new ();
  g_autoptr(RelaySandboxServer) second = relay_sandbox_server_new ();
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(RelayAccount) moved = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *button;
  GtkWindow *window;
  RelayLogPage *page;
  gint64 until;

  g_assert_true (relay_sandbox_server_start (first, 0, 0, &error));
  g_assert_no_error (error);
  account = sandbox_account (first, NULL);

  /* queued while the app was not looking: sent as soon as it is */
  enqueue (account, "due");
  page = show_page (&window);
  relay_log_page_set_account (page, account);
  wait_for (received_one, first);
  wait_for (outbox_empty, NULL);

  /* the server is gone: the message is put off until a retry */
  relay_sandbox_server_stop (first);
  enqueue (account, "put off");
  relay_log_page_set_account (page, account);
  wait_for (waits_for_retry, NULL);

  /* back on another port: nothing goes before the retry's time ... */
  g_assert_true (relay_sandbox_server_start (second, 0, 0, &error));
  g_assert_no_error (error);
  moved = sandbox_account (second, account);
  relay_log_page_set_account (page, moved);
  wait_for (retry_shown, page);
  until = g_get_monotonic_time () + G_USEC_PER_SEC;
  wait_for (time_passed, &until);
  g_assert_cmpuint (relay_sandbox_server_get_n_received (second), ==, 0);

  /* ... unless a person asks */
  button = find_button (GTK_WIDGET (page), "Send Queued Messages");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  wait_for (received_one, second);
  wait_for (outbox_empty, NULL);

  relay_sandbox_server_stop (second);
  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
  gtk_window_destroy (window);
}

/* The queued event of @subject among the page's rows, or NULL */
static RelaySendLogEntry *
queued_entry (RelayLogPage *page,
              const char   *subject)
{
  GListModel *model = relay_log_page_get_model (page);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(RelaySendLogEntry) entry = g_list_model_get_item (model, i - 1);

      if (relay_send_log_entry_get_status (entry) == RELAY_SEND_STATUS_QUEUED &&
          g_strcmp0 (relay_send_log_entry_get_subject (entry), subject) == 0)
        return g_steal_pointer (&entry);
    }

  return NULL;
}

static gboolean
held_shown (gpointer data)
{
  g_autoptr(RelaySendLogEntry) entry = queued_entry (data, "held");

  return entry != NULL;
}

/* The event window that is not @window, or NULL */
static GtkWidget *
event_window_besides (GtkWindow *window)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (l->data != (gpointer)window && ADW_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

static gboolean
is_outbox_group (GtkWidget     *widget,
                 gconstpointer  data)
{
  return ADW_IS_PREFERENCES_GROUP (widget) &&
         g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)), "Waiting in the Outbox") == 0;
}

/* Send Now and Cancel Message activate the event window's actions with the
 * message's Message-ID; what the outbox could not do is said in the window,
 * which stays open; without an account neither button is offered */
static void
test_event_actions (void)
{
  g_autoptr(RelaySandboxServer) sandbox = relay_sandbox_server_new ();
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GVariant) target = NULL;
  g_autoptr(GError) error = NULL;
  const char *message_id;
  const char *description;
  GtkWidget *event_window;
  GtkWidget *send;
  GtkWidget *cancel;
  GtkWidget *group;
  GtkWindow *window;
  RelayLogPage *page;

  g_assert_true (relay_sandbox_server_start (sandbox, 0, 0, &error));
  g_assert_no_error (error);
  account = sandbox_account (sandbox, NULL);
  /* the server is gone: the message waits for a retry */
  relay_sandbox_server_stop (sandbox);
  enqueue (account, "held");
  page = show_page (&window);
  relay_log_page_set_account (page, account);
  wait_for (waits_for_retry, NULL);
  wait_for (held_shown, page);
  entry = queued_entry (page, "held");
  message_id = relay_send_log_entry_get_message_id (entry);
  g_assert_true (relay_outbox_contains (message_id));

  relay_log_page_show_event (page, entry);
  event_window = event_window_besides (window);
  g_assert_nonnull (event_window);
  send = find_button (event_window, "Send Now");
  cancel = find_button (event_window, "Cancel Message");
  g_assert_nonnull (send);
  g_assert_nonnull (cancel);
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (send)), ==, "event-window.send-now");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (cancel)), ==, "event-window.cancel");
  target = g_variant_ref (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (send)));
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, message_id);
  g_clear_pointer (&target, g_variant_unref);
  target = g_variant_ref (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (cancel)));
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, message_id);

  /* taken out behind the window's back: Send Now says why it cannot */
  g_assert_true (relay_outbox_cancel (account, log, message_id, &error));
  g_assert_no_error (error);
  group = find_widget (event_window, is_outbox_group, NULL);
  g_assert_nonnull (group);
  description = adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group));
  g_assert_true (description == NULL || description[0] == '\0');
  g_signal_emit_by_name (send, "clicked");
  g_assert_true (event_window_besides (window) == event_window);
  g_assert_nonnull (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)));
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)), !=, "");
  gtk_window_destroy (GTK_WINDOW (event_window));

  /* without an account the window only tells */
  relay_log_page_set_account (page, NULL);
  relay_log_page_show_event (page, entry);
  event_window = event_window_besides (window);
  g_assert_nonnull (event_window);
  g_assert_nonnull (find_row (event_window, "Message-ID"));
  g_assert_null (find_button (event_window, "Send Now"));
  g_assert_null (find_button (event_window, "Cancel Message"));
  g_assert_null (find_widget (event_window, is_outbox_group, NULL));
  gtk_window_destroy (GTK_WINDOW (event_window));

  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
  close_page (window, page);
}

static gboolean
is_label_with_text (GtkWidget     *widget,
                    gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_str_equal (gtk_label_get_text (GTK_LABEL (widget)), text);
}

static gboolean
label_bound (gpointer data)
{
  return find_widget (data, is_label_with_text, "subject-b") != NULL;
}

static GtkWidget *
ancestor_row (GtkWidget *widget)
{
  while (widget != NULL && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget)) != GTK_ACCESSIBLE_ROLE_ROW)
    widget = gtk_widget_get_parent (widget);

  return widget;
}

static void
assert_label (GtkWidget  *widget,
              const char *expected)
{
  g_autofree char *problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                                 GTK_ACCESSIBLE_PROPERTY_LABEL, expected);

  g_assert_null (problem);
}

/* Written by another program, in UTC */
static void
write_lines (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "mail-relay", NULL);
  g_autofree char *path = g_build_filename (dir, "send-log.jsonl", NULL);
  const char *lines =
    "{\"time\":\"2026-03-12T09:41:05+00:00\",\"message_id\":\"<a@example.org>\",\"status\":\"failed\","
    "\"recipients\":[\"a@example.org\",\"b@example.org\"],\"subject\":\"subject-a\",\"attempt\":1,"
    "\"reply\":\"550 5.1.1 No such user\"}\n"
    "{\"time\":\"2026-03-12T09:42:00+00:00\",\"message_id\":\"<b@example.org>\",\"status\":\"sent\","
    "\"recipients\":[\"c@example.org\"],\"subject\":\"subject-b\",\"attempt\":1,"
    "\"reply\":\"\",\"next_attempt\":\"2027-01-02T03:04:05+00:00\"}\n";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents_full (path, lines, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
}

/* What a screen reader finds on the page: rows named by their whole
 * event, each cell by its text, the status filter by its choice, the
 * table one Tab stop with the arrows inside it; and the dates with the
 * year, the same in the list and in the event's window */
static void
test_accessible (void)
{
  GtkWindow *window;
  RelayLogPage *page;
  Count count;
  GtkWidget *table, *list, *label, *row, *export, *search, *status_button, *focus;
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(GList) toplevels = NULL;
  GtkWidget *event_window = NULL;
  GtkWidget *time_row, *next_row;

  write_lines ();
  page = show_page (&window);
  wait_for (showing_log, page);
  count = (Count) { page, 2 };
  wait_for (count_is, &count);
  table = find_type (GTK_WIDGET (page), GTK_TYPE_COLUMN_VIEW);
  list = find_type (table, GTK_TYPE_LIST_VIEW);
  wait_for (label_bound, list);

  g_assert_true (label_with (list, "2026-03-12 09:41:05", ""));
  label = find_widget (list, is_label_with_text, "subject-a");
  row = ancestor_row (label);
  g_assert_nonnull (row);
  assert_label (row, "Failed: “subject-a” to a@example.org, b@example.org, 2026-03-12 09:41:05");
  assert_label (gtk_widget_get_parent (label), "subject-a");
  assert_label (ancestor_row (find_widget (list, is_label_with_text, "subject-b")),
                "Sent: “subject-b” to c@example.org, 2026-03-12 09:42:00");

  assert_buttons_named_once (GTK_WIDGET (page));
  status_button = gtk_widget_get_first_child (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN));
  assert_label (status_button, "Status: All statuses");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN)), 4);
  assert_label (status_button, "Status: Failed");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN)), 0);
  count.expected = 2;
  wait_for (count_is, &count);
  wait_for (label_bound, list);

  /* into the table with Tab, out of it with the next Tab, either way */
  export = find_button (GTK_WIDGET (page), "Export…");
  search = find_type (GTK_WIDGET (page), GTK_TYPE_SEARCH_ENTRY);
  gtk_widget_grab_focus (export);
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD));
  g_assert_true (focus_is_in (table));
  focus = gtk_window_get_focus (window);
  /* the arrows move between the rows */
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_DOWN) ||
                 gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_UP));
  g_assert_true (focus_is_in (list));
  g_assert_true (gtk_window_get_focus (window) != focus);
  gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD);
  g_assert_false (focus_is_in (table));
  /* the window wraps round to the search entry */
  g_assert_true (focus_is_in (search));
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_BACKWARD));
  g_assert_true (focus_is_in (table));
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_BACKWARD));
  g_assert_true (focus_is_in (export));

  /* the event's own window: the same dates, rows that only say something
   * are no Tab stops */
  entry = g_list_model_get_item (relay_log_page_get_model (page), 1);
  relay_log_page_show_event (page, entry);
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (l->data != (gpointer)window && ADW_IS_WINDOW (l->data))
      event_window = l->data;
  g_assert_nonnull (event_window);
  time_row = find_row (event_window, "Time");
  next_row = find_row (event_window, "Next Attempt");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (time_row)), ==, "2026-03-12 09:42:00");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (next_row)), ==, "2027-01-02 03:04:05");
  g_assert_false (gtk_widget_get_focusable (time_row));
  g_assert_false (gtk_widget_get_focusable (find_row (event_window, "Subject")));
  gtk_window_destroy (GTK_WINDOW (event_window));

  gtk_window_destroy (window);
}

static gboolean
is_skipped_label (GtkWidget     *widget,
                  gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), "not shown.") != NULL;
}

/* no revealer is showing a banner about lines that are not events */
static gboolean
banner_hidden (gpointer data)
{
  GtkWidget *label = find_widget (GTK_WIDGET (data), is_skipped_label, NULL);
  GtkWidget *revealer = gtk_widget_get_ancestor (label, GTK_TYPE_REVEALER);

  return !gtk_revealer_get_reveal_child (GTK_REVEALER (revealer));
}

static gboolean
skipped_shown (gpointer data)
{
  return label_with (GTK_WIDGET (data), "2 lines of", "are not events");
}

static gboolean
only_skipped_shown (gpointer data)
{
  return label_with (GTK_WIDGET (data), "1 line of", "is not an event");
}

/* Lines that other tools wrote are events like the app's own; a line that
 * is not an event is not shown, and a banner says so */
static void
test_other_forms (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
  g_autoptr(RelaySendLogEntry) own = NULL;
  g_autoptr(RelaySendLogEntry) failed = NULL;
  g_autofree char *own_line = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  const char *recipients[] = { "rcpt@example.org", NULL };
  GtkDropDown *dropdown;
  GtkWindow *window;
  RelayLogPage *page;
  Count count;

  own = relay_send_log_entry_new (RELAY_SEND_STATUS_SENT, "<own@example.org>", recipients, "own", 1, "250 Ok");
  own_line = relay_send_log_entry_to_line (own);
  contents = g_strconcat (own_line, "\n",
                          /* Python's json.dumps */
                          "{\"status\": \"failed\", \"time\": \"2026-11-28T03:00:00.000+00:00\", "
                          "\"message_id\": \"<py@example.org>\", \"recipients\": [\"a@example.org\"], "
                          "\"subject\": \"from python\", \"attempt\": 1, \"reply\": \"550 5.1.1 No\"}\n",
                          "not JSON at all\n",
                          /* jq -c, keys sorted */
                          "{\"attempt\":1,\"message_id\":\"<jq@example.org>\",\"recipients\":[],\"reply\":\"250 Ok\","
                          "\"status\":\"sent\",\"subject\":\"from jq\",\"time\":\"2026-11-28T03:00:01Z\"}\n",
                          /* JSON, but not an event: no reply */
                          "{\"time\": \"2026-11-28T03:00:02Z\", \"message_id\": \"x\", \"status\": \"failed\", "
                          "\"recipients\": [], \"subject\": \"\", \"attempt\": 1}\n",
                          NULL);
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  {
    g_autofree char *dir = g_path_get_dirname (path);

    g_mkdir_with_parents (dir, 0700);
  }
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  page = show_page (&window);
  wait_for (showing_log, page);
  count = (Count) { page, 3 };
  wait_for (count_is, &count);
  wait_for (skipped_shown, page);
  g_assert_true (label_with (GTK_WIDGET (page), path, "are not shown"));

  /* the status filter reads any form: “Failed” is the fifth choice */
  dropdown = GTK_DROP_DOWN (find_type (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN));
  gtk_drop_down_set_selected (dropdown, 4);
  count.expected = 1;
  wait_for (count_is, &count);
  failed = g_list_model_get_item (relay_log_page_get_model (page), 0);
  g_assert_cmpint (relay_send_log_entry_get_status (failed), ==, RELAY_SEND_STATUS_FAILED);
  g_assert_cmpstr (relay_send_log_entry_get_subject (failed), ==, "from python");
  gtk_drop_down_set_selected (dropdown, 0);

  /* a file of nothing but a line that is not an event is not “No Messages Yet” */
  g_file_set_contents (path, "{\"status\": \"sent\"}\n", -1, &error);
  g_assert_no_error (error);
  relay_log_page_reload (page);
  wait_for (only_skipped_shown, page);
  g_assert_true (showing_log (page));
  count.expected = 0;
  wait_for (count_is, &count);

  /* and once the lines are events, the banner goes */
  g_file_set_contents (path, contents, strlen (own_line) + 1, &error);
  relay_log_page_reload (page);
  count.expected = 1;
  wait_for (count_is, &count);
  wait_for (banner_hidden, page);

  gtk_window_destroy (window);
}

/* A server that greets, takes the sender and refuses the recipient with
 * a reply made to retitle a terminal, clear it, forge a line with CR and
 * turn text around with U+202E; @quit_seen counts the sessions it ended */
static const char hostile_refusal[] =
  "550-5.1.1 \x1b[2J\x1b]0;owned\x07" "first\r\u2713 sent \u202etxt.exe\u200b\r\n"
  "550 5.1.1 no \x1b[31msuch\x1b[0m user\xc2\x9b" "2J\r\n";

static gboolean
hostile_server_run_cb (GThreadedSocketService *service,
                       GSocketConnection      *connection,
                       GObject                *source_object,
                       gpointer                data)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = NULL;
  const char *greeting = "220 hostile.invalid ESMTP \x1b[2J\u202eready\r\n";

  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  if (!g_output_stream_write_all (out, greeting, strlen (greeting), NULL, NULL, NULL))
    return TRUE;

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      const char *reply;

      if (line == NULL)
        break;
      if (g_ascii_strncasecmp (line, "EHLO", 4) == 0)
        reply = "250-hostile.invalid\r\n250 8BITMIME\r\n";
      else if (g_ascii_strncasecmp (line, "MAIL", 4) == 0 || g_ascii_strncasecmp (line, "RSET", 4) == 0)
        reply = "250 2.0.0 ok\r\n";
      else if (g_ascii_strncasecmp (line, "RCPT", 4) == 0)
        reply = hostile_refusal;
      else if (g_ascii_strncasecmp (line, "QUIT", 4) == 0)
        {
          g_output_stream_write_all (out, "221 bye\r\n", 9, NULL, NULL, NULL);
          break;
        }
      else
        reply = "502 5.5.2 not in this script\r\n";

      if (!g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL))
        break;
    }

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

/* A control character other than a line feed, or a format character */
static gboolean
has_hidden_character (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT))
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_label_with_hidden_character (GtkWidget     *widget,
                                gconstpointer  data)
{
  return GTK_IS_LABEL (widget) &&
         (has_hidden_character (gtk_label_get_text (GTK_LABEL (widget))) ||
          has_hidden_character (gtk_widget_get_tooltip_text (widget) ?: ""));
}

static void
assert_nothing_hidden_shown (GtkWidget *root)
{
  GtkWidget *hidden = find_widget (root, is_label_with_hidden_character, NULL);

  if (hidden != NULL)
    g_error ("a label shows a control or format character: “%s”",
             g_strescape (gtk_label_get_text (GTK_LABEL (hidden)), NULL));
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

static gboolean
refusal_logged (gpointer data)
{
  RelayLogPage *page = data;
  GListModel *model = relay_log_page_get_model (page);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(RelaySendLogEntry) entry = g_list_model_get_item (model, i);

      if (relay_send_log_entry_get_status (entry) == RELAY_SEND_STATUS_FAILED)
        return TRUE;
    }

  return FALSE;
}

static gboolean
refusal_bound (gpointer data)
{
  /* as the server sent it or not */
  return find_widget (data, is_label_containing, "owned") != NULL;
}

/* The reply a server sent when it refused a message, in the send log:
 * the rows, their tooltips, what a screen reader reads, the rows a search
 * finds and the event's own window show it with its control and format
 * characters replaced by U+FFFD, never raw */
static void
test_server_text_shown_safe (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(GList) toplevels = NULL;
  GSocketService *service;
  GtkWidget *event_window = NULL;
  GtkWidget *list;
  GtkWidget *reply_row;
  GtkWindow *window;
  RelayLogPage *page;
  Count count;
  guint port = 0;

  g_remove (path);
  service = loopback_service_start (G_CALLBACK (hostile_server_run_cb), NULL, &port);
  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, port);
  relay_account_set_security (account, RELAY_SECURITY_NONE);
  relay_account_set_from (account, "me@example.org");

  /* queued, then sent by the page itself, and refused */
  enqueue (account, "to be refused");
  page = show_page (&window);
  relay_log_page_set_account (page, account);
  wait_for (refusal_logged, page);
  wait_for (outbox_empty, NULL);

  list = find_type (find_type (GTK_WIDGET (page), GTK_TYPE_COLUMN_VIEW), GTK_TYPE_LIST_VIEW);
  wait_for (refusal_bound, list);
  assert_nothing_hidden_shown (GTK_WIDGET (page));
  /* one line in the list, the characters replaced */
  g_assert_nonnull (find_widget (list, is_label_containing,
                                 "550 5.1.1 \uFFFD[2J\uFFFD]0;owned\uFFFD" "first \u2713 sent \uFFFDtxt.exe\uFFFD "
                                 "550 5.1.1 no \uFFFD[31msuch\uFFFD[0m user\uFFFD" "2J"));

  /* the rows a search finds are shown the same way */
  gtk_editable_set_text (GTK_EDITABLE (find_type (GTK_WIDGET (page), GTK_TYPE_SEARCH_ENTRY)), "owned");
  count = (Count) { page, 1 };
  wait_for (count_is, &count);
  wait_for (refusal_bound, list);
  assert_nothing_hidden_shown (GTK_WIDGET (page));

  /* the event's window keeps the reply's two lines */
  entry = g_list_model_get_item (relay_log_page_get_model (page), 0);
  g_assert_cmpint (relay_send_log_entry_get_status (entry), ==, RELAY_SEND_STATUS_FAILED);
  /* the log keeps what the server sent */
  g_assert_nonnull (strstr (relay_send_log_entry_get_reply (entry), "\x1b[2J"));
  relay_log_page_show_event (page, entry);
  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (l->data != (gpointer)window && ADW_IS_WINDOW (l->data))
      event_window = l->data;
  g_assert_nonnull (event_window);
  assert_nothing_hidden_shown (event_window);
  reply_row = find_row (event_window, "Server Reply");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (reply_row)), ==,
                   "550 5.1.1 \uFFFD[2J\uFFFD]0;owned\uFFFD" "first \u2713 sent \uFFFDtxt.exe\uFFFD\n"
                   "550 5.1.1 no \uFFFD[31msuch\uFFFD[0m user\uFFFD" "2J");
  gtk_window_destroy (GTK_WINDOW (event_window));

  close_page (window, page);
  loopback_service_stop (&service);
}

int
main (int   argc,
      char *argv[])
{
  /* the dates read back below are in UTC */
  g_setenv ("TZ", "UTC", TRUE);
  widget_test_init (&argc, &argv);

  g_test_add_func ("/log-page/empty", test_empty);
  g_test_add_func ("/log-page/filters", test_filters);
  g_test_add_func ("/log-page/live", test_live);
  g_test_add_func ("/log-page/send-queued", test_send_queued);
  g_test_add_func ("/log-page/event-actions", test_event_actions);
  g_test_add_func ("/log-page/accessible", test_accessible);
  g_test_add_func ("/log-page/other-forms", test_other_forms);
  g_test_add_func ("/log-page/server-text-shown-safe", test_server_text_shown_safe);
  g_test_add_func ("/log-page/released-on-main-thread", test_released_on_main_thread);
  g_test_add_func ("/log-page/export-safe", test_export_safe);

  return g_test_run ();
}
