/* test-sandbox-server.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "relay-sandbox-server.h"
#include "relay-smtp-error.h"
#include "relay-smtp-session.h"

/* The server lives on the main context; the client blocks, so it runs in
 * a GTask thread while the test iterates the main context. */

#define MESSAGE                                   \
  "From: Sender <sender@example.org>\r\n"         \
  "To: rcpt1@example.org, rcpt2@example.net\r\n"  \
  "Subject: Sandbox\r\n"                          \
  "\r\n"                                          \
  ".leading dot\r\n"                              \
  "..two dots\r\n"                                \
  ".\r\n"                                         \
  "a line. with a dot\r\n"                        \
  "\r\n"                                          \
  "end\r\n"

/* a step that must succeed; its error is shown when it does not */
#define OK(call)                  \
  G_STMT_START {                  \
    gboolean ok_ = (call);        \
    g_assert_no_error (error);    \
    g_assert_true (ok_);          \
  } G_STMT_END

typedef struct
{
  char   *from;
  GStrv   recipients;
  GBytes *message;
} Received;

typedef struct
{
  RelaySandboxServer *server;
  GPtrArray          *received;
  GThread            *main_thread;

  /* copies for the client threads */
  guint               starttls_port;
  guint               tls_port;
  char               *password;
  char               *sha256;
} Fixture;

/* How long a client waits for any one step: generous for a loaded
 * machine (flatpak-builder runs the tests while it compiles, and the
 * sanitizer build is several times slower); a server that does not
 * answer still fails the test. */
#define CLIENT_TIMEOUT 30

/* loopback only: no proxy, which would also need the GNOME proxy schema */
static GSocketClient *
socket_client_new (void)
{
  GSocketClient *client = g_socket_client_new ();

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, CLIENT_TIMEOUT);
  return client;
}

static void
received_free (Received *received)
{
  g_free (received->from);
  g_strfreev (received->recipients);
  g_bytes_unref (received->message);
  g_free (received);
}

static void
message_received_cb (RelaySandboxServer *server,
                     const char         *from,
                     const char * const *recipients,
                     GBytes             *message,
                     Fixture            *f)
{
  Received *received = g_new0 (Received, 1);

  /* on the main context of the thread that started the server */
  g_assert_true (g_thread_self () == f->main_thread);

  received->from = g_strdup (from);
  received->recipients = g_strdupv ((char **)recipients);
  received->message = g_bytes_ref (message);
  g_ptr_array_add (f->received, received);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->main_thread = g_thread_self ();
  f->received = g_ptr_array_new_with_free_func ((GDestroyNotify)received_free);
  f->server = relay_sandbox_server_new ();
  g_signal_connect (f->server, "message-received", G_CALLBACK (message_received_cb), f);

  g_assert_true (relay_sandbox_server_start (f->server, 0, 0, &error));
  g_assert_no_error (error);

  f->starttls_port = relay_sandbox_server_get_starttls_port (f->server);
  f->tls_port = relay_sandbox_server_get_tls_port (f->server);
  f->password = g_strdup (relay_sandbox_server_get_password (f->server));
  f->sha256 = g_strdup (relay_sandbox_server_get_certificate_sha256 (f->server));
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  relay_sandbox_server_stop (f->server);
  g_assert_finalize_object (f->server);

  /* let the closing connections finish */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  g_clear_pointer (&f->received, g_ptr_array_unref);
  memset (f->password, 0, strlen (f->password));
  g_clear_pointer (&f->password, g_free);
  g_clear_pointer (&f->sha256, g_free);
}

/* Runs @func in a thread, iterating the main context until it is done */
static gpointer
run_in_thread (Fixture         *f,
               GTaskThreadFunc  func,
               gpointer         data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  gpointer result;

  g_task_set_task_data (task, data, NULL);
  g_task_run_in_thread (task, func);

  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);

  result = g_task_propagate_pointer (task, &error);
  g_assert_no_error (error);

  return result;
}

static RelaySmtpSession *
client_new (Fixture       *f,
            RelaySecurity  security,
            gboolean       pin)
{
  guint port = security == RELAY_SECURITY_TLS ? f->tls_port : f->starttls_port;
  RelaySmtpSession *session = relay_smtp_session_new ("127.0.0.1", port, security);
  const char *pins[] = { f->sha256, NULL };

  relay_smtp_session_set_timeout (session, CLIENT_TIMEOUT);
  if (pin)
    relay_smtp_session_set_pins (session, pins);

  return session;
}

