/* test-smtp-server-session.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelaySmtpServerSession with an owner other than the local test server:
 * no certificate (plain, AUTH offered at once, no STARTTLS), senders and
 * recipients refused by the owner with its own reply, the owner's reply to
 * a message, its limits, a refusal, and the owner closing the session. The
 * sandbox's TLS side is covered by test-sandbox-server.c. */

#include "config.h"

#include <string.h>

#include "relay-smtp-server-session.h"

/* the reply to EHLO without a certificate: AUTH at once, no STARTTLS */
#define EHLO_REPLY                  \
  "S: 250-test.local",              \
  "S: 250-PIPELINING",              \
  "S: 250-SIZE 1000",               \
  "S: 250-8BITMIME",                \
  "S: 250-ENHANCEDSTATUSCODES",     \
  "S: 250 AUTH PLAIN LOGIN"

/* generous for a loaded machine; a server that does not answer still fails */
#define CLIENT_TIMEOUT 30

typedef struct
{
  GSocketService         *service;
  guint                   port;
  RelaySmtpServerConfig   config;
  gboolean                refuse;
  gboolean                close_on_message;
  GPtrArray              *sessions;
  guint                   n_closed;

  GPtrArray              *auth_attempts;   /* "user:password" */
  char                   *from;
  GStrv                   recipients;
  GBytes                 *message;
} Fixture;

static gboolean
authenticate_cb (RelaySmtpServerSession *session,
                 const char             *username,
                 gsize                   username_length,
                 const char             *password,
                 gsize                   password_length,
                 gpointer                user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->auth_attempts,
                   g_strdup_printf ("%.*s:%.*s", (int)username_length, username,
                                    (int)password_length, password));

  return username_length == 5 && memcmp (username, "relay", 5) == 0 &&
         password_length == 6 && memcmp (password, "secret", 6) == 0;
}

/* used for senders and recipients alike */
static gboolean
accept_cb (RelaySmtpServerSession  *session,
           const char              *address,
           char                   **reply,
           gpointer                 user_data)
{
  if (g_str_equal (address, "blocked@example.org"))
    *reply = g_strdup_printf ("550 5.7.1 %s may not send through this channel", address);
  else if (g_str_equal (address, "nobody@example.org"))
    *reply = g_strdup ("550 5.1.1 No such recipient here");

  return *reply == NULL;
}

static char *
take_message_cb (RelaySmtpServerSession *session,
                 const char             *from,
                 const char * const     *recipients,
                 GBytes                 *message,
                 gpointer                user_data)
{
  Fixture *f = user_data;

  g_free (f->from);
  f->from = g_strdup (from);
  g_strfreev (f->recipients);
  f->recipients = g_strdupv ((char **)recipients);
  g_clear_pointer (&f->message, g_bytes_unref);
  f->message = g_bytes_ref (message);

  if (f->close_on_message)
    relay_smtp_server_session_close (session);

  return g_strdup ("250 2.0.0 Ok: queued as Q1");
}

static void
closed_cb (RelaySmtpServerSession *session,
           gpointer                user_data)
{
  Fixture *f = user_data;

  f->n_closed++;
  g_assert_true (g_ptr_array_remove (f->sessions, session));
}

static const RelaySmtpServerSessionCallbacks callbacks = {
  .authenticate = authenticate_cb,
  .accept_sender = accept_cb,
  .accept_recipient = accept_cb,
  .take_message = take_message_cb,
  .closed = closed_cb,
};

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             Fixture           *f)
{
  RelaySmtpServerSession *session;

  session = relay_smtp_server_session_new (connection, g_main_context_default (), FALSE,
                                           &f->config, &callbacks, f);
  g_ptr_array_add (f->sessions, session);

  if (f->refuse)
    relay_smtp_server_session_refuse (session);
  else
    relay_smtp_server_session_start (session);

  return TRUE;
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  f->config = (RelaySmtpServerConfig) {
    .host_name = "test.local",
    .greeting = "Test ESMTP",
    .certificate = NULL,
    .size_limit = 1000,
    .max_recipients = 2,
    .max_auth_failures = 2,
    .idle_timeout = 60,
    .idle_timeout_anonymous = 60,
  };
  f->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify)relay_smtp_server_session_unref);
  f->auth_attempts = g_ptr_array_new_with_free_func (g_free);

  f->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (f->service, "incoming", G_CALLBACK (incoming_cb), f);
  g_socket_service_start (f->service);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  g_clear_object (&f->service);

  /* closing ends each session's callbacks and drops it from the list */
  while (f->sessions->len > 0)
    relay_smtp_server_session_close (g_ptr_array_index (f->sessions, 0));
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_ptr_array_unref (f->sessions);
  g_ptr_array_unref (f->auth_attempts);
  g_free (f->from);
  g_strfreev (f->recipients);
  g_clear_pointer (&f->message, g_bytes_unref);
}

