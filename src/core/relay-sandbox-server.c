/* relay-sandbox-server.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-sandbox-server"

#include "config.h"

#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

#include "relay-sandbox-server.h"
#include "relay-secure-private.h"
#include "relay-smtp-session.h"

#define USERNAME            "sandbox"
#define PASSWORD_BYTES      18             /* 24 characters of base64url */
#define COMMON_NAME         "Mail Relay local test server"
#define GREETING            "220 localhost Mail Relay local test server ESMTP"
#define MAX_LINE            2048
#define MAX_MESSAGE         10485760       /* 10 MiB, as announced by SIZE */
#define MAX_RECIPIENTS      100
#define MAX_AUTH_FAILURES   5
#define MAX_CONNECTIONS     100
#define IDLE_TIMEOUT        60             /* s, once signed in */
#define IDLE_TIMEOUT_ANON   10             /* s, before: idle sockets cannot crowd others out */
#define READ_SIZE           16384
#define DATA_CHUNK          65536

struct _RelaySandboxServer
{
  GObject          parent_instance;

  char            *password;
  GTlsCertificate *certificate;
  char            *certificate_sha256;

  GMainContext    *context;
  GSocketService  *service;
  guint            starttls_port;
  guint            tls_port;
  GPtrArray       *connections;
  guint            n_received;
};

G_DEFINE_FINAL_TYPE (RelaySandboxServer, relay_sandbox_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_RECEIVED,
  N_PROPS
};

enum {
  MESSAGE_RECEIVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef enum
{
  NEXT_CONTINUE,
  NEXT_CLOSE,
  NEXT_STARTTLS,
} NextStep;

typedef enum
{
  STATE_COMMAND,
  STATE_AUTH_PLAIN,
  STATE_AUTH_LOGIN_USER,
  STATE_AUTH_LOGIN_PASSWORD,
  STATE_DATA,
} ConnectionState;

/* One client, reference counted (g_rc_box): every pending operation holds
 * a reference, and so does the server's list until the connection closes. */
typedef struct
{
  RelaySandboxServer *server;          /* not a reference; NULL once closing */
  GMainContext       *context;
  GSocketConnection  *tcp;
  GIOStream          *stream;          /* tcp, or the TLS connection over it */
  GCancellable       *cancellable;
  GSource            *idle;
  gint64              last_active;     /* monotonic µs */

  GByteArray         *input;
  gsize               input_pos;
  gsize               read_base;
  GString            *output;
  NextStep            next;

  gboolean            implicit_tls;
  gboolean            refused;
  gboolean            tls;
  gboolean            greeted;
  gboolean            authenticated;
  gboolean            login_user_ok;
  gboolean            reading;
  gboolean            writing;
  gboolean            expiring;
  gboolean            closing;
  guint               auth_failures;
  ConnectionState     state;

  char               *from;
  GPtrArray          *recipients;
  GByteArray         *message;
  gboolean            data_line_start;
  gboolean            data_too_big;
} Connection;

static void connection_process (Connection *conn);
static void connection_close   (Connection *conn);
static void connection_reply   (Connection *conn,
                                NextStep    next,
                                const char *format,
                                ...) G_GNUC_PRINTF (3, 4);

static void
wipe (void  *data,
      gsize  length)
{
  if (data != NULL && length > 0)
    explicit_bzero (data, length);
}

static void
connection_reset_transaction (Connection *conn)
{
  g_clear_pointer (&conn->from, g_free);
  g_ptr_array_set_size (conn->recipients, 0);
  g_clear_pointer (&conn->message, g_byte_array_unref);
  conn->data_too_big = FALSE;
}

static void
connection_clear (Connection *conn)
{
  g_assert (conn->idle == NULL);

  g_clear_pointer (&conn->context, g_main_context_unref);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->tcp);
  g_clear_object (&conn->cancellable);
  wipe (conn->input->data, conn->input->len);
  g_clear_pointer (&conn->input, g_byte_array_unref);
  g_string_free (conn->output, TRUE);
  g_clear_pointer (&conn->from, g_free);
  g_clear_pointer (&conn->recipients, g_ptr_array_unref);
  g_clear_pointer (&conn->message, g_byte_array_unref);
}

static Connection *
connection_ref (Connection *conn)
{
  return g_rc_box_acquire (conn);
}

static void
connection_unref (Connection *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify)connection_clear);
}

static gboolean
idle_timeout_cb (gpointer user_data)
{
  Connection *conn = user_data;

  g_clear_pointer (&conn->idle, g_source_unref);

  g_debug ("Closing an idle connection");

  /* the usual case, a client that went quiet: say so before closing */
  if (conn->reading && !conn->writing)
    {
      /* the pending read is ignored from now on */
      conn->expiring = TRUE;
      connection_reply (conn, NEXT_CLOSE, "421 4.4.2 localhost Idle timeout, closing connection");
      return G_SOURCE_REMOVE;
    }

  connection_close (conn);
  return G_SOURCE_REMOVE;
}

