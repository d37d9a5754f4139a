/* relay-smtp-server-session.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The server side of one SMTP connection, its life and I/O: greeting or
 * refusal, implicit TLS and STARTTLS, reading bounded lines, writing one
 * reply at a time, the idle timer, closing. The commands themselves are
 * in relay-smtp-server-commands.c; listening, accounts and what becomes
 * of a message belong to the session's owner (the local test server, the
 * relay's submission listener). */

#define G_LOG_DOMAIN "relay-smtp-server-session"

#include "config.h"

#include <string.h>

#include "relay-secure-private.h"
#include "relay-smtp-server-session-private.h"

#define MAX_LINE            2048
#define READ_SIZE           16384

static void connection_process (RelaySmtpServerSession *conn);
static void connection_close   (RelaySmtpServerSession *conn);

void
_relay_smtp_server_reset_transaction (RelaySmtpServerSession *conn)
{
  g_clear_pointer (&conn->from, g_free);
  g_ptr_array_set_size (conn->recipients, 0);
  g_clear_pointer (&conn->message, g_byte_array_unref);
  conn->data_too_big = FALSE;
}

static void
connection_clear (RelaySmtpServerSession *conn)
{
  g_assert (conn->idle == NULL);

  g_clear_pointer (&conn->context, g_main_context_unref);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->tcp);
  g_clear_object (&conn->cancellable);
  relay_secure_wipe (conn->input->data, conn->input->len);
  g_clear_pointer (&conn->input, g_byte_array_unref);
  g_string_free (conn->output, TRUE);
  g_clear_pointer (&conn->from, g_free);
  g_clear_pointer (&conn->recipients, g_ptr_array_unref);
  g_clear_pointer (&conn->message, g_byte_array_unref);
  relay_secure_wipe (conn->login_user, conn->login_user_length);
  g_clear_pointer (&conn->login_user, g_free);
  g_free ((char *)conn->config.host_name);
  g_free ((char *)conn->config.greeting);
  g_clear_object (&conn->config.certificate);
}

static RelaySmtpServerSession *
connection_ref (RelaySmtpServerSession *conn)
{
  return g_rc_box_acquire (conn);
}

static void
connection_unref (RelaySmtpServerSession *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify)connection_clear);
}

static gboolean
idle_timeout_cb (gpointer user_data)
{
  RelaySmtpServerSession *conn = user_data;

  g_clear_pointer (&conn->idle, g_source_unref);

  g_debug ("Closing an idle connection");

  /* the usual case, a client that went quiet: say so before closing */
  if (conn->reading && !conn->writing)
    {
      /* the pending read is ignored from now on */
      conn->expiring = TRUE;
      _relay_smtp_server_reply (conn, NEXT_CLOSE, "421 4.4.2 %s Idle timeout, closing connection",
                                conn->config.host_name);
      return G_SOURCE_REMOVE;
    }

  connection_close (conn);
  return G_SOURCE_REMOVE;
}

static void
stop_idle_timer (RelaySmtpServerSession *conn)
{
  if (conn->idle != NULL)
    {
      g_source_destroy (conn->idle);
      g_clear_pointer (&conn->idle, g_source_unref);
    }
}

/* Restarts the idle timer: called whenever the client did something */
void
_relay_smtp_server_touch (RelaySmtpServerSession *conn)
{
  if (conn->closing || conn->expiring)
    return;

  stop_idle_timer (conn);

  conn->last_active = g_get_monotonic_time ();
  conn->idle = g_timeout_source_new_seconds (conn->authenticated
                                             ? conn->config.idle_timeout
                                             : conn->config.idle_timeout_anonymous);
  g_source_set_callback (conn->idle, idle_timeout_cb, connection_ref (conn),
                         (GDestroyNotify)connection_unref);
  g_source_attach (conn->idle, conn->context);
}

static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  RelaySmtpServerSession *conn = user_data;

  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
  connection_unref (conn);
}

static void
connection_close (RelaySmtpServerSession *conn)
{
  const RelaySmtpServerSessionCallbacks *callbacks = conn->callbacks;
  gpointer owner = conn->owner;

  if (conn->closing)
    return;
  conn->closing = TRUE;

  stop_idle_timer (conn);

  g_cancellable_cancel (conn->cancellable);
  g_io_stream_close_async (conn->stream, G_PRIORITY_DEFAULT, NULL, close_cb, connection_ref (conn));

  conn->callbacks = NULL;
  conn->owner = NULL;
  if (callbacks != NULL && callbacks->closed != NULL)
    callbacks->closed (conn, owner);
}

/* A failed read, write or handshake ends the session, unless it is
 * closing already (which is what cancelled it) */
