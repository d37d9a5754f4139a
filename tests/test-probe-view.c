/* test-probe-view.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The “Test Connection” dialog under Xvfb, against a scripted SMTP server
 * that the test runs on 127.0.0.1.
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "relay-diagnosis.h"
#include "relay-format.h"
#include "relay-probe-view.h"
#include "relay-sandbox-server.h"
#include "test-helpers.h"
#include "widget-helpers.h"

/* What the scripted server answers to EHLO (and HELO); NULL: it never
 * says a word and only waits for the client to leave. Its greeting, or
 * NULL for a plain one. */
typedef struct
{
  GSocketService *service;
  guint           port;
  const char     *greeting;
  const char     *hello_reply;
  int             n_closed;    /* connections the client ended, atomic */
} Server;

static gboolean
server_run_cb (GThreadedSocketService *service,
               GSocketConnection      *connection,
               GObject                *source_object,
               Server                 *server)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = NULL;
  const char *greeting = server->greeting ? server->greeting : "220 test.invalid ESMTP scripted\r\n";

  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  if (server->hello_reply == NULL)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);

      g_atomic_int_inc (&server->n_closed);
      return TRUE;
    }

  if (!g_output_stream_write_all (out, greeting, strlen (greeting), NULL, NULL, NULL))
    return TRUE;

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      g_autofree char *reply = NULL;
      gboolean quit = FALSE;

      if (line == NULL)
        break;

      if (g_ascii_strncasecmp (line, "EHLO", 4) == 0 || g_ascii_strncasecmp (line, "HELO", 4) == 0)
        reply = g_strdup_printf ("%s\r\n", server->hello_reply);
      else if (g_ascii_strncasecmp (line, "QUIT", 4) == 0)
        {
          reply = g_strdup ("221 2.0.0 bye\r\n");
          quit = TRUE;
        }
      else
        reply = g_strdup ("502 5.5.2 not in this script\r\n");

      if (!g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL) || quit)
        break;
    }

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
server_start (Server     *server,
              const char *hello_reply)
{
  server->hello_reply = hello_reply;
  server->service = loopback_service_start (G_CALLBACK (server_run_cb), server, &server->port);
}

static void
server_stop (Server *server)
{
  if (server->service != NULL)
    loopback_service_stop (&server->service);
}

typedef struct
{
  Server          server;
  RelayProbeView *view;
} Fixture;

static void
wait_until_finished (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (relay_probe_view_get_running (fixture->view) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (relay_probe_view_get_running (fixture->view));
}

static void
start_view_as (Fixture    *fixture,
               const char *hello_reply,
               const char *username)
{
  g_autoptr(RelayAccount) account = relay_account_new ();

  server_start (&fixture->server, hello_reply);

  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, fixture->server.port);
  relay_account_set_security (account, RELAY_SECURITY_NONE);
  relay_account_set_from (account, "a@example.org");
  relay_account_set_username (account, username);

  fixture->view = relay_probe_view_new (NULL, account, NULL, NULL);
  g_assert_true (RELAY_IS_PROBE_VIEW (fixture->view));
  gtk_window_present (GTK_WINDOW (fixture->view));
}

static void
start_view (Fixture    *fixture,
            const char *hello_reply)
{
  start_view_as (fixture, hello_reply, "");
}

static void
open_view (Fixture    *fixture,
           const char *hello_reply)
{
  start_view (fixture, hello_reply);
  wait_until_finished (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->view != NULL)
    {
      RelayProbeView *view = g_object_ref (fixture->view);

      gtk_window_destroy (GTK_WINDOW (view));
      g_assert_finalize_object (view);
    }
  server_stop (&fixture->server);
}

/* Depth first, in the order the widgets are shown */
static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget) &&
         gtk_widget_get_visible (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_label_showing (GtkWidget     *widget,
                  gconstpointer  text)
{
  return GTK_IS_LABEL (widget) &&
         gtk_widget_is_drawable (widget) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
is_icon_named (GtkWidget     *widget,
               gconstpointer  name)
{
  return GTK_IS_IMAGE (widget) &&
         g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (widget)), name) == 0;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_button_with_icon (GtkWidget     *widget,
                     gconstpointer  name)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), name) == 0;
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

static GtkWidget *
row (Fixture    *fixture,
     const char *title)
{
  GtkWidget *found = find_widget (GTK_WIDGET (fixture->view), is_row_titled, title);

  if (found == NULL)
    g_error ("no row titled “%s”", title);

  return found;
}