/* Restarts the idle timer: called whenever the client did something */
static void
connection_touch (Connection *conn)
{
  if (conn->closing || conn->expiring)
    return;

  if (conn->idle != NULL)
    {
      g_source_destroy (conn->idle);
      g_clear_pointer (&conn->idle, g_source_unref);
    }

  conn->last_active = g_get_monotonic_time ();
  conn->idle = g_timeout_source_new_seconds (conn->authenticated ? IDLE_TIMEOUT : IDLE_TIMEOUT_ANON);
  g_source_set_callback (conn->idle, idle_timeout_cb, connection_ref (conn),
                         (GDestroyNotify)connection_unref);
  g_source_attach (conn->idle, conn->context);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Connection *conn = user_data;

  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
  connection_unref (conn);
}

static void
connection_close (Connection *conn)
{
  RelaySandboxServer *server = conn->server;

  if (conn->closing)
    return;
  conn->closing = TRUE;

  if (conn->idle != NULL)
    {
      g_source_destroy (conn->idle);
      g_clear_pointer (&conn->idle, g_source_unref);
    }

  g_cancellable_cancel (conn->cancellable);
  g_io_stream_close_async (conn->stream, G_PRIORITY_DEFAULT, NULL, close_cb, connection_ref (conn));

  conn->server = NULL;
  if (server != NULL)
    g_ptr_array_remove_fast (server->connections, conn);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data);

static void
connection_send (Connection *conn,
                 NextStep    next)
{
  g_assert (!conn->writing);
  g_assert (conn->output->len > 0);

  conn->writing = TRUE;
  conn->next = next;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                   conn->output->str, conn->output->len,
                                   G_PRIORITY_DEFAULT, conn->cancellable,
                                   write_cb, connection_ref (conn));
}

static void
connection_reply (Connection *conn,
                  NextStep    next,
                  const char *format,
                  ...)
{
  va_list args;

  va_start (args, format);
  g_string_append_vprintf (conn->output, format, args);
  va_end (args);
  g_string_append (conn->output, "\r\n");

  connection_send (conn, next);
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connection *conn = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      if (!conn->closing)
        {
          g_debug ("TLS handshake failed: %s", error->message);
          connection_close (conn);
        }
      connection_unref (conn);
      return;
    }

  if (conn->closing)
    {
      connection_unref (conn);
      return;
    }

  g_set_object (&conn->stream, G_IO_STREAM (object));
  conn->tls = TRUE;
  connection_touch (conn);

  if (conn->implicit_tls)
    {
      if (conn->refused)
        connection_reply (conn, NEXT_CLOSE, "421 4.7.0 localhost Too many connections, try again later");
      else
        connection_reply (conn, NEXT_CONTINUE, GREETING);
    }
  else
    connection_process (conn);

  connection_unref (conn);
}

static void
connection_start_tls (Connection *conn)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (conn->server != NULL);

  /* RFC 3207: what the client sent before the handshake is not trusted */
  wipe (conn->input->data, conn->input->len);
  g_byte_array_set_size (conn->input, 0);
  conn->input_pos = 0;
  conn->greeted = FALSE;
  conn->state = STATE_COMMAND;
  connection_reset_transaction (conn);

  tls = g_tls_server_connection_new (G_IO_STREAM (conn->tcp), conn->server->certificate, &error);
  if (tls == NULL)
    {
      g_debug ("Could not start TLS: %s", error->message);
      connection_close (conn);
      return;
    }

  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, conn->cancellable,
                                    handshake_cb, connection_ref (conn));
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Connection *conn = user_data;
  g_autoptr(GError) error = NULL;

  conn->writing = FALSE;
  g_string_truncate (conn->output, 0);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      if (!conn->closing)
        {
          g_debug ("Could not write to the client: %s", error->message);
          connection_close (conn);
        }
    }
  else if (!conn->closing)
    {
      connection_touch (conn);

      switch (conn->next)
        {
        case NEXT_CONTINUE:
          connection_process (conn);
          break;
        case NEXT_CLOSE:
          connection_close (conn);
          break;
        case NEXT_STARTTLS:
          connection_start_tls (conn);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  connection_unref (conn);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Connection *conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  conn->reading = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  g_byte_array_set_size (conn->input, conn->read_base + MAX (n, 0));

  if (conn->closing || conn->expiring)
    ;
  else if (n < 0)
    {
      g_debug ("Could not read from the client: %s", error->message);
      connection_close (conn);
    }
  else if (n == 0)
    connection_close (conn);
  else
    {
      connection_touch (conn);
      connection_process (conn);
    }

  connection_unref (conn);
}

static void
connection_read (Connection *conn)
{
  gsize remaining = conn->input->len - conn->input_pos;

  g_assert (!conn->reading);

  /* keep the buffer small: what was used goes, and is wiped */
  if (conn->input_pos > 0)
    {
      memmove (conn->input->data, conn->input->data + conn->input_pos, remaining);
      wipe (conn->input->data + remaining, conn->input->len - remaining);
      g_byte_array_set_size (conn->input, remaining);
      conn->input_pos = 0;
    }

  conn->read_base = conn->input->len;
  g_byte_array_set_size (conn->input, conn->read_base + READ_SIZE);

  conn->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream),
                             conn->input->data + conn->read_base, READ_SIZE,
                             G_PRIORITY_DEFAULT, conn->cancellable,
                             read_cb, connection_ref (conn));
}