static void
connection_fail (RelaySmtpServerSession *conn,
                 const char             *what,
                 const GError           *error)
{
  if (conn->closing)
    return;

  g_debug ("%s: %s", what, error->message);
  connection_close (conn);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data);

static void
connection_send (RelaySmtpServerSession *conn,
                 NextStep                next)
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

void
_relay_smtp_server_reply (RelaySmtpServerSession *conn,
                          NextStep                next,
                          const char             *format,
                          ...)
{
  va_list args;

  va_start (args, format);
  g_string_append_vprintf (conn->output, format, args);
  va_end (args);
  g_string_append (conn->output, "\r\n");

  connection_send (conn, next);
}

/* 220, or 421 when the owner has no room */
static void
connection_greet (RelaySmtpServerSession *conn)
{
  if (conn->refused)
    _relay_smtp_server_reply (conn, NEXT_CLOSE,
                              "421 4.7.0 %s Too many connections, try again later",
                              conn->config.host_name);
  else
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "220 %s %s",
                              conn->config.host_name, conn->config.greeting);
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  RelaySmtpServerSession *conn = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    connection_fail (conn, "TLS handshake failed", error);
  else if (!conn->closing)
    {
      g_set_object (&conn->stream, G_IO_STREAM (object));
      conn->tls = TRUE;
      _relay_smtp_server_touch (conn);

      if (conn->implicit_tls)
        connection_greet (conn);
      else
        connection_process (conn);
    }

  connection_unref (conn);
}

static void
connection_start_tls (RelaySmtpServerSession *conn)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (!conn->closing);

  /* RFC 3207: what the client sent before the handshake is not trusted */
  relay_secure_wipe (conn->input->data, conn->input->len);
  g_byte_array_set_size (conn->input, 0);
  conn->input_pos = 0;
  conn->greeted = FALSE;
  conn->state = STATE_COMMAND;
  _relay_smtp_server_reset_transaction (conn);

  tls = g_tls_server_connection_new (G_IO_STREAM (conn->tcp), conn->config.certificate, &error);
  if (tls == NULL)
    {
      connection_fail (conn, "Could not start TLS", error);
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
  RelaySmtpServerSession *conn = user_data;
  g_autoptr(GError) error = NULL;

  conn->writing = FALSE;
  g_string_truncate (conn->output, 0);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    connection_fail (conn, "Could not write to the client", error);
  else if (!conn->closing)
    {
      _relay_smtp_server_touch (conn);

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
  RelaySmtpServerSession *conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  conn->reading = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  g_byte_array_set_size (conn->input, conn->read_base + MAX (n, 0));

  if (conn->closing || conn->expiring)
    ;
  else if (n < 0)
    connection_fail (conn, "Could not read from the client", error);
  else if (n == 0)
    connection_close (conn);
  else
    {
      _relay_smtp_server_touch (conn);
      connection_process (conn);
    }

  connection_unref (conn);
}

static void
connection_read (RelaySmtpServerSession *conn)
{
  gsize remaining = conn->input->len - conn->input_pos;

  g_assert (!conn->reading);

  /* keep the buffer small: what was used goes, and is wiped */
  if (conn->input_pos > 0)
    {
      memmove (conn->input->data, conn->input->data + conn->input_pos, remaining);
      relay_secure_wipe (conn->input->data + remaining, conn->input->len - remaining);
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


/* Handles what is buffered, one reply at a time: each reply, once
 * written, brings us back here; with nothing left, reads. */
static void
connection_process (RelaySmtpServerSession *conn)
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
      if (_relay_smtp_server_consume_data (conn))
        _relay_smtp_server_finish_data (conn);
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
        _relay_smtp_server_reply (conn, NEXT_CLOSE, "500 5.5.2 Line too long");
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
      _relay_smtp_server_reply (conn, NEXT_CLOSE, "500 5.5.2 Line too long");
      return;
    }

  if (memchr (start, '\0', length) != NULL)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "500 5.5.2 Invalid character in command");
      return;
    }

  line = g_strndup ((const char *)start, length);
  _relay_smtp_server_handle_line (conn, line);
  relay_secure_wipe (line, length);
  g_free (line);
}

/**
 * relay_smtp_server_session_new:
 * @connection: the accepted TCP connection
 * @context: the main context the session runs on
 * @implicit_tls: whether TLS starts at once, before the greeting
 * @config: limits and names, copied
 * @callbacks: (not nullable): the owner's decisions; must outlive the session's
 *   last call to them (relay_smtp_server_session_close() ends them)
 * @owner: passed to each callback
 *
 * Makes a session for one client; it does nothing until
 * relay_smtp_server_session_start() or relay_smtp_server_session_refuse().
 *
 * Returns: (transfer full): the session
 */