static void
assert_step_passed (Fixture    *fixture,
                    const char *title)
{
  GtkWidget *step = row (fixture, title);
  GtkWidget *icon = find_widget (step, is_icon_named, "emblem-ok-symbolic");

  g_assert_nonnull (icon);
  g_assert_true (gtk_widget_has_css_class (icon, "success"));
  g_assert_null (find_widget (step, is_icon_named, "dialog-error-symbolic"));
  g_assert_nonnull (find_widget (step, is_label_containing, " ms"));
}

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*text);
}

static char *
copy_transcript (Fixture *fixture)
{
  GtkWidget *button = find_widget (GTK_WIDGET (fixture->view), is_button_with_icon,
                                   "edit-copy-symbolic");
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->view));
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  char *text = NULL;

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");

  gdk_clipboard_read_text_async (clipboard, NULL, read_text_cb, &text);
  while (text == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  return text;
}

static void
test_server_works (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *steps[] = {
    "Look up the server", "Connect", "Server greeting", "Say hello (EHLO)", "Say goodbye",
  };
  g_autofree char *transcript = NULL;

  open_view (fixture, "250 test.invalid");

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    assert_step_passed (fixture, steps[i]);
  /* nothing was asked beyond the greeting */
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_row_titled, "Sign in"));
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_row_titled, "Send the test message"));
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_icon_named, "dialog-error-symbolic"));

  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "The server works"));
  /* Test Again, Copy Transcript: each named once, for a screen reader */
  assert_buttons_named_once (GTK_WIDGET (fixture->view));
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "Server reply"));
  /* no TLS, so no certificate */
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "Certificate"));

  transcript = copy_transcript (fixture);
  g_assert_nonnull (transcript);
  g_assert_nonnull (strstr (transcript, "S: 220"));
  g_assert_nonnull (strstr (transcript, "\nC: EHLO"));
  g_assert_nonnull (strstr (transcript, "S: 221"));
}

/* A user name and no password, against a server that offers AUTH: the
 * test cannot sign in, so it must not say that the server works */
static void
test_sign_in_not_tested (Fixture       *fixture,
                         gconstpointer  data)
{
  GtkWidget *sign_in;
  GtkWidget *icon;

  start_view_as (fixture, "250-test.invalid\r\n250 AUTH PLAIN LOGIN", "me@example.org");
  relay_probe_view_set_sign_in_note (fixture->view, "Type the password for the new server, then test again.");
  wait_until_finished (fixture);

  assert_step_passed (fixture, "Say hello (EHLO)");
  sign_in = row (fixture, "Sign in");
  icon = find_widget (sign_in, is_icon_named, "dialog-warning-symbolic");
  g_assert_nonnull (icon);
  g_assert_true (gtk_widget_has_css_class (icon, "warning"));
  g_assert_null (find_widget (sign_in, is_icon_named, "emblem-ok-symbolic"));

  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "The server works"));
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "Sign-in was not tested"));
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->view), is_label_showing,
                                 "Type the password for the new server, then test again."));
}

static void
test_server_refuses (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(RelayDiagnosis) expected = relay_diagnose_reply ("ehlo", 554, "5.7.1", "go away");
  GtkWidget *reply;
  GtkWidget *ehlo;
  GtkWidget *icon;

  open_view (fixture, "554 5.7.1 go away");

  assert_step_passed (fixture, "Server greeting");
  ehlo = row (fixture, "Say hello (EHLO)");
  icon = find_widget (ehlo, is_icon_named, "dialog-error-symbolic");
  g_assert_nonnull (icon);
  g_assert_true (gtk_widget_has_css_class (icon, "error"));
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "The server works"));

  /* the probe's own diagnosis, shown as it is */
  g_assert_nonnull (strstr (expected->message, "5.7.1"));
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->view), is_label_showing, expected->message));
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->view), is_label_showing, expected->hint));

  reply = row (fixture, "Server reply");
  g_assert_nonnull (find_widget (reply, is_label_containing, "554"));
}

/* A control character other than a line feed, or a format character
 * (the bidirectional overrides and isolates, the zero-width ones) */
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
  return GTK_IS_LABEL (widget) && has_hidden_character (gtk_label_get_text (GTK_LABEL (widget)));
}

/* A greeting and a refusal that would retitle a terminal, clear it, go
 * back to the line's start to forge a result, and turn text around with a
 * right-to-left override: the dialog shows them without those characters,
 * each replaced by U+FFFD, in the steps, the reply, the diagnosis and the
 * copied transcript */