/* NULL when @text is not base64; an empty string decodes to "" */
static guchar *
decode_base64 (const char *text,
               gsize      *length)
{
  gsize n = strlen (text);

  if (n == 0 || strcmp (text, "=") == 0)
    {
      *length = 0;
      return (guchar *)g_strdup ("");
    }

  if (n % 4 != 0 ||
      strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
    return NULL;

  return g_base64_decode (text, length);
}

static void
auth_result (Connection *conn,
             gboolean    success)
{
  conn->state = STATE_COMMAND;

  if (success)
    {
      conn->authenticated = TRUE;
      /* signed in: the longer idle timeout from now on */
      connection_touch (conn);
      connection_reply (conn, NEXT_CONTINUE, "235 2.7.0 Authentication successful");
    }
  else if (++conn->auth_failures >= MAX_AUTH_FAILURES)
    connection_reply (conn, NEXT_CLOSE, "421 4.7.0 localhost Too many failed authentications");
  else
    connection_reply (conn, NEXT_CONTINUE, "535 5.7.8 Authentication credentials invalid");
}

static gboolean
auth_cancelled (Connection *conn,
                const char *line)
{
  if (strcmp (line, "*") != 0)
    return FALSE;

  conn->state = STATE_COMMAND;
  connection_reply (conn, NEXT_CONTINUE, "501 5.7.0 Authentication cancelled");
  return TRUE;
}

static void
auth_plain (Connection *conn,
            const char *response)
{
  gsize length = 0;
  guchar *decoded = decode_base64 (response, &length);
  const char *authzid, *authcid, *password;
  const char *end;
  gboolean success = FALSE;

  if (decoded == NULL)
    {
      conn->state = STATE_COMMAND;
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.2 Cannot decode the response");
      return;
    }

  /* authzid NUL authcid NUL password */
  authzid = (const char *)decoded;
  end = authzid + length;
  authcid = memchr (authzid, '\0', length);
  if (authcid != NULL && ++authcid < end)
    {
      password = memchr (authcid, '\0', end - authcid);
      if (password != NULL)
        {
          gsize authcid_length = password - authcid;
          gsize authzid_length = authcid - 1 - authzid;

          password++;
          success = authcid_length == strlen (USERNAME) &&
                    memcmp (authcid, USERNAME, authcid_length) == 0 &&
                    (authzid_length == 0 ||
                     (authzid_length == authcid_length && memcmp (authzid, authcid, authzid_length) == 0));
          success = relay_secure_equal (password, end - password, conn->server->password,
                                        strlen (conn->server->password)) && success;
        }
    }

  wipe (decoded, length);
  g_free (decoded);

  auth_result (conn, success);
}

static void
auth_login_password (Connection *conn,
                     const char *response)
{
  gsize length = 0;
  guchar *decoded = decode_base64 (response, &length);
  gboolean success;

  if (decoded == NULL)
    {
      conn->state = STATE_COMMAND;
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.2 Cannot decode the response");
      return;
    }

  /* a wrong user name fails here, like a wrong password */
  success = relay_secure_equal (decoded, length, conn->server->password,
                                strlen (conn->server->password)) &&
            conn->login_user_ok;
  conn->login_user_ok = FALSE;
  wipe (decoded, length);
  g_free (decoded);

  auth_result (conn, success);
}

static void
auth_login_user (Connection *conn,
                 const char *response)
{
  gsize length = 0;
  g_autofree guchar *decoded = decode_base64 (response, &length);

  if (decoded == NULL)
    {
      conn->state = STATE_COMMAND;
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.2 Cannot decode the response");
      return;
    }

  conn->login_user_ok = length == strlen (USERNAME) && memcmp (decoded, USERNAME, length) == 0;
  conn->state = STATE_AUTH_LOGIN_PASSWORD;
  connection_reply (conn, NEXT_CONTINUE, "334 UGFzc3dvcmQ6");
}

/* 530 before TLS, 503 before EHLO; FALSE when a reply was sent */
static gboolean
check_ready (Connection *conn)
{
  if (!conn->tls)
    {
      connection_reply (conn, NEXT_CONTINUE, "530 5.7.0 Must issue a STARTTLS command first");
      return FALSE;
    }

  if (!conn->greeted)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Send EHLO first");
      return FALSE;
    }

  return TRUE;
}