RelaySmtpServerSession *
relay_smtp_server_session_new (GSocketConnection                     *connection,
                               GMainContext                          *context,
                               gboolean                               implicit_tls,
                               const RelaySmtpServerConfig           *config,
                               const RelaySmtpServerSessionCallbacks *callbacks,
                               gpointer                               owner)
{
  RelaySmtpServerSession *conn;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  g_return_val_if_fail (context != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->host_name != NULL && config->greeting != NULL, NULL);
  g_return_val_if_fail (!implicit_tls || config->certificate != NULL, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);
  g_return_val_if_fail (callbacks->authenticate != NULL && callbacks->take_message != NULL, NULL);

  conn = g_rc_box_new0 (RelaySmtpServerSession);
  conn->callbacks = callbacks;
  conn->owner = owner;
  conn->config = *config;
  conn->config.host_name = g_strdup (config->host_name);
  conn->config.greeting = g_strdup (config->greeting);
  if (config->certificate != NULL)
    g_object_ref (config->certificate);
  conn->context = g_main_context_ref (context);
  conn->tcp = g_object_ref (connection);
  conn->stream = g_object_ref (G_IO_STREAM (connection));
  conn->cancellable = g_cancellable_new ();
  conn->input = g_byte_array_new ();
  conn->output = g_string_new (NULL);
  conn->recipients = g_ptr_array_new_with_free_func (g_free);
  conn->implicit_tls = implicit_tls;

  /* a safety net under the idle timer, for TLS work done in threads */
  g_socket_set_timeout (g_socket_connection_get_socket (connection),
                        conn->config.idle_timeout + 5);

  return conn;
}

/**
 * relay_smtp_server_session_ref:
 * @session: a session
 *
 * Returns: (transfer full): @session
 */
RelaySmtpServerSession *
relay_smtp_server_session_ref (RelaySmtpServerSession *session)
{
  g_return_val_if_fail (session != NULL, NULL);

  return connection_ref (session);
}

/**
 * relay_smtp_server_session_unref:
 * @session: (transfer full): a session
 *
 * Drops a reference; the last one frees the session, which is closed
 * by then (pending operations hold references).
 */
void
relay_smtp_server_session_unref (RelaySmtpServerSession *session)
{
  g_return_if_fail (session != NULL);

  connection_unref (session);
}

static void
session_begin (RelaySmtpServerSession *conn,
               gboolean                refused)
{
  g_return_if_fail (conn != NULL);
  g_return_if_fail (!conn->closing && conn->idle == NULL && !conn->writing);

  conn->refused = refused;
  _relay_smtp_server_touch (conn);

  if (conn->implicit_tls)
    connection_start_tls (conn);
  else
    connection_greet (conn);
}

/**
 * relay_smtp_server_session_start:
 * @session: a new session
 *
 * Greets the client (after the TLS handshake with implicit TLS) and
 * serves it until it quits, goes idle or is closed.
 */
void
relay_smtp_server_session_start (RelaySmtpServerSession *session)
{
  session_begin (session, FALSE);
}

/**
 * relay_smtp_server_session_refuse:
 * @session: a new session
 *
 * Tells the client there are too many connections (421, after the TLS
 * handshake with implicit TLS) and closes.
 */
void
relay_smtp_server_session_refuse (RelaySmtpServerSession *session)
{
  session_begin (session, TRUE);
}

/**
 * relay_smtp_server_session_close:
 * @session: a session
 *
 * Closes the connection at once, without a reply; a message not yet
 * complete is lost. The owner's `closed` callback runs (once, even when
 * called again), and no other callback after it.
 */
void
relay_smtp_server_session_close (RelaySmtpServerSession *session)
{
  g_return_if_fail (session != NULL);

  connection_close (session);
}

/**
 * relay_smtp_server_session_is_authenticated:
 * @session: a session
 *
 * Returns: whether the client signed in
 */
gboolean
relay_smtp_server_session_is_authenticated (RelaySmtpServerSession *session)
{
  g_return_val_if_fail (session != NULL, FALSE);

  return session->authenticated;
}

/**
 * relay_smtp_server_session_is_closing:
 * @session: a session
 *
 * Returns: whether the session is closing or saying goodbye to an idle
 *   client
 */
gboolean
relay_smtp_server_session_is_closing (RelaySmtpServerSession *session)
{
  g_return_val_if_fail (session != NULL, FALSE);

  return session->closing || session->expiring;
}

/**
 * relay_smtp_server_session_get_last_active:
 * @session: a session
 *
 * Returns: when the client last did something, in monotonic µs
 */
gint64
relay_smtp_server_session_get_last_active (RelaySmtpServerSession *session)
{
  g_return_val_if_fail (session != NULL, 0);

  return session->last_active;
}