static void
test_server_text_shown_safe (Fixture       *fixture,
                             gconstpointer  data)
{
  GtkWidget *hidden;
  GtkWidget *reply;
  GtkWidget *greeting;
  g_autofree char *transcript = NULL;

  fixture->server.greeting = "220 test.invalid \x1b]0;owned\x07" "ESMTP\x1b[2J\r\u2713 auth ok "
                             "\u202etxt.exe\u200b \xc2\x9b" "2J\r\n";
  open_view (fixture, "554 5.7.1 \x1b[31mgo\x1b[0m away\r\u2713 \u202eevil\u200b");

  hidden = find_widget (GTK_WIDGET (fixture->view), is_label_with_hidden_character, NULL);
  if (hidden != NULL)
    g_error ("a label shows a control or format character: “%s”",
             g_strescape (gtk_label_get_text (GTK_LABEL (hidden)), NULL));

  /* shown all the same, with the replacement character */
  greeting = row (fixture, "Server greeting");
  g_assert_nonnull (find_widget (greeting, is_label_containing, "\uFFFD]0;owned\uFFFDESMTP\uFFFD[2J \u2713 auth ok "
                                                                  "\uFFFDtxt.exe\uFFFD \uFFFD2J"));
  reply = row (fixture, "Server reply");
  g_assert_nonnull (find_widget (reply, is_label_containing, "554 5.7.1 \uFFFD[31mgo\uFFFD[0m away \u2713 "
                                                               "\uFFFDevil\uFFFD"));

  transcript = copy_transcript (fixture);
  g_assert_nonnull (transcript);
  g_assert_nonnull (strstr (transcript, "S: 220 test.invalid \uFFFD]0;owned"));
  g_assert_nonnull (strstr (transcript, "\nC: EHLO"));
  g_assert_false (has_hidden_character (transcript));
}

static void
wait_for_row (Fixture    *fixture,
              const char *title)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (find_widget (GTK_WIDGET (fixture->view), is_row_titled, title) == NULL &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  row (fixture, title);
}

/* A server of its own thread, which needs no main loop to accept: it
 * greets, answers EHLO and QUIT, and counts the QUITs */
typedef struct
{
  GSocket *listener;
  int      n_quit;  /* atomic */
} ThreadServer;

static gpointer
thread_server_run (gpointer data)
{
  ThreadServer *server = data;
  g_autoptr(GSocket) socket = g_socket_accept (server->listener, NULL, NULL);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  GOutputStream *out;

  g_assert_nonnull (socket);
  connection = g_socket_connection_factory_create_connection (socket);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  g_output_stream_write_all (out, "220 test.invalid ESMTP\r\n", 24, NULL, NULL, NULL);
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);

      if (line == NULL)
        break;
      if (g_ascii_strncasecmp (line, "QUIT", 4) == 0)
        {
          g_atomic_int_inc (&server->n_quit);
          g_output_stream_write_all (out, "221 bye\r\n", 9, NULL, NULL, NULL);
          break;
        }
      g_output_stream_write_all (out, "250 test.invalid\r\n", 18, NULL, NULL, NULL);
    }

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return NULL;
}

/* The probe runs in a worker thread; the view hears of its steps on its
 * own thread only. While this thread stays out of the main loop the test
 * runs to its end on the server, and no step has reached the view yet;
 * they all come once the loop runs. (Run by the worker thread, GTK built
 * the rows there while the window was shown here: a SIGSEGV inside GTK,
 * in about one run of the setup-page test in 25.) */