static void
handle_auth (Connection *conn,
             const char *args)
{
  g_autofree char *mechanism = NULL;
  const char *initial = NULL;
  const char *space;

  if (!check_ready (conn))
    return;

  if (conn->authenticated)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Already authenticated");
      return;
    }

  if (conn->from != NULL)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 AUTH not permitted during a mail transaction");
      return;
    }

  if ((space = strchr (args, ' ')) != NULL)
    {
      mechanism = g_strndup (args, space - args);
      initial = space + 1;
    }
  else
    mechanism = g_strdup (args);

  if (g_ascii_strcasecmp (mechanism, "PLAIN") == 0)
    {
      if (initial != NULL)
        auth_plain (conn, initial);
      else
        {
          conn->state = STATE_AUTH_PLAIN;
          connection_reply (conn, NEXT_CONTINUE, "334 ");
        }
    }
  else if (g_ascii_strcasecmp (mechanism, "LOGIN") == 0)
    {
      if (initial != NULL)
        auth_login_user (conn, initial);
      else
        {
          conn->state = STATE_AUTH_LOGIN_USER;
          connection_reply (conn, NEXT_CONTINUE, "334 VXNlcm5hbWU6");
        }
    }
  else if (mechanism[0] == '\0')
    connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: AUTH mechanism");
  else
    connection_reply (conn, NEXT_CONTINUE, "504 5.5.4 Unrecognized authentication type");
}

static void
handle_ehlo (Connection *conn,
             const char *args,
             gboolean    extended)
{
  if (args[0] == '\0')
    {
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: %s hostname", extended ? "EHLO" : "HELO");
      return;
    }

  conn->greeted = TRUE;
  connection_reset_transaction (conn);

  if (!extended)
    {
      connection_reply (conn, NEXT_CONTINUE, "250 localhost");
      return;
    }

  g_string_append (conn->output,
                   "250-localhost\r\n"
                   "250-PIPELINING\r\n"
                   "250-SIZE " G_STRINGIFY (MAX_MESSAGE) "\r\n"
                   "250-8BITMIME\r\n");
  if (conn->tls)
    connection_reply (conn, NEXT_CONTINUE, "250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN");
  else
    connection_reply (conn, NEXT_CONTINUE, "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS");
}

/* "<path> params" after "FROM:" or "TO:"; the address goes to @address */
static gboolean
parse_path (const char  *text,
            char       **address,
            const char **params)
{
  const char *end;

  while (*text == ' ')
    text++;

  if (*text != '<' || (end = strchr (text, '>')) == NULL)
    return FALSE;

  for (const char *p = text + 1; p < end; p++)
    if ((guchar)*p <= ' ' || *p == '<' || *p == 0x7f)
      return FALSE;

  if (!g_utf8_validate (text + 1, end - text - 1, NULL))
    return FALSE;

  *address = g_strndup (text + 1, end - text - 1);
  *params = end + 1;
  return TRUE;
}

static void
handle_mail (Connection *conn,
             const char *args)
{
  g_autofree char *address = NULL;
  g_auto(GStrv) params = NULL;
  const char *rest;

  if (!check_ready (conn))
    return;

  if (!conn->authenticated)
    {
      connection_reply (conn, NEXT_CONTINUE, "530 5.7.0 Authentication required");
      return;
    }

  if (conn->from != NULL)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Nested MAIL command");
      return;
    }

  if (g_ascii_strncasecmp (args, "FROM:", 5) != 0 || !parse_path (args + 5, &address, &rest))
    {
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: MAIL FROM:<address>");
      return;
    }

  params = g_strsplit (rest, " ", -1);
  for (guint i = 0; params[i]; i++)
    {
      guint64 size;

      if (params[i][0] == '\0')
        continue;

      if (g_ascii_strncasecmp (params[i], "SIZE=", 5) == 0)
        {
          if (!g_ascii_string_to_unsigned (params[i] + 5, 10, 0, G_MAXUINT64, &size, NULL))
            {
              connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Bad SIZE parameter");
              return;
            }
          if (size > MAX_MESSAGE)
            {
              connection_reply (conn, NEXT_CONTINUE, "552 5.3.4 Message size exceeds fixed limit");
              return;
            }
        }
      else if (g_ascii_strcasecmp (params[i], "BODY=7BIT") != 0 &&
               g_ascii_strcasecmp (params[i], "BODY=8BITMIME") != 0)
        {
          connection_reply (conn, NEXT_CONTINUE, "555 5.5.4 Unsupported parameter");
          return;
        }
    }

  conn->from = g_steal_pointer (&address);
  connection_reply (conn, NEXT_CONTINUE, "250 2.1.0 Ok");
}