typedef struct
{
  guint               port;
  const char * const *script;
  gint                done;
} Conversation;

/* "C: text" is sent with CRLF; "S: text" must be the next line read;
 * "S: <EOF>" the end of the connection. NULL when all went as written,
 * else what did not. */
static gpointer
conversation_thread (gpointer data)
{
  Conversation *conv = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *output;
  char *result = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, CLIENT_TIMEOUT);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", conv->port, NULL, &error);
  if (connection == NULL)
    {
      result = g_strdup_printf ("connect: %s", error->message);
      goto out;
    }

  input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_data_input_stream_set_newline_type (input, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  for (guint i = 0; conv->script[i] != NULL; i++)
    {
      const char *step = conv->script[i];

      if (g_str_has_prefix (step, "C: "))
        {
          g_autofree char *line = g_strconcat (step + 3, "\r\n", NULL);

          if (!g_output_stream_write_all (output, line, strlen (line), NULL, NULL, &error))
            {
              result = g_strdup_printf ("step %u, write: %s", i, error->message);
              goto out;
            }
        }
      else
        {
          g_autofree char *line = g_data_input_stream_read_line (input, NULL, NULL, &error);
          const char *got = line != NULL ? line : "<EOF>";

          g_assert_true (g_str_has_prefix (step, "S: "));
          if (error != NULL)
            {
              result = g_strdup_printf ("step %u, read: %s", i, error->message);
              goto out;
            }
          if (!g_str_equal (got, step + 3))
            {
              result = g_strdup_printf ("step %u: expected \"%s\", got \"%s\"", i, step + 3, got);
              goto out;
            }
        }
    }

out:
  g_atomic_int_set (&conv->done, TRUE);
  g_main_context_wakeup (NULL);
  return result;
}

/* runs @script as a client while the sessions run on this thread */
static void
converse (Fixture            *f,
          const char * const *script)
{
  Conversation conv = { f->port, script, FALSE };
  g_autofree char *result = NULL;
  GThread *thread;

  thread = g_thread_new ("client", conversation_thread, &conv);
  while (!g_atomic_int_get (&conv.done))
    g_main_context_iteration (NULL, TRUE);
  result = g_thread_join (thread);

  g_assert_cmpstr (result, ==, NULL);
}

static void
test_plain_transaction (Fixture       *f,
                        gconstpointer  data)
{
  static const char * const script[] = {
    "S: 220 test.local Test ESMTP",
    "C: EHLO client",
    EHLO_REPLY,
    /* nothing to offer it with */
    "C: STARTTLS",
    "S: 500 5.5.2 Command not recognized",
    "C: MAIL FROM:<a@example.org>",
    "S: 530 5.7.0 Authentication required",
    /* "\0relay\0wrong" */
    "C: AUTH PLAIN AHJlbGF5AHdyb25n",
    "S: 535 5.7.8 Authentication credentials invalid",
    "C: AUTH LOGIN",
    "S: 334 VXNlcm5hbWU6",
    "C: cmVsYXk=",
    "S: 334 UGFzc3dvcmQ6",
    "C: c2VjcmV0",
    "S: 235 2.7.0 Authentication successful",
    "C: MAIL FROM:<blocked@example.org>",
    "S: 550 5.7.1 blocked@example.org may not send through this channel",
    "C: MAIL FROM:<a@example.org> SIZE=1000",
    "S: 250 2.1.0 Ok",
    "C: RCPT TO:<nobody@example.org>",
    "S: 550 5.1.1 No such recipient here",
    "C: RCPT TO:<b@example.org>",
    "S: 250 2.1.5 Ok",
    "C: DATA",
    "S: 354 End data with <CR><LF>.<CR><LF>",
    "C: Subject: hi",
    "C: ",
    "C: ..dot",
    "C: .",
    "S: 250 2.0.0 Ok: queued as Q1",
    "C: QUIT",
    "S: 221 2.0.0 Bye",
    "S: <EOF>",
    NULL
  };

  converse (f, script);

  g_assert_cmpuint (f->auth_attempts->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->auth_attempts, 0), ==, "relay:wrong");
  g_assert_cmpstr (g_ptr_array_index (f->auth_attempts, 1), ==, "relay:secret");

  g_assert_cmpstr (f->from, ==, "a@example.org");
  g_assert_nonnull (f->recipients);
  g_assert_cmpuint (g_strv_length (f->recipients), ==, 1);
  g_assert_cmpstr (f->recipients[0], ==, "b@example.org");
  g_assert_cmpmem (g_bytes_get_data (f->message, NULL), g_bytes_get_size (f->message),
                   "Subject: hi\r\n\r\n.dot\r\n", strlen ("Subject: hi\r\n\r\n.dot\r\n"));

  while (f->n_closed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->n_closed, ==, 1);
  g_assert_cmpuint (f->sessions->len, ==, 0);
}