static void
test_steps_on_own_thread (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *steps[] = {
    "Look up the server", "Connect", "Server greeting", "Say hello (EHLO)", "Say goodbye",
  };
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GError) error = NULL;
  ThreadServer server = { 0 };
  GThread *thread;
  gint64 deadline;

  server.listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (server.listener, address, TRUE, &error));
  g_assert_true (g_socket_listen (server.listener, &error));
  bound = g_socket_get_local_address (server.listener, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("server", thread_server_run, &server);

  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  relay_account_set_security (account, RELAY_SECURITY_NONE);
  relay_account_set_from (account, "a@example.org");
  fixture->view = relay_probe_view_new (NULL, account, NULL, NULL);
  gtk_window_present (GTK_WINDOW (fixture->view));

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&server.n_quit) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (G_USEC_PER_SEC / 100);
  g_assert_cmpint (g_atomic_int_get (&server.n_quit), ==, 1);
  g_thread_join (thread);
  /* the worker reads the server's goodbye and ends */
  g_usleep (G_USEC_PER_SEC / 5);

  g_assert_true (relay_probe_view_get_running (fixture->view));
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_row_titled, steps[i]));

  wait_until_finished (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    assert_step_passed (fixture, steps[i]);
  g_socket_close (server.listener, NULL);
  g_object_unref (server.listener);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *cancel;
  GtkWidget *again;

  start_view (fixture, NULL);
  wait_for_row (fixture, "Server greeting");
  g_assert_true (relay_probe_view_get_running (fixture->view));

  cancel = find_widget (GTK_WIDGET (fixture->view), is_button_labelled, "_Cancel");
  again = find_widget (GTK_WIDGET (fixture->view), is_button_labelled, "_Test Again");
  g_assert_nonnull (cancel);
  g_assert_nonnull (again);
  g_assert_true (gtk_widget_get_visible (cancel));
  g_assert_false (gtk_widget_get_visible (again));

  g_signal_emit_by_name (cancel, "clicked");
  wait_until_finished (fixture);

  g_assert_false (gtk_widget_get_visible (cancel));
  g_assert_true (gtk_widget_get_visible (again));
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->view), is_label_showing,
                                 "The test was cancelled"));
  g_assert_null (find_widget (GTK_WIDGET (fixture->view), is_label_showing, "The server works"));
}

static void
test_close_while_running (Fixture       *fixture,
                          gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  RelayProbeView *view;

  start_view (fixture, NULL);
  wait_for_row (fixture, "Server greeting");

  /* gone at once, though the probe is still waiting for the greeting */
  view = g_steal_pointer (&fixture->view);
  g_object_ref (view);
  gtk_window_destroy (GTK_WINDOW (view));
  g_assert_finalize_object (view);

  /* and the probe hung up well before its 20 s timeout */
  while (g_atomic_int_get (&fixture->server.n_closed) == 0 && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (G_USEC_PER_SEC / 100);
    }
  g_assert_cmpint (g_atomic_int_get (&fixture->server.n_closed), ==, 1);
}

#define OLD_PIN "abababababababababababababababababababababababababababababababab"

static void
trusted_cb (RelayProbeView *view,
            const char     *sha256,
            char          **trusted)
{
  g_assert_null (*trusted);
  *trusted = g_strdup (sha256);
}

static gboolean
is_visible_label_containing (GtkWidget     *widget,
                             gconstpointer  needle)
{
  return is_label_containing (widget, needle) && gtk_widget_is_drawable (widget);
}

static const char *
row_subtitle (Fixture    *fixture,
              const char *title)
{
  GtkWidget *found = find_row (GTK_WIDGET (fixture->view), title);

  g_assert_true (ADW_IS_ACTION_ROW (found));
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (found));
}

/* The server's certificate is not the one pinned for its host and port
 * (renewed, or an impostor): refused, both fingerprints shown, and the
 * new one offered in place of the old, saved only when chosen */