static void
handle_rcpt (Connection *conn,
             const char *args)
{
  g_autofree char *address = NULL;
  const char *rest;

  if (!check_ready (conn))
    return;

  if (!conn->authenticated)
    {
      connection_reply (conn, NEXT_CONTINUE, "530 5.7.0 Authentication required");
      return;
    }

  if (conn->from == NULL)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Need MAIL command");
      return;
    }

  if (g_ascii_strncasecmp (args, "TO:", 3) != 0 || !parse_path (args + 3, &address, &rest))
    {
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: RCPT TO:<address>");
      return;
    }

  if (address[0] == '\0')
    {
      connection_reply (conn, NEXT_CONTINUE, "501 5.1.3 Bad recipient address syntax");
      return;
    }

  if (strspn (rest, " ") != strlen (rest))
    {
      connection_reply (conn, NEXT_CONTINUE, "555 5.5.4 Unsupported parameter");
      return;
    }

  if (conn->recipients->len >= MAX_RECIPIENTS)
    {
      connection_reply (conn, NEXT_CONTINUE, "452 4.5.3 Too many recipients");
      return;
    }

  g_ptr_array_add (conn->recipients, g_steal_pointer (&address));
  connection_reply (conn, NEXT_CONTINUE, "250 2.1.5 Ok");
}

static void
handle_data (Connection *conn,
             const char *args)
{
  if (args[0] != '\0')
    {
      connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: DATA");
      return;
    }

  if (!check_ready (conn))
    return;

  if (!conn->authenticated)
    {
      connection_reply (conn, NEXT_CONTINUE, "530 5.7.0 Authentication required");
      return;
    }

  if (conn->from == NULL)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Need MAIL command");
      return;
    }

  if (conn->recipients->len == 0)
    {
      connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Need RCPT command");
      return;
    }

  conn->state = STATE_DATA;
  conn->message = g_byte_array_new ();
  conn->data_line_start = TRUE;
  conn->data_too_big = FALSE;
  connection_reply (conn, NEXT_CONTINUE, "354 End data with <CR><LF>.<CR><LF>");
}

static void
finish_data (Connection *conn)
{
  g_autoptr(RelaySandboxServer) server = g_object_ref (conn->server);
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) recipients = NULL;
  g_autofree char *from = NULL;
  guint id;

  conn->state = STATE_COMMAND;

  if (conn->data_too_big)
    {
      connection_reset_transaction (conn);
      connection_reply (conn, NEXT_CONTINUE, "552 5.3.4 Message size exceeds fixed limit");
      return;
    }

  for (guint i = 0; i < conn->recipients->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (conn->recipients, i));
  recipients = g_strv_builder_end (builder);
  from = g_steal_pointer (&conn->from);
  message = g_byte_array_free_to_bytes (g_steal_pointer (&conn->message));
  connection_reset_transaction (conn);

  id = ++server->n_received;

  /* before the reply, so that a client that saw 250 knows it was handed over */
  g_object_notify_by_pspec (G_OBJECT (server), properties[PROP_N_RECEIVED]);
  g_signal_emit (server, signals[MESSAGE_RECEIVED], 0, from, recipients, message);

  /* a handler may have stopped the server */
  if (conn->closing)
    return;

  connection_reply (conn, NEXT_CONTINUE, "250 2.0.0 Ok: queued as %u", id);
}

static void
data_append (Connection   *conn,
             const guint8 *data,
             gsize         length)
{
  if (conn->data_too_big || length == 0)
    return;

  if (length > MAX_MESSAGE - conn->message->len)
    {
      conn->data_too_big = TRUE;
      g_byte_array_set_size (conn->message, 0);
      return;
    }

  g_byte_array_append (conn->message, data, length);
}

/* Takes the message from the input, undoing the dot-stuffing; only CRLF
 * ends a line, so CR LF . CR LF is the one end of data (no bare-LF
 * ambiguity). TRUE at the end of the data. */
static gboolean
consume_data (Connection *conn)
{
  for (;;)
    {
      const guint8 *start = conn->input->data + conn->input_pos;
      gsize available = conn->input->len - conn->input_pos;
      const guint8 *newline = available ? memchr (start, '\n', available) : NULL;
      gboolean line_end = FALSE;
      gsize length;

      if (newline != NULL)
        {
          length = newline - start + 1;
          line_end = length >= 2 && newline[-1] == '\r';
        }
      else if (available >= DATA_CHUNK)
        {
          /* a long line goes in pieces, keeping the buffer small; a CR
           * waits for what follows */
          length = start[available - 1] == '\r' ? available - 1 : available;
        }
      else
        return FALSE;

      if (conn->data_line_start && length == 3 && memcmp (start, ".\r\n", 3) == 0)
        {
          conn->input_pos += length;
          return TRUE;
        }

      if (conn->data_line_start && start[0] == '.')
        data_append (conn, start + 1, length - 1);
      else
        data_append (conn, start, length);

      conn->data_line_start = line_end;
      conn->input_pos += length;
    }
}