static void
test_limits (Fixture       *f,
             gconstpointer  data)
{
  static const char * const script[] = {
    "S: 220 test.local Test ESMTP",
    "C: HELO client",
    "S: 250 test.local",
    /* "client\0relay\0secret": an authzid other than the user is refused
     * even with the right password */
    "C: AUTH PLAIN Y2xpZW50AHJlbGF5AHNlY3JldA==",
    "S: 535 5.7.8 Authentication credentials invalid",
    "C: AUTH PLAIN cmVsYXkAcmVsYXkAc2VjcmV0",
    "S: 235 2.7.0 Authentication successful",
    "C: MAIL FROM:<a@example.org> SIZE=1001",
    "S: 552 5.3.4 Message size exceeds fixed limit",
    "C: MAIL FROM:<a@example.org>",
    "S: 250 2.1.0 Ok",
    "C: RCPT TO:<b@example.org>",
    "S: 250 2.1.5 Ok",
    "C: RCPT TO:<c@example.org>",
    "S: 250 2.1.5 Ok",
    "C: RCPT TO:<d@example.org>",
    "S: 452 4.5.3 Too many recipients",
    "C: DATA",
    "S: 354 End data with <CR><LF>.<CR><LF>",
    "C: 0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789"
       "0123456789012345678901234567890123456789012345678901234567890123456789",
    "C: .",
    "S: 552 5.3.4 Message size exceeds fixed limit",
    NULL
  };
  static const char * const failures[] = {
    "S: 220 test.local Test ESMTP",
    "C: EHLO client",
    EHLO_REPLY,
    "C: AUTH PLAIN AHJlbGF5AHdyb25n",
    "S: 535 5.7.8 Authentication credentials invalid",
    "C: AUTH PLAIN AHJlbGF5AHdyb25n",
    "S: 421 4.7.0 test.local Too many failed authentications",
    "S: <EOF>",
    NULL
  };

  converse (f, script);
  /* the refused message never reached the owner */
  g_assert_null (f->message);
  g_assert_cmpstr (g_ptr_array_index (f->auth_attempts, 0), ==, "relay:secret");

  converse (f, failures);
}

static void
test_refuse (Fixture       *f,
             gconstpointer  data)
{
  static const char * const script[] = {
    "S: 421 4.7.0 test.local Too many connections, try again later",
    "S: <EOF>",
    NULL
  };

  f->refuse = TRUE;
  converse (f, script);

  while (f->n_closed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->sessions->len, ==, 0);
}

/* The owner may close the session from take_message: no reply follows,
 * and closed runs once */
static void
test_owner_closes (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const script[] = {
    "S: 220 test.local Test ESMTP",
    "C: EHLO client",
    EHLO_REPLY,
    "C: AUTH PLAIN AHJlbGF5AHNlY3JldA==",
    "S: 235 2.7.0 Authentication successful",
    "C: MAIL FROM:<>",
    "S: 250 2.1.0 Ok",
    "C: RCPT TO:<b@example.org>",
    "S: 250 2.1.5 Ok",
    "C: DATA",
    "S: 354 End data with <CR><LF>.<CR><LF>",
    "C: body",
    "C: .",
    "S: <EOF>",
    NULL
  };

  f->close_on_message = TRUE;
  converse (f, script);

  g_assert_cmpstr (f->from, ==, "");
  g_assert_cmpuint (f->n_closed, ==, 1);
  g_assert_cmpuint (f->sessions->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/smtp-server-session/" path, Fixture, NULL, setup, func, teardown)

  ADD ("plain-transaction", test_plain_transaction);
  ADD ("limits", test_limits);
  ADD ("refuse", test_refuse);
  ADD ("owner-closes", test_owner_closes);

#undef ADD

  return g_test_run ();
}