static void
test_certificate_changed (void)
{
  g_autoptr(RelaySandboxServer) sandbox = relay_sandbox_server_new ();
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *trusted = NULL;
  g_autofree char *where = NULL;
  const char *pins[] = { OLD_PIN, NULL };
  const char *sha256;
  Fixture fixture = { 0 };
  AdwMessageDialog *dialog;
  GtkWidget *button;

  g_assert_true (relay_sandbox_server_start (sandbox, 0, 0, &error));
  g_assert_no_error (error);
  sha256 = relay_sandbox_server_get_certificate_sha256 (sandbox);

  relay_account_set_provider (account, "custom");
  relay_account_set_host (account, "127.0.0.1");
  relay_account_set_port (account, relay_sandbox_server_get_starttls_port (sandbox));
  relay_account_set_security (account, RELAY_SECURITY_STARTTLS);
  relay_account_set_from (account, "a@example.org");
  relay_account_set_pins (account, pins);
  where = g_strdup_printf ("for 127.0.0.1, port %u", relay_sandbox_server_get_starttls_port (sandbox));

  fixture.view = relay_probe_view_new (NULL, account, NULL, NULL);
  g_signal_connect (fixture.view, "trust-certificate", G_CALLBACK (trusted_cb), &trusted);
  gtk_window_present (GTK_WINDOW (fixture.view));
  wait_until_finished (&fixture);

  /* refused at the TLS step, though nothing else is wrong with it */
  g_assert_nonnull (find_widget (row (&fixture, "Encrypt (TLS)"), is_icon_named, "dialog-error-symbolic"));
  g_assert_null (find_widget (GTK_WIDGET (fixture.view), is_label_showing, "The server works"));
  g_assert_null (find_widget (GTK_WIDGET (fixture.view), is_row_titled, "Sign in"));

  /* the diagnosis says it changed, with both fingerprints */
  {
    GtkWidget *title = find_widget (GTK_WIDGET (fixture.view), is_visible_label_containing,
                                    "certificate has changed");
    const char *text;

    g_assert_nonnull (title);
    text = gtk_label_get_text (GTK_LABEL (title));
    g_assert_nonnull (strstr (text, OLD_PIN));
    g_assert_nonnull (strstr (text, sha256));
    g_assert_nonnull (strstr (text, where));
    g_assert_nonnull (strstr (text, "Issued to:"));
    g_assert_nonnull (strstr (text, "Valid until:"));
  }
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture.view), is_visible_label_containing,
                                 "This is not the certificate you trusted"));

  /* what the certificate says of itself: whom it is for, who issued it, when */
  {
    GTlsCertificate *certificate = relay_sandbox_server_get_certificate (sandbox);
    g_autofree char *subject = g_tls_certificate_get_subject_name (certificate);
    g_autofree char *issuer = g_tls_certificate_get_issuer_name (certificate);
    g_autoptr(GDateTime) before = g_tls_certificate_get_not_valid_before (certificate);
    g_autoptr(GDateTime) after = g_tls_certificate_get_not_valid_after (certificate);
    g_autofree char *not_before = relay_format_date (before);
    g_autofree char *not_after = relay_format_date (after);
    g_autofree char *valid = g_strdup_printf ("%s – %s", not_before, not_after);

    g_assert_nonnull (subject);
    g_assert_cmpstr (row_subtitle (&fixture, "Subject"), ==, subject);
    g_assert_cmpstr (row_subtitle (&fixture, "Issuer"), ==, issuer);
    g_assert_cmpstr (row_subtitle (&fixture, "Valid"), ==, valid);
  }

  /* one clearly labelled button offers the new certificate, named once
   * for a screen reader; nothing is trusted until it is used */
  button = find_button (GTK_WIDGET (fixture.view), "Trust the New Certificate");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_null (find_button (GTK_WIDGET (fixture.view), "Trust This Certificate"));
  assert_buttons_named_once (GTK_WIDGET (fixture.view));
  g_assert_null (trusted);

  /* Cancel changes nothing */
  g_signal_emit_by_name (button, "clicked");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Trust the New Certificate?");
  /* “Trust”, not “_Trust Trust” */
  assert_buttons_named_once (GTK_WIDGET (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), sha256));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), where));
  adw_message_dialog_response (dialog, "cancel");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (trusted);
  g_assert_false (relay_probe_view_get_running (fixture.view));

  /* Trust: the new fingerprint, in place of the old, and the test again */
  g_signal_emit_by_name (button, "clicked");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "trust");
  g_assert_cmpstr (trusted, ==, sha256);
  wait_until_finished (&fixture);

  g_assert_nonnull (find_widget (GTK_WIDGET (fixture.view), is_label_showing, "The server works"));
  assert_step_passed (&fixture, "Encrypt (TLS)");
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture.view), is_visible_label_containing,
                                 "only this certificate is accepted"));
  g_assert_false (gtk_widget_get_visible (button));

  g_object_ref (fixture.view);
  gtk_window_destroy (GTK_WINDOW (fixture.view));
  g_assert_finalize_object (fixture.view);
  relay_sandbox_server_stop (sandbox);
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  g_test_add ("/probe-view/server-works", Fixture, NULL, NULL, test_server_works, fixture_tear_down);
  g_test_add ("/probe-view/sign-in-not-tested", Fixture, NULL, NULL, test_sign_in_not_tested,
              fixture_tear_down);
  g_test_add ("/probe-view/server-refuses", Fixture, NULL, NULL, test_server_refuses, fixture_tear_down);
  g_test_add ("/probe-view/server-text-shown-safe", Fixture, NULL, NULL, test_server_text_shown_safe,
              fixture_tear_down);
  g_test_add ("/probe-view/steps-on-own-thread", Fixture, NULL, NULL, test_steps_on_own_thread,
              fixture_tear_down);
  g_test_add ("/probe-view/cancel", Fixture, NULL, NULL, test_cancel, fixture_tear_down);
  g_test_add ("/probe-view/close-while-running", Fixture, NULL, NULL, test_close_while_running,
              fixture_tear_down);
  g_test_add_func ("/probe-view/certificate-changed", test_certificate_changed);

  return g_test_run ();
}