static void
handle_line (Connection *conn,
             char       *line)
{
  g_autofree char *verb = NULL;
  const char *args;
  const char *space;

  switch (conn->state)
    {
    case STATE_AUTH_PLAIN:
      if (!auth_cancelled (conn, line))
        auth_plain (conn, line);
      return;
    case STATE_AUTH_LOGIN_USER:
      if (!auth_cancelled (conn, line))
        auth_login_user (conn, line);
      return;
    case STATE_AUTH_LOGIN_PASSWORD:
      if (!auth_cancelled (conn, line))
        auth_login_password (conn, line);
      return;
    case STATE_COMMAND:
      break;
    case STATE_DATA:
    default:
      g_assert_not_reached ();
    }

  if ((space = strchr (line, ' ')) != NULL)
    {
      verb = g_strndup (line, space - line);
      args = space + 1;
    }
  else
    {
      verb = g_strdup (line);
      args = "";
    }

  if (g_ascii_strcasecmp (verb, "EHLO") == 0)
    handle_ehlo (conn, args, TRUE);
  else if (g_ascii_strcasecmp (verb, "HELO") == 0)
    handle_ehlo (conn, args, FALSE);
  else if (g_ascii_strcasecmp (verb, "STARTTLS") == 0)
    {
      if (conn->tls)
        connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 TLS already active");
      else if (args[0] != '\0')
        connection_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: STARTTLS");
      else if (!conn->greeted)
        connection_reply (conn, NEXT_CONTINUE, "503 5.5.1 Send EHLO first");
      else
        connection_reply (conn, NEXT_STARTTLS, "220 2.0.0 Ready to start TLS");
    }
  else if (g_ascii_strcasecmp (verb, "AUTH") == 0)
    handle_auth (conn, args);
  else if (g_ascii_strcasecmp (verb, "MAIL") == 0)
    handle_mail (conn, args);
  else if (g_ascii_strcasecmp (verb, "RCPT") == 0)
    handle_rcpt (conn, args);
  else if (g_ascii_strcasecmp (verb, "DATA") == 0)
    handle_data (conn, args);
  else if (g_ascii_strcasecmp (verb, "RSET") == 0)
    {
      connection_reset_transaction (conn);
      connection_reply (conn, NEXT_CONTINUE, "250 2.0.0 Ok");
    }
  else if (g_ascii_strcasecmp (verb, "NOOP") == 0)
    connection_reply (conn, NEXT_CONTINUE, "250 2.0.0 Ok");
  else if (g_ascii_strcasecmp (verb, "QUIT") == 0)
    connection_reply (conn, NEXT_CLOSE, "221 2.0.0 Bye");
  else
    connection_reply (conn, NEXT_CONTINUE, "500 5.5.2 Command not recognized");
}

/* Handles what is buffered, one reply at a time: each reply, once
 * written, brings us back here; with nothing left, reads. */
static void
connection_process (Connection *conn)
{
  const guint8 *start;
  const guint8 *newline;
  gsize available;
  gsize length;
  char *line;

  g_assert (!conn->writing && !conn->reading);

  if (conn->closing)
    return;

  if (conn->state == STATE_DATA)
    {
      if (consume_data (conn))
        finish_data (conn);
      else
        connection_read (conn);
      return;
    }

  start = conn->input->data + conn->input_pos;
  available = conn->input->len - conn->input_pos;
  newline = available ? memchr (start, '\n', MIN (available, MAX_LINE + 2)) : NULL;

  if (newline == NULL)
    {
      if (available >= MAX_LINE + 2)
        connection_reply (conn, NEXT_CLOSE, "500 5.5.2 Line too long");
      else
        connection_read (conn);
      return;
    }

  length = newline - start;
  conn->input_pos += length + 1;
  if (length > 0 && start[length - 1] == '\r')
    length--;

  if (length > MAX_LINE)
    {
      connection_reply (conn, NEXT_CLOSE, "500 5.5.2 Line too long");
      return;
    }

  if (memchr (start, '\0', length) != NULL)
    {
      connection_reply (conn, NEXT_CONTINUE, "500 5.5.2 Invalid character in command");
      return;
    }

  line = g_strndup ((const char *)start, length);
  handle_line (conn, line);
  wipe (line, length);
  g_free (line);
}