/* Connects and reaches an encrypted, greeted session */
static RelaySmtpSession *
client_open (Fixture       *f,
             RelaySecurity  security)
{
  g_autoptr(RelaySmtpSession) session = client_new (f, security, TRUE);
  g_autoptr(GError) error = NULL;

  OK (relay_smtp_session_resolve (session, NULL, &error));
  OK (relay_smtp_session_connect (session, NULL, &error));

  if (security == RELAY_SECURITY_TLS)
    {
      OK (relay_smtp_session_handshake (session, NULL, &error));
      g_assert_no_error (error);
      relay_smtp_session_read_greeting (session, NULL, &error);
      g_assert_no_error (error);
    }
  else
    {
      OK (relay_smtp_session_read_greeting (session, NULL, &error));
      OK (relay_smtp_session_ehlo (session, NULL, &error));
      OK (relay_smtp_session_starttls (session, NULL, &error));
      OK (relay_smtp_session_handshake (session, NULL, &error));
      g_assert_no_error (error);
    }

  OK (relay_smtp_session_ehlo (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (relay_smtp_session_is_encrypted (session));
  g_assert_true (relay_smtp_session_get_pinned (session));
  g_assert_cmpstr (relay_smtp_session_get_peer_sha256 (session), ==, f->sha256);

  return g_steal_pointer (&session);
}

static void
assert_reply (RelaySmtpSession *session,
              GError           *error,
              guint             code,
              const char       *enhanced,
              const char       *text)
{
  const RelaySmtpReply *reply = relay_smtp_session_get_last_reply (session);

  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY);
  g_assert_nonnull (reply);
  g_assert_cmpuint (reply->code, ==, code);
  g_assert_cmpstr (reply->enhanced, ==, enhanced);
  g_assert_nonnull (strstr (relay_smtp_reply_get_text (reply), text));
}

static void
assert_received (Fixture            *f,
                 guint               index,
                 const char         *from,
                 const char * const *recipients,
                 const char         *message)
{
  Received *received;

  g_assert_cmpuint (f->received->len, >, index);
  received = g_ptr_array_index (f->received, index);
  g_assert_cmpstr (received->from, ==, from);
  g_assert_cmpstrv (received->recipients, recipients);
  g_assert_cmpmem (g_bytes_get_data (received->message, NULL), g_bytes_get_size (received->message),
                   message, strlen (message));
}

static void
test_basics (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(RelaySandboxServer) other = relay_sandbox_server_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GDateTime) not_before = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GPtrArray) dns_names = NULL;
  g_autoptr(GPtrArray) ip_addresses = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *sha256 = NULL;
  const char *password = relay_sandbox_server_get_password (f->server);
  GTimeSpan before, validity;

  g_assert_true (relay_sandbox_server_is_running (f->server));
  g_assert_cmpuint (f->starttls_port, >, 0);
  g_assert_cmpuint (f->tls_port, >, 0);
  g_assert_cmpuint (f->starttls_port, !=, f->tls_port);
  g_assert_cmpstr (relay_sandbox_server_get_username (f->server), ==, "sandbox");
  g_assert_cmpuint (relay_sandbox_server_get_n_received (f->server), ==, 0);

  /* never printed: checked without g_assert_cmpstr */
  g_assert_true (strlen (password) == 24);
  g_assert_true (strspn (password, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 24);
  g_assert_true (strcmp (password, relay_sandbox_server_get_password (other)) != 0);
  g_assert_null (relay_sandbox_server_get_certificate (other));

  certificate = g_object_ref (relay_sandbox_server_get_certificate (f->server));
  g_assert_true (G_IS_TLS_CERTIFICATE (certificate));
  sha256 = relay_certificate_sha256 (certificate);
  g_assert_cmpstr (f->sha256, ==, sha256);
  g_assert_cmpuint (strlen (f->sha256), ==, 64);
  g_assert_cmpuint (strspn (f->sha256, "0123456789abcdef"), ==, 64);

  g_object_get (certificate,
                "subject-name", &subject,
                "issuer-name", &issuer,
                "not-valid-before", &not_before,
                "not-valid-after", &not_after,
                "dns-names", &dns_names,
                "ip-addresses", &ip_addresses,
                NULL);
  g_assert_nonnull (strstr (subject, "CN=Mail Relay local test server"));
  g_assert_cmpstr (subject, ==, issuer);

  before = g_date_time_difference (now, not_before);
  g_assert_cmpint (before, >=, 3590 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (before, <=, 3700 * G_TIME_SPAN_SECOND);
  validity = g_date_time_difference (not_after, not_before);
  g_assert_cmpint (validity, ==, 365 * G_TIME_SPAN_DAY);

  g_assert_nonnull (dns_names);
  g_assert_cmpuint (dns_names->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (dns_names, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (dns_names, 0)),
                   "localhost", strlen ("localhost"));
  g_assert_nonnull (ip_addresses);
  g_assert_cmpuint (ip_addresses->len, ==, 1);
  {
    g_autofree char *ip = g_inet_address_to_string (g_ptr_array_index (ip_addresses, 0));

    g_assert_cmpstr (ip, ==, "127.0.0.1");
  }
}

static void
loopback_only_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(GSocketClient) client = socket_client_new ();
  g_autoptr(GSocketConnection) ok = NULL;
  g_autoptr(GSocketConnection) other = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_client_set_timeout (client, 5);

  ok = g_socket_client_connect_to_host (client, "127.0.0.1", f->starttls_port, NULL, &error);
  g_assert_no_error (error);

  /* the whole of 127.0.0.0/8 is local on Linux; only 127.0.0.1 listens */
  other = g_socket_client_connect_to_host (client, "127.0.0.2", f->starttls_port, NULL, &error);
  g_assert_null (other);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_loopback_only (Fixture       *f,
                    gconstpointer  data)
{
  run_in_thread (f, loopback_only_thread, f);
}

static void
starttls_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_new (f, RELAY_SECURITY_STARTTLS, TRUE);
  g_autoptr(GBytes) message = g_bytes_new_static (MESSAGE, strlen (MESSAGE));
  g_autoptr(GPtrArray) accepted = NULL;
  g_autoptr(GError) error = NULL;
  const char *recipients[] = { "rcpt1@example.org", "rcpt2@example.net", NULL };

  OK (relay_smtp_session_resolve (session, NULL, &error));
  OK (relay_smtp_session_connect (session, NULL, &error));
  OK (relay_smtp_session_read_greeting (session, NULL, &error));
  g_assert_cmpstr (relay_smtp_session_get_greeting (session), ==,
                   "localhost Mail Relay local test server ESMTP");

  OK (relay_smtp_session_ehlo (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (relay_smtp_session_has_capability (session, "STARTTLS"));
  g_assert_true (relay_smtp_session_has_capability (session, "PIPELINING"));
  g_assert_true (relay_smtp_session_has_capability (session, "8BITMIME"));
  g_assert_false (relay_smtp_session_has_capability (session, "AUTH"));
  g_assert_null (relay_smtp_session_get_auth_mechanisms (session)[0]);
  g_assert_cmpuint (relay_smtp_session_get_size_limit (session), ==, 10485760);

  OK (relay_smtp_session_starttls (session, NULL, &error));
  g_assert_no_error (error);
  OK (relay_smtp_session_handshake (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (relay_smtp_session_get_pinned (session));
  g_assert_cmpstr (relay_smtp_session_get_peer_sha256 (session), ==, f->sha256);

  OK (relay_smtp_session_ehlo (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (relay_smtp_session_has_capability (session, "STARTTLS"));
  g_assert_true (relay_smtp_session_has_capability (session, "PIPELINING"));
  g_assert_true (g_strv_contains (relay_smtp_session_get_auth_mechanisms (session), "PLAIN"));
  g_assert_true (g_strv_contains (relay_smtp_session_get_auth_mechanisms (session), "LOGIN"));

  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_AUTO,
                                                  "sandbox", f->password, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (relay_smtp_session_get_auth_used (session), ==, RELAY_AUTH_METHOD_PLAIN);

  /* MAIL and both RCPT in one write (PIPELINING) */
  OK (relay_smtp_session_envelope (session, "sender@example.org", recipients,
                                              g_bytes_get_size (message), &accepted, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (accepted->len, ==, 2);

  OK (relay_smtp_session_data (session, message, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (relay_smtp_reply_get_text (relay_smtp_session_get_last_reply (session)), ==,
                   "2.0.0 Ok: queued as 1");

  OK (relay_smtp_session_quit (session, NULL, &error));
  g_assert_no_error (error);

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_starttls (Fixture       *f,
               gconstpointer  data)
{
  const char *recipients[] = { "rcpt1@example.org", "rcpt2@example.net", NULL };

  run_in_thread (f, starttls_thread, f);

  g_assert_cmpuint (f->received->len, ==, 1);
  g_assert_cmpuint (relay_sandbox_server_get_n_received (f->server), ==, 1);
  assert_received (f, 0, "sender@example.org", recipients, MESSAGE);
}

static void
implicit_tls_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_open (f, RELAY_SECURITY_TLS);
  g_autoptr(GBytes) message = g_bytes_new_static (MESSAGE, strlen (MESSAGE));
  g_autoptr(GError) error = NULL;

  g_assert_false (relay_smtp_session_has_capability (session, "STARTTLS"));

  /* a second message on the same connection, after a RSET */
  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_LOGIN,
                                                  "sandbox", f->password, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      OK (relay_smtp_session_mail (session, "bounce@example.org", 0, NULL, &error));
      g_assert_no_error (error);
      OK (relay_smtp_session_rcpt (session, "only@example.org", NULL, &error));
      g_assert_no_error (error);
      OK (relay_smtp_session_data (session, message, NULL, &error));
      g_assert_no_error (error);
    }
  OK (relay_smtp_session_mail (session, "x@example.org", 0, NULL, &error));
  OK (relay_smtp_session_rset (session, NULL, &error));
  OK (relay_smtp_session_quit (session, NULL, &error));
  g_assert_no_error (error);

  g_task_return_pointer (task, NULL, NULL);
}

/* The sandbox offers PIPELINING: DATA closes the group (RFC 2920 3.1),
 * every reply read after the one write; RSET after DATA's 354 cannot be
 * sent (it would be the message's text), so it closes the connection and
 * nothing is taken */
static void
pipelined_data_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_open (f, RELAY_SECURITY_TLS);
  g_autoptr(GBytes) message = g_bytes_new_static (MESSAGE, strlen (MESSAGE));
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) transcript = NULL;
  const char *recipients[] = { "one@example.org", "two@example.org", NULL };
  guint start;

  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_PLAIN, "sandbox", f->password, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (relay_smtp_session_sends_with_envelope (session));

  transcript = relay_smtp_session_dup_transcript (session);
  start = g_strv_length (transcript);
  g_clear_pointer (&transcript, g_strfreev);

  OK (relay_smtp_session_begin_message (session, "sender@example.org", recipients, message, &replies, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (replies->len, ==, 2);
  g_assert_cmpuint (relay_smtp_session_get_last_reply (session)->code, ==, 354);
  OK (relay_smtp_session_data (session, message, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (relay_smtp_session_get_last_reply (session)->code, ==, 250);

  transcript = relay_smtp_session_dup_transcript (session);
  g_assert_cmpuint (g_strv_length (transcript), >=, start + 8);
  g_assert_true (g_str_has_prefix (transcript[start], "C: MAIL FROM:<sender@example.org>"));
  g_assert_cmpstr (transcript[start + 1], ==, "C: RCPT TO:<one@example.org>");
  g_assert_cmpstr (transcript[start + 2], ==, "C: RCPT TO:<two@example.org>");
  g_assert_cmpstr (transcript[start + 3], ==, "C: DATA");
  g_assert_true (g_str_has_prefix (transcript[start + 4], "S: 250"));
  g_assert_true (g_str_has_prefix (transcript[start + 7], "S: 354"));

  g_clear_pointer (&replies, g_ptr_array_unref);
  OK (relay_smtp_session_begin_message (session, "sender@example.org", recipients, message, &replies, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (relay_smtp_session_rset (session, NULL, &error));
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (relay_smtp_session_is_connected (session));
  g_assert_false (relay_smtp_session_quit (session, NULL, &error));
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED);

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_pipelined_data (Fixture       *f,
                     gconstpointer  data)
{
  const char *recipients[] = { "one@example.org", "two@example.org", NULL };

  run_in_thread (f, pipelined_data_thread, f);

  g_assert_cmpuint (f->received->len, ==, 1);
  assert_received (f, 0, "sender@example.org", recipients, MESSAGE);
}

/* Each message's data goes with the next message's envelope, in one
 * write (RFC 2920 3.1), and its verdict is read with that envelope's
 * replies: three messages, each taken once, in order, each with its own
 * verdict */
static void
data_with_next_envelope_thread (GTask        *task,
                                gpointer      source_object,
                                gpointer      task_data,
                                GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_open (f, RELAY_SECURITY_TLS);
  g_autoptr(GBytes) message = g_bytes_new_static (MESSAGE, strlen (MESSAGE));
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) transcript = NULL;
  const char *senders[] = { "a@example.org", "b@example.org", "c@example.org" };
  const char *recipients[] = { "one@example.org", NULL };
  guint start;
  guint data_line = 0;

  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_PLAIN, "sandbox", f->password, NULL, &error));
  g_assert_no_error (error);

  transcript = relay_smtp_session_dup_transcript (session);
  start = g_strv_length (transcript);
  g_clear_pointer (&transcript, g_strfreev);

  for (guint i = 0; i < G_N_ELEMENTS (senders); i++)
    {
      g_autoptr(GPtrArray) replies = NULL;

      OK (relay_smtp_session_begin_message_write (session, senders[i], recipients, message, NULL, &error));
      g_assert_no_error (error);
      OK (relay_smtp_session_begin_message_read (session, &replies, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (replies->len, ==, 1);
      g_assert_cmpuint (relay_smtp_session_get_last_reply (session)->code, ==, 354);

      if (i > 0)
        {
          /* the verdict on the one before came with these replies */
          g_assert_true (relay_smtp_session_has_verdict_due (session));
          OK (relay_smtp_session_finish_data (session, NULL, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (relay_smtp_session_get_last_reply (session)->code, ==, 250);
          g_assert_cmpuint (f->received->len, ==, i);
        }

      g_assert_false (relay_smtp_session_has_verdict_due (session));
      OK (relay_smtp_session_send_data (session, message, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (relay_smtp_session_has_verdict_due (session));
    }

  /* the last one alone: its data written, its verdict read */
  OK (relay_smtp_session_finish_data (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (relay_smtp_session_has_verdict_due (session));
  OK (relay_smtp_session_quit (session, NULL, &error));
  g_assert_no_error (error);

  /* on the wire: the second message's MAIL right after the first one's
   * end of data, before the server said anything about it */
  transcript = relay_smtp_session_dup_transcript (session);
  for (guint i = start; transcript[i]; i++)
    if (g_str_equal (transcript[i], "C: .") && data_line == 0)
      data_line = i;
  g_assert_cmpuint (data_line, >, start);
  g_assert_true (g_str_has_prefix (transcript[data_line + 1], "C: MAIL FROM:<b@example.org>"));
  g_assert_cmpstr (transcript[data_line + 2], ==, "C: RCPT TO:<one@example.org>");
  g_assert_cmpstr (transcript[data_line + 3], ==, "C: DATA");
  g_assert_true (g_str_has_prefix (transcript[data_line + 4], "S: 250"));

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_data_with_next_envelope (Fixture       *f,
                              gconstpointer  data)
{
  const char *recipients[] = { "one@example.org", NULL };

  run_in_thread (f, data_with_next_envelope_thread, f);

  g_assert_cmpuint (f->received->len, ==, 3);
  assert_received (f, 0, "a@example.org", recipients, MESSAGE);
  assert_received (f, 1, "b@example.org", recipients, MESSAGE);
  assert_received (f, 2, "c@example.org", recipients, MESSAGE);
}

static void
test_implicit_tls (Fixture       *f,
                   gconstpointer  data)
{
  const char *recipients[] = { "only@example.org", NULL };

  run_in_thread (f, implicit_tls_thread, f);

  g_assert_cmpuint (f->received->len, ==, 2);
  g_assert_cmpuint (relay_sandbox_server_get_n_received (f->server), ==, 2);
  assert_received (f, 0, "bounce@example.org", recipients, MESSAGE);
  assert_received (f, 1, "bounce@example.org", recipients, MESSAGE);
}

static void
wrong_password_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_open (f, RELAY_SECURITY_STARTTLS);
  g_autofree char *wrong = g_strdup (f->password);
  g_autofree char *longer = g_strconcat (f->password, "x", NULL);
  g_autofree char *shorter = g_strndup (f->password, 23);
  const char *attempts[] = { wrong, longer, shorter, "" };
  g_autoptr(GError) error = NULL;

  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';

  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      RelayAuthMethod method = i % 2 ? RELAY_AUTH_METHOD_LOGIN : RELAY_AUTH_METHOD_PLAIN;

      g_assert_false (relay_smtp_session_authenticate (session, method, "sandbox", attempts[i],
                                                       NULL, &error));
      assert_reply (session, error, 535, "5.7.8", "Authentication credentials invalid");
      g_clear_error (&error);
    }

  /* the right password with the wrong user, both mechanisms */
  g_assert_false (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_LOGIN, "sandbox2",
                                                   f->password, NULL, &error));
  assert_reply (session, error, 421, "4.7.0", "Too many failed authentications");
  g_clear_error (&error);
  relay_smtp_session_close (session);
  g_clear_object (&session);

  session = client_open (f, RELAY_SECURITY_TLS);
  g_assert_false (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_PLAIN, "other",
                                                   f->password, NULL, &error));
  assert_reply (session, error, 535, "5.7.8", "Authentication credentials invalid");
  g_clear_error (&error);

  /* a failure leaves the session usable */
  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_PLAIN, "sandbox",
                                                  f->password, NULL, &error));
  g_assert_no_error (error);
  OK (relay_smtp_session_quit (session, NULL, &error));

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  run_in_thread (f, wrong_password_thread, f);
  g_assert_cmpuint (f->received->len, ==, 0);
}

static void
mail_before_auth_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_open (f, RELAY_SECURITY_STARTTLS);
  g_autoptr(GBytes) message = g_bytes_new_static (MESSAGE, strlen (MESSAGE));
  g_autoptr(GError) error = NULL;

  g_assert_false (relay_smtp_session_mail (session, "sender@example.org", 0, NULL, &error));
  assert_reply (session, error, 530, "5.7.0", "Authentication required");
  g_clear_error (&error);

  g_assert_false (relay_smtp_session_rcpt (session, "rcpt@example.org", NULL, &error));
  assert_reply (session, error, 530, "5.7.0", "Authentication required");
  g_clear_error (&error);

  g_assert_false (relay_smtp_session_data (session, message, NULL, &error));
  assert_reply (session, error, 530, "5.7.0", "Authentication required");
  g_clear_error (&error);

  OK (relay_smtp_session_quit (session, NULL, &error));

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_mail_before_auth (Fixture       *f,
                       gconstpointer  data)
{
  run_in_thread (f, mail_before_auth_thread, f);
  g_assert_cmpuint (f->received->len, ==, 0);
}

static void
auth_before_starttls_thread (GTask        *task,
                             gpointer      source_object,
                             gpointer      task_data,
                             GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_new (f, RELAY_SECURITY_STARTTLS, TRUE);
  g_autoptr(GError) error = NULL;

  OK (relay_smtp_session_resolve (session, NULL, &error));
  OK (relay_smtp_session_connect (session, NULL, &error));
  OK (relay_smtp_session_read_greeting (session, NULL, &error));
  OK (relay_smtp_session_ehlo (session, NULL, &error));
  g_assert_no_error (error);

  /* no AUTH offered in plaintext, so the client sends none */
  g_assert_false (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_AUTO, "sandbox",
                                                   f->password, NULL, &error));
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_AUTH_UNAVAILABLE);
  g_clear_error (&error);

  g_assert_false (relay_smtp_session_mail (session, "sender@example.org", 0, NULL, &error));
  assert_reply (session, error, 530, "5.7.0", "Must issue a STARTTLS command first");
  g_clear_error (&error);

  OK (relay_smtp_session_quit (session, NULL, &error));

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_auth_before_starttls (Fixture       *f,
                           gconstpointer  data)
{
  run_in_thread (f, auth_before_starttls_thread, f);
}

static void
unpinned_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Fixture *f = task_data;
  RelaySecurity securities[] = { RELAY_SECURITY_STARTTLS, RELAY_SECURITY_TLS };

  for (guint i = 0; i < G_N_ELEMENTS (securities); i++)
    {
      g_autoptr(RelaySmtpSession) session = client_new (f, securities[i], FALSE);
      g_autoptr(GError) error = NULL;
      GTlsCertificateFlags errors;

      OK (relay_smtp_session_resolve (session, NULL, &error));
      OK (relay_smtp_session_connect (session, NULL, &error));
      if (securities[i] == RELAY_SECURITY_STARTTLS)
        {
          OK (relay_smtp_session_read_greeting (session, NULL, &error));
          OK (relay_smtp_session_ehlo (session, NULL, &error));
          OK (relay_smtp_session_starttls (session, NULL, &error));
          g_assert_no_error (error);
        }

      g_assert_false (relay_smtp_session_handshake (session, NULL, &error));
      g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CERTIFICATE);

      errors = relay_smtp_session_get_peer_errors (session);
      g_assert_true (errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
      /* the names and dates are right: only the issuer is unknown */
      g_assert_false (errors & G_TLS_CERTIFICATE_BAD_IDENTITY);
      g_assert_false (errors & G_TLS_CERTIFICATE_EXPIRED);
      g_assert_false (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED);
      g_assert_false (relay_smtp_session_get_pinned (session));
      g_assert_cmpstr (relay_smtp_session_get_peer_sha256 (session), ==, f->sha256);
    }

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_unpinned (Fixture       *f,
               gconstpointer  data)
{
  run_in_thread (f, unpinned_thread, f);
}

/* A raw client, for what RelaySmtpSession would never send */
typedef struct
{
  GSocketConnection *tcp;
  GIOStream         *stream;
  GDataInputStream  *input;
} Raw;

static void
raw_use_stream (Raw       *raw,
                GIOStream *stream)
{
  g_clear_object (&raw->input);
  raw->stream = stream;
  raw->input = g_data_input_stream_new (g_io_stream_get_input_stream (stream));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (raw->input), FALSE);
  g_data_input_stream_set_newline_type (raw->input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
}

static void
raw_open (Raw   *raw,
          guint  port)
{
  g_autoptr(GSocketClient) client = socket_client_new ();
  g_autoptr(GError) error = NULL;

  g_socket_client_set_timeout (client, CLIENT_TIMEOUT);
  raw->tcp = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  raw_use_stream (raw, G_IO_STREAM (raw->tcp));
}

static void
raw_close (Raw *raw)
{
  g_clear_object (&raw->input);
  if (raw->stream != G_IO_STREAM (raw->tcp))
    g_clear_object (&raw->stream);
  g_clear_object (&raw->tcp);
}

static void
raw_send (Raw        *raw,
          const char *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (raw->stream), text, strlen (text),
                             NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Reads a whole reply and checks its last line */
static void
raw_expect (Raw        *raw,
            const char *last_line)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (raw->input, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_assert_cmpuint (strlen (line), >=, 4);
      if (line[3] == ' ')
        {
          g_assert_cmpstr (line, ==, last_line);
          return;
        }
    }
}

static void
raw_expect_eof (Raw *raw)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line (raw->input, NULL, NULL, &error);

  g_assert_null (line);
  if (error != NULL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
}

static gboolean
accept_any_cb (GTlsConnection       *connection,
               GTlsCertificate      *certificate,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  return TRUE;
}

static void
raw_handshake (Raw *raw)
{
  g_autoptr(GError) error = NULL;
  GIOStream *tls = g_tls_client_connection_new (G_IO_STREAM (raw->tcp), NULL, &error);

  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  g_assert_true (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_no_error (error);
  raw_use_stream (raw, tls);
}

static void
raw_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autofree char *longest = g_strdup_printf ("NOOP %s\r\n", (char *)memset (g_malloc0 (2044), 'a', 2043));
  g_autofree char *too_long = g_strdup_printf ("NOOP %s\r\n", (char *)memset (g_malloc0 (2045), 'a', 2044));
  g_autofree char *endless = memset (g_malloc0 (1001), 'a', 1000);
  g_autofree char *plain = NULL;
  Raw raw = { NULL, };

  /* AUTH before STARTTLS, as a client that ignores the capabilities would */
  raw_open (&raw, f->starttls_port);
  raw_expect (&raw, "220 localhost Mail Relay local test server ESMTP");
  raw_send (&raw, "AUTH PLAIN AHNhbmRib3gAeA==\r\n");
  raw_expect (&raw, "530 5.7.0 Must issue a STARTTLS command first");
  raw_send (&raw, "EHLO client\r\n");
  raw_expect (&raw, "250 STARTTLS");
  raw_send (&raw, "AUTH LOGIN\r\n");
  raw_expect (&raw, "530 5.7.0 Must issue a STARTTLS command first");
  raw_send (&raw, "MAIL FROM:<a@example.org>\r\n");
  raw_expect (&raw, "530 5.7.0 Must issue a STARTTLS command first");
  raw_send (&raw, "FROB\r\n");
  raw_expect (&raw, "500 5.5.2 Command not recognized");

  /* the longest line allowed, then one byte more */
  g_assert_cmpuint (strlen (longest), ==, 2048 + 2);
  raw_send (&raw, longest);
  raw_expect (&raw, "250 2.0.0 Ok");
  raw_send (&raw, too_long);
  raw_expect (&raw, "500 5.5.2 Line too long");
  raw_expect_eof (&raw);
  raw_close (&raw);

  /* a line that never ends */
  raw_open (&raw, f->starttls_port);
  raw_expect (&raw, "220 localhost Mail Relay local test server ESMTP");
  for (guint i = 0; i < 3; i++)
    raw_send (&raw, endless);
  raw_expect (&raw, "500 5.5.2 Line too long");
  raw_expect_eof (&raw);
  raw_close (&raw);

  /* RFC 3207: a command sent with STARTTLS is not run after the handshake */
  raw_open (&raw, f->starttls_port);
  raw_expect (&raw, "220 localhost Mail Relay local test server ESMTP");
  raw_send (&raw, "EHLO client\r\n");
  raw_expect (&raw, "250 STARTTLS");
  raw_send (&raw, "STARTTLS\r\nRSET\r\n");
  raw_expect (&raw, "220 2.0.0 Ready to start TLS");
  raw_handshake (&raw);
  /* the EHLO state is gone too */
  raw_send (&raw, "AUTH PLAIN\r\n");
  raw_expect (&raw, "503 5.5.1 Send EHLO first");
  raw_send (&raw, "EHLO client\r\n");
  raw_expect (&raw, "250 AUTH PLAIN LOGIN");
  raw_send (&raw, "STARTTLS\r\n");
  raw_expect (&raw, "503 5.5.1 TLS already active");

  /* AUTH PLAIN without an initial response, then "*" */
  raw_send (&raw, "AUTH PLAIN\r\n");
  raw_expect (&raw, "334 ");
  raw_send (&raw, "*\r\n");
  raw_expect (&raw, "501 5.7.0 Authentication cancelled");
  raw_send (&raw, "AUTH PLAIN\r\n");
  raw_expect (&raw, "334 ");
  raw_send (&raw, "not base64!\r\n");
  raw_expect (&raw, "501 5.5.2 Cannot decode the response");
  /* AUTH LOGIN: the user name, then the password, each not base64 */
  raw_send (&raw, "AUTH LOGIN\r\n");
  raw_expect (&raw, "334 VXNlcm5hbWU6");
  raw_send (&raw, "not base64!\r\n");
  raw_expect (&raw, "501 5.5.2 Cannot decode the response");
  raw_send (&raw, "AUTH LOGIN c2FuZGJveA==\r\n");
  raw_expect (&raw, "334 UGFzc3dvcmQ6");
  raw_send (&raw, "not base64!\r\n");
  raw_expect (&raw, "501 5.5.2 Cannot decode the response");
  raw_send (&raw, "AUTH CRAM-MD5\r\n");
  raw_expect (&raw, "504 5.5.4 Unrecognized authentication type");

  /* with the authzid, after a 334 */
  {
    g_autofree char *decoded = g_strdup_printf ("sandbox%csandbox%c%s", 0, 0, f->password);
    gsize length = 16 + strlen (f->password);

    plain = g_base64_encode ((const guchar *)decoded, length);
    memset (decoded, 0, length);
  }
  raw_send (&raw, "AUTH PLAIN\r\n");
  raw_expect (&raw, "334 ");
  raw_send (&raw, plain);
  raw_send (&raw, "\r\n");
  raw_expect (&raw, "235 2.7.0 Authentication successful");
  memset (plain, 0, strlen (plain));
  raw_send (&raw, "AUTH PLAIN\r\n");
  raw_expect (&raw, "503 5.5.1 Already authenticated");

  /* envelope checks, pipelined */
  raw_send (&raw,
            "RCPT TO:<a@example.org>\r\n"
            "DATA\r\n"
            "MAIL FROM:<a@example.org> SIZE=10485761\r\n"
            "MAIL FROM:<a@example.org> FOO=BAR\r\n"
            "MAIL FROM:a@example.org\r\n"
            "MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=100\r\n"
            "MAIL FROM:<a@example.org>\r\n"
            "DATA\r\n"
            "RCPT TO:<>\r\n");
  raw_expect (&raw, "503 5.5.1 Need MAIL command");
  raw_expect (&raw, "503 5.5.1 Need MAIL command");
  raw_expect (&raw, "552 5.3.4 Message size exceeds fixed limit");
  raw_expect (&raw, "555 5.5.4 Unsupported parameter");
  raw_expect (&raw, "501 5.5.4 Syntax: MAIL FROM:<address>");
  raw_expect (&raw, "250 2.1.0 Ok");
  raw_expect (&raw, "503 5.5.1 Nested MAIL command");
  raw_expect (&raw, "503 5.5.1 Need RCPT command");
  raw_expect (&raw, "501 5.1.3 Bad recipient address syntax");

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *rcpt = g_strdup_printf ("RCPT TO:<r%u@example.org>\r\n", i);

      raw_send (&raw, rcpt);
      raw_expect (&raw, "250 2.1.5 Ok");
    }
  raw_send (&raw, "RCPT TO:<r100@example.org>\r\n");
  raw_expect (&raw, "452 4.5.3 Too many recipients");

  /* a bare LF . LF does not end the data; CR LF . CR LF does */
  raw_send (&raw, "DATA\r\n");
  raw_expect (&raw, "354 End data with <CR><LF>.<CR><LF>");
  raw_send (&raw, "Subject: raw\r\n\r\nbare\n.\nstill data\r\n..\r\n.\r\n");
  raw_expect (&raw, "250 2.0.0 Ok: queued as 1");

  raw_send (&raw, "QUIT\r\n");
  raw_expect (&raw, "221 2.0.0 Bye");
  raw_expect_eof (&raw);
  raw_close (&raw);

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_raw (Fixture       *f,
          gconstpointer  data)
{
  Received *received;

  run_in_thread (f, raw_thread, f);

  g_assert_cmpuint (f->received->len, ==, 1);
  received = g_ptr_array_index (f->received, 0);
  g_assert_cmpstr (received->from, ==, "a@example.org");
  g_assert_cmpuint (g_strv_length (received->recipients), ==, 100);
  g_assert_cmpstr (received->recipients[99], ==, "r99@example.org");
  g_assert_cmpmem (g_bytes_get_data (received->message, NULL), g_bytes_get_size (received->message),
                   "Subject: raw\r\n\r\nbare\n.\nstill data\r\n.\r\n",
                   strlen ("Subject: raw\r\n\r\nbare\n.\nstill data\r\n.\r\n"));
}

static void
too_big_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Fixture *f = task_data;
  g_autoptr(RelaySmtpSession) session = client_open (f, RELAY_SECURITY_TLS);
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) fits = NULL;
  g_autoptr(GError) error = NULL;
  GString *text = g_string_new ("Subject: big\r\n\r\n");
  g_autofree char *long_line = g_malloc (200000);

  /* one long line and many short ones, just under and just over the limit */
  memset (long_line, 'x', 200000);
  g_string_append_len (text, long_line, 200000);
  g_string_append (text, "\r\n");
  while (text->len < 10485760 - 100)
    g_string_append (text, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
  fits = g_bytes_new (text->str, text->len);
  while (text->len <= 10485760)
    g_string_append (text, ".23456789\r\n");
  big = g_string_free_to_bytes (text);

  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_AUTO, "sandbox",
                                                  f->password, NULL, &error));

  /* no SIZE given, so that the server sees it all */
  OK (relay_smtp_session_mail (session, "a@example.org", 0, NULL, &error));
  OK (relay_smtp_session_rcpt (session, "b@example.org", NULL, &error));
  g_assert_false (relay_smtp_session_data (session, big, NULL, &error));
  assert_reply (session, error, 552, "5.3.4", "Message size exceeds fixed limit");
  g_clear_error (&error);

  OK (relay_smtp_session_mail (session, "a@example.org", 0, NULL, &error));
  OK (relay_smtp_session_rcpt (session, "b@example.org", NULL, &error));
  OK (relay_smtp_session_data (session, fits, NULL, &error));
  g_assert_no_error (error);
  OK (relay_smtp_session_quit (session, NULL, &error));

  g_task_return_pointer (task, g_steal_pointer (&fits), (GDestroyNotify)g_bytes_unref);
}

static void
test_too_big (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) fits = run_in_thread (f, too_big_thread, f);
  Received *received;

  g_assert_cmpuint (f->received->len, ==, 1);
  received = g_ptr_array_index (f->received, 0);
  g_assert_true (g_bytes_equal (received->message, fits));
}

/* Every TLS handshake here takes two tasks of GLib's GTask thread pool
 * (ten threads, grown only slowly): the server's asynchronous one and the
 * client's, which glib-networking also runs in the pool. With ten or more
 * connections handshaking at once, every pool thread can be waiting for
 * a partner that is still queued, until the socket times out: 24 clients
 * hung so in 3 of 6 runs under AddressSanitizer, and once in a Flatpak
 * build. With fewer than ten connections, at most 2 × 9 = 18 tasks exist,
 * too few to fill the ten threads with tasks whose partners all wait in
 * the queue. */
#define N_CLIENTS 8

typedef struct
{
  Fixture *f;
  guint    index;
  gint    *n_done;
} Client;

/* Plain threads: the clients' blocking steps stay out of the GTask pool,
 * which the handshakes need (see N_CLIENTS) */
static gpointer
many_thread (gpointer data)
{
  Client *client = data;
  Fixture *f = client->f;
  guint index = client->index;
  g_autoptr(RelaySmtpSession) session = client_open (f, index % 2 ? RELAY_SECURITY_TLS : RELAY_SECURITY_STARTTLS);
  g_autofree char *from = g_strdup_printf ("client%u@example.org", index);
  g_autofree char *text = g_strdup_printf ("Subject: %u\r\n\r\n.%u\r\n", index, index);
  g_autoptr(GBytes) message = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  OK (relay_smtp_session_authenticate (session, RELAY_AUTH_METHOD_AUTO, "sandbox",
                                                  f->password, NULL, &error));
  OK (relay_smtp_session_mail (session, from, 0, NULL, &error));
  OK (relay_smtp_session_rcpt (session, "r@example.org", NULL, &error));
  OK (relay_smtp_session_data (session, message, NULL, &error));
  g_assert_no_error (error);
  OK (relay_smtp_session_quit (session, NULL, &error));

  g_atomic_int_inc (client->n_done);
  g_main_context_wakeup (NULL);

  return NULL;
}

static void
test_many_connections (Fixture       *f,
                       gconstpointer  data)
{
  GThread *threads[N_CLIENTS];
  Client clients[N_CLIENTS];
  gboolean seen[N_CLIENTS] = { FALSE, };
  gint n_done = 0;

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      clients[i].f = f;
      clients[i].index = i;
      clients[i].n_done = &n_done;
      threads[i] = g_thread_new ("client", many_thread, &clients[i]);
    }

  while (g_atomic_int_get (&n_done) < N_CLIENTS)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < N_CLIENTS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (f->received->len, ==, N_CLIENTS);
  g_assert_cmpuint (relay_sandbox_server_get_n_received (f->server), ==, N_CLIENTS);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      Received *received = g_ptr_array_index (f->received, i);
      guint index;
      g_autofree char *text = NULL;

      g_assert_true (sscanf (received->from, "client%u@", &index) == 1);
      g_assert_cmpuint (index, <, N_CLIENTS);
      g_assert_false (seen[index]);
      seen[index] = TRUE;
      text = g_strdup_printf ("Subject: %u\r\n\r\n.%u\r\n", index, index);
      g_assert_cmpmem (g_bytes_get_data (received->message, NULL), g_bytes_get_size (received->message),
                       text, strlen (text));
    }
}

#define N_IDLE 100

/* A hundred sockets that connect and then say nothing (another local
 * program, or a careless script) do not lock a real client out */
static void
idle_crowd_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Fixture *f = task_data;
  Raw *crowd = g_new0 (Raw, N_IDLE);
  Raw late = { 0 };

  for (guint i = 0; i < N_IDLE; i++)
    {
      raw_open (&crowd[i], f->starttls_port);
      raw_expect (&crowd[i], "220 localhost Mail Relay local test server ESMTP");
    }

  /* the server is full of idle sockets: the longest idle makes room */
  raw_open (&late, f->starttls_port);
  raw_expect (&late, "220 localhost Mail Relay local test server ESMTP");
  raw_send (&late, "EHLO late.example\r\n");
  raw_expect (&late, "250 STARTTLS");
  raw_send (&late, "QUIT\r\n");
  raw_expect (&late, "221 2.0.0 Bye");
  raw_close (&late);

  for (guint i = 0; i < N_IDLE; i++)
    raw_close (&crowd[i]);
  g_free (crowd);

  g_task_return_pointer (task, NULL, NULL);
}

static void
test_idle_crowd (Fixture       *f,
                 gconstpointer  data)
{
  run_in_thread (f, idle_crowd_thread, f);
}

static void
stop_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Fixture *f = task_data;
  Raw *raw = g_new0 (Raw, 1);

  raw_open (raw, f->starttls_port);
  raw_expect (raw, "220 localhost Mail Relay local test server ESMTP");

  g_task_return_pointer (task, raw, NULL);
}

static void
stop_eof_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Raw *raw = task_data;

  raw_expect_eof (raw);
  raw_close (raw);
  g_free (raw);

  g_task_return_pointer (task, NULL, NULL);
}

static gboolean
connection_refused (guint port)
{
  g_autoptr(GSocketClient) client = socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
test_stop_restart (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Raw *raw = run_in_thread (f, stop_thread, f);
  guint old_port = f->starttls_port;

  /* an open connection is closed by stop */
  relay_sandbox_server_stop (f->server);
  g_assert_false (relay_sandbox_server_is_running (f->server));
  g_assert_cmpuint (relay_sandbox_server_get_starttls_port (f->server), ==, 0);
  run_in_thread (f, stop_eof_thread, raw);
  g_assert_true (connection_refused (old_port));

  /* and it starts again, with a new certificate and the same password */
  g_assert_true (relay_sandbox_server_start (f->server, 0, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (relay_sandbox_server_get_certificate_sha256 (f->server), !=, f->sha256);
  g_assert_true (strcmp (relay_sandbox_server_get_password (f->server), f->password) == 0);

  f->starttls_port = relay_sandbox_server_get_starttls_port (f->server);
  f->tls_port = relay_sandbox_server_get_tls_port (f->server);
  g_free (f->sha256);
  f->sha256 = g_strdup (relay_sandbox_server_get_certificate_sha256 (f->server));
  run_in_thread (f, starttls_thread, f);
  g_assert_cmpuint (f->received->len, ==, 1);
}

static void
test_fixed_ports (void)
{
  g_autoptr(RelaySandboxServer) first = relay_sandbox_server_new ();
  g_autoptr(RelaySandboxServer) second = relay_sandbox_server_new ();
  g_autoptr(GError) error = NULL;
  guint starttls_port, tls_port;

  g_assert_true (relay_sandbox_server_start (first, 0, 0, &error));
  starttls_port = relay_sandbox_server_get_starttls_port (first);
  tls_port = relay_sandbox_server_get_tls_port (first);
  relay_sandbox_server_stop (first);

  /* the ports just freed, given explicitly */
  g_assert_true (relay_sandbox_server_start (first, starttls_port, tls_port, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (relay_sandbox_server_get_starttls_port (first), ==, starttls_port);
  g_assert_cmpuint (relay_sandbox_server_get_tls_port (first), ==, tls_port);

  /* a port in use is an error, and nothing is left half started */
  g_assert_false (relay_sandbox_server_start (second, 0, tls_port, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_false (relay_sandbox_server_is_running (second));
  g_assert_cmpuint (relay_sandbox_server_get_starttls_port (second), ==, 0);

  relay_sandbox_server_stop (first);
  g_assert_finalize_object (g_steal_pointer (&first));
  g_assert_finalize_object (g_steal_pointer (&second));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("No TLS backend (glib-networking)");
      return g_test_run ();
    }

#define ADD(path, func) \
  g_test_add ("/sandbox-server/" path, Fixture, NULL, setup, func, teardown)

  ADD ("basics", test_basics);
  ADD ("loopback-only", test_loopback_only);
  ADD ("starttls", test_starttls);
  ADD ("implicit-tls", test_implicit_tls);
  ADD ("pipelined-data", test_pipelined_data);
  ADD ("data-with-next-envelope", test_data_with_next_envelope);
  ADD ("wrong-password", test_wrong_password);
  ADD ("mail-before-auth", test_mail_before_auth);
  ADD ("auth-before-starttls", test_auth_before_starttls);
  ADD ("unpinned", test_unpinned);
  ADD ("raw", test_raw);
  ADD ("too-big", test_too_big);
  ADD ("many-connections", test_many_connections);
  ADD ("stop-restart", test_stop_restart);
  ADD ("idle-crowd", test_idle_crowd);
  g_test_add_func ("/sandbox-server/fixed-ports", test_fixed_ports);

#undef ADD

  return g_test_run ();
}