static gboolean
incoming_cb (GSocketService     *service,
             GSocketConnection  *connection,
             GObject            *source_object,
             RelaySandboxServer *self)
{
  g_autoptr(GSocketAddress) local = NULL;
  Connection *conn;

  local = g_socket_connection_get_local_address (connection, NULL);

  conn = g_rc_box_new0 (Connection);
  conn->server = self;
  conn->context = g_main_context_ref (self->context);
  conn->tcp = g_object_ref (connection);
  conn->stream = g_object_ref (G_IO_STREAM (connection));
  conn->cancellable = g_cancellable_new ();
  conn->input = g_byte_array_new ();
  conn->output = g_string_new (NULL);
  conn->recipients = g_ptr_array_new_with_free_func (g_free);
  conn->implicit_tls = local != NULL && G_IS_INET_SOCKET_ADDRESS (local) &&
                       g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) == self->tls_port;
  /* full: the longest-idle connection that never signed in makes room,
   * so that a hundred idle sockets do not lock everyone else out */
  if (self->connections->len >= MAX_CONNECTIONS)
    {
      Connection *oldest = NULL;

      for (guint i = 0; i < self->connections->len; i++)
        {
          Connection *other = g_ptr_array_index (self->connections, i);

          if (!other->authenticated && !other->closing && !other->expiring &&
              (oldest == NULL || other->last_active < oldest->last_active))
            oldest = other;
        }

      if (oldest != NULL)
        connection_close (oldest);
    }
  conn->refused = self->connections->len >= MAX_CONNECTIONS;

  /* a safety net under the idle timer, for TLS work done in threads */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), IDLE_TIMEOUT + 5);

  g_ptr_array_add (self->connections, conn);
  connection_touch (conn);

  if (conn->implicit_tls)
    connection_start_tls (conn);
  else if (conn->refused)
    connection_reply (conn, NEXT_CLOSE, "421 4.7.0 localhost Too many connections, try again later");
  else
    connection_reply (conn, NEXT_CONTINUE, GREETING);

  return TRUE;
}

static GTlsCertificate *
generate_certificate (GError **error)
{
  static const guint8 loopback[4] = { 127, 0, 0, 1 };
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t key_pem = { NULL, 0 };
  gnutls_datum_t crt_pem = { NULL, 0 };
  GTlsCertificate *certificate = NULL;
  guint8 serial[16];
  time_t start = time (NULL) - 3600;
  int ret;

  relay_secure_random (serial, sizeof serial);
  /* positive, and no leading zero byte to trouble DER */
  serial[0] = (serial[0] & 0x7f) | 0x40;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0 ||
      (ret = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                           GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
      (ret = gnutls_x509_crt_init (&crt)) < 0 ||
      (ret = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (ret = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0 ||
      (ret = gnutls_x509_crt_set_activation_time (crt, start)) < 0 ||
      (ret = gnutls_x509_crt_set_expiration_time (crt, start + 365 * 24 * 3600)) < 0 ||
      (ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                            COMMON_NAME, strlen (COMMON_NAME))) < 0 ||
      (ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost",
                                                   strlen ("localhost"), GNUTLS_FSAN_SET)) < 0 ||
      (ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback,
                                                   sizeof loopback, GNUTLS_FSAN_APPEND)) < 0 ||
      (ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
      (ret = gnutls_x509_crt_set_key (crt, key)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0 ||
      (ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                GNUTLS_PKCS_PLAIN, &key_pem)) < 0)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                 _("Could not create the test server’s certificate: %s"), gnutls_strerror (ret));
  else
    {
      gsize pem_length = crt_pem.size + key_pem.size;
      char *pem = g_malloc (pem_length + 1);

      memcpy (pem, crt_pem.data, crt_pem.size);
      memcpy (pem + crt_pem.size, key_pem.data, key_pem.size);
      pem[pem_length] = '\0';

      certificate = g_tls_certificate_new_from_pem (pem, pem_length, error);

      wipe (pem, pem_length);
      g_free (pem);
    }

  if (key_pem.data != NULL)
    {
      wipe (key_pem.data, key_pem.size);
      gnutls_free (key_pem.data);
    }
  gnutls_free (crt_pem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);

  return certificate;
}

static void
relay_sandbox_server_dispose (GObject *object)
{
  RelaySandboxServer *self = (RelaySandboxServer *)object;

  relay_sandbox_server_stop (self);

  G_OBJECT_CLASS (relay_sandbox_server_parent_class)->dispose (object);
}

static void
relay_sandbox_server_finalize (GObject *object)
{
  RelaySandboxServer *self = (RelaySandboxServer *)object;

  wipe (self->password, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->certificate_sha256, g_free);
  g_clear_pointer (&self->connections, g_ptr_array_unref);

  G_OBJECT_CLASS (relay_sandbox_server_parent_class)->finalize (object);
}

static void
relay_sandbox_server_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  RelaySandboxServer *self = RELAY_SANDBOX_SERVER (object);

  switch (prop_id)
    {
    case PROP_N_RECEIVED:
      g_value_set_uint (value, self->n_received);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_sandbox_server_class_init (RelaySandboxServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = relay_sandbox_server_dispose;
  object_class->finalize = relay_sandbox_server_finalize;
  object_class->get_property = relay_sandbox_server_get_property;

  properties[PROP_N_RECEIVED] =
    g_param_spec_uint ("n-received", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * RelaySandboxServer::message-received:
   * @from: the envelope sender, "" for the null sender
   * @recipients: the envelope recipients
   * @message: the message as sent, dot-stuffing undone, without the
   *   final "." line
   */
  signals[MESSAGE_RECEIVED] =
    g_signal_new ("message-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRV, G_TYPE_BYTES);
}

static void
relay_sandbox_server_init (RelaySandboxServer *self)
{
  guint8 bytes[PASSWORD_BYTES];

  relay_secure_random (bytes, sizeof bytes);

  self->password = g_base64_encode (bytes, sizeof bytes);
  wipe (bytes, sizeof bytes);
  g_strdelimit (self->password, "+", '-');
  g_strdelimit (self->password, "/", '_');

  self->connections = g_ptr_array_new_with_free_func ((GDestroyNotify)connection_unref);
}

RelaySandboxServer *
relay_sandbox_server_new (void)
{
  return g_object_new (RELAY_TYPE_SANDBOX_SERVER, NULL);
}

static gboolean
listen_on (RelaySandboxServer  *self,
           guint                port,
           guint               *effective_port,
           GError             **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_from_string ("127.0.0.1");
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocketAddress) effective = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    return FALSE;

  *effective_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return TRUE;
}

/**
 * relay_sandbox_server_start:
 * @starttls_port: the port for STARTTLS, or 0 for one the kernel picks
 * @tls_port: the port for implicit TLS, or 0 for one the kernel picks
 *
 * Makes a new certificate and listens on 127.0.0.1. Everything then runs
 * on the thread-default main context of the caller.
 */
gboolean
relay_sandbox_server_start (RelaySandboxServer  *self,
                            guint                starttls_port,
                            guint                tls_port,
                            GError             **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;

  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);
  g_return_val_if_fail (starttls_port < 65536 && tls_port < 65536, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(certificate = generate_certificate (error)))
    return FALSE;

  g_set_object (&self->certificate, certificate);
  g_free (self->certificate_sha256);
  self->certificate_sha256 = relay_certificate_sha256 (certificate);

  self->context = g_main_context_ref_thread_default ();
  /* inactive until both ports are added: each port added to an active
   * service cancels and restarts its accept, and a client that connects
   * meanwhile would be accepted and dropped */
  self->service = g_object_new (G_TYPE_SOCKET_SERVICE, "active", FALSE, NULL);
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);

  if (!listen_on (self, starttls_port, &self->starttls_port, error) ||
      !listen_on (self, tls_port, &self->tls_port, error))
    {
      relay_sandbox_server_stop (self);
      return FALSE;
    }

  g_socket_service_start (self->service);
  g_debug ("Listening on 127.0.0.1 ports %u (STARTTLS) and %u (TLS)", self->starttls_port, self->tls_port);

  return TRUE;
}

/**
 * relay_sandbox_server_stop:
 *
 * Stops listening and closes every connection; a message not yet
 * complete is lost. The server can be started again.
 */
void
relay_sandbox_server_stop (RelaySandboxServer *self)
{
  g_autoptr(GPtrArray) connections = NULL;

  g_return_if_fail (RELAY_IS_SANDBOX_SERVER (self));

  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->service, incoming_cb, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }

  connections = g_ptr_array_copy (self->connections, (GCopyFunc)connection_ref, NULL);
  g_ptr_array_set_free_func (connections, (GDestroyNotify)connection_unref);
  for (guint i = 0; i < connections->len; i++)
    connection_close (g_ptr_array_index (connections, i));

  g_clear_pointer (&self->context, g_main_context_unref);
  self->starttls_port = 0;
  self->tls_port = 0;
}

gboolean
relay_sandbox_server_is_running (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), FALSE);

  return self->service != NULL;
}

const char *
relay_sandbox_server_get_username (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), NULL);

  return USERNAME;
}

#define GETTER(type, name, expr)                                 \
  type                                                           \
  relay_sandbox_server_get_##name (RelaySandboxServer *self)     \
  {                                                              \
    g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), 0);    \
    return expr;                                                 \
  }

GETTER (guint, starttls_port, self->starttls_port)
GETTER (guint, tls_port, self->tls_port)
GETTER (const char *, password, self->password)
GETTER (const char *, certificate_sha256, self->certificate_sha256)
GETTER (GTlsCertificate *, certificate, self->certificate)
GETTER (guint, n_received, self->n_received)

#undef GETTER
