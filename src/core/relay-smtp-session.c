/* relay-smtp-session.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelaySmtpSession: the object, the connection (resolve, connect, close),
 * the line I/O with its deadline and transcript, the command/reply
 * exchange, EHLO and STARTTLS, and the accessors. The TLS handshake and
 * the certificate rule, the SASL exchange and the mail transaction are
 * in relay-smtp-session-{tls,auth,mail}.c. */

#define G_LOG_DOMAIN "relay-smtp-session"

#include "config.h"

#include <glib/gi18n.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "relay-secure-private.h"
#include "relay-smtp-session-private.h"

#define DEFAULT_TIMEOUT 30
#define BUFFER_SIZE 8192
#define MAX_TRANSCRIPT_LINE 512

G_DEFINE_FINAL_TYPE (RelaySmtpSession, relay_smtp_session, G_TYPE_OBJECT)

static void
relay_smtp_session_finalize (GObject *object)
{
  RelaySmtpSession *self = (RelaySmtpSession *)object;

  relay_smtp_session_close (self);

  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->pins, g_strfreev);
  g_list_free_full (self->addresses, g_object_unref);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->greeting, g_free);
  g_clear_pointer (&self->capabilities, g_strfreev);
  g_clear_pointer (&self->auth_mechanisms, g_strfreev);
  g_clear_pointer (&self->last_reply, relay_smtp_reply_free);
  g_clear_pointer (&self->data_reply, relay_smtp_reply_free);
  g_clear_object (&self->peer_certificate);
  g_clear_pointer (&self->peer_sha256, g_free);
  g_clear_pointer (&self->tls_version, g_free);
  g_clear_pointer (&self->transcript, g_ptr_array_unref);
  g_mutex_clear (&self->transcript_lock);

  G_OBJECT_CLASS (relay_smtp_session_parent_class)->finalize (object);
}

static void
relay_smtp_session_class_init (RelaySmtpSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_smtp_session_finalize;
}

static void
relay_smtp_session_init (RelaySmtpSession *self)
{
  self->timeout = DEFAULT_TIMEOUT;
  self->pins = g_new0 (char *, 1);
  self->capabilities = g_new0 (char *, 1);
  self->auth_mechanisms = g_new0 (char *, 1);
  self->transcript = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&self->transcript_lock);
}

/**
 * relay_smtp_session_new:
 * @host: the server as the user typed it (ASCII form); it is also the
 *   name the certificate must carry
 */
RelaySmtpSession *
relay_smtp_session_new (const char    *host,
                        guint          port,
                        RelaySecurity  security)
{
  RelaySmtpSession *self;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (port > 0 && port < 65536, NULL);

  self = g_object_new (RELAY_TYPE_SMTP_SESSION, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;

  return self;
}

void
relay_smtp_session_set_timeout (RelaySmtpSession *self,
                                guint             seconds)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  self->timeout = seconds ? seconds : DEFAULT_TIMEOUT;
}

/**
 * relay_smtp_session_set_deadline:
 * @deadline: a time of g_get_monotonic_time(), or 0 for none
 *
 * Every read and write from now on ends by @deadline, however slowly the
 * server trickles its bytes (the timeout bounds each read alone): past it
 * they fail with %G_IO_ERROR_TIMED_OUT.
 */
void
relay_smtp_session_set_deadline (RelaySmtpSession *self,
                                 gint64            deadline)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  self->deadline = deadline;
}

/* Before each blocking read or write: no later than the deadline */
gboolean
_relay_smtp_session_arm (RelaySmtpSession  *self,
                         GError           **error)
{
  gint64 left;

  if (self->deadline == 0 || self->tcp == NULL)
    return TRUE;

  left = self->deadline - g_get_monotonic_time ();
  if (left <= 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           _("The server took longer than the time allowed for the whole exchange"));
      return FALSE;
    }

  g_socket_set_timeout (g_socket_connection_get_socket (self->tcp),
                        MIN (self->timeout, (left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
  return TRUE;
}

/* In pieces, each within the deadline */
gboolean
_relay_smtp_session_write_all (RelaySmtpSession  *self,
                               const char        *data,
                               gsize              length,
                               GCancellable      *cancellable,
                               GError           **error)
{
  while (length > 0)
    {
      gsize piece = MIN (length, 64 * 1024);

      if (!_relay_smtp_session_arm (self, error) ||
          !g_output_stream_write_all (self->output, data, piece, NULL, cancellable, error))
        return FALSE;
      data += piece;
      length -= piece;
    }

  return TRUE;
}

void
relay_smtp_session_set_ca_file (RelaySmtpSession *self,
                                const char       *ca_file)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  g_free (self->ca_file);
  self->ca_file = ca_file && ca_file[0] ? g_strdup (ca_file) : NULL;
}

void
relay_smtp_session_set_pins (RelaySmtpSession   *self,
                             const char * const *pins)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  g_strfreev (self->pins);
  self->pins = pins ? g_strdupv ((char **)pins) : g_new0 (char *, 1);
}

void
relay_smtp_session_set_allow_insecure (RelaySmtpSession *self,
                                       gboolean          allow_insecure)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  self->allow_insecure = !!allow_insecure;
}

void
_relay_smtp_session_transcript_add (RelaySmtpSession *self,
                                    const char       *prefix,
                                    const char       *line)
{
  g_autofree char *valid = g_utf8_make_valid (line, -1);
  char *entry;

  if (g_utf8_strlen (valid, -1) > MAX_TRANSCRIPT_LINE)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, MAX_TRANSCRIPT_LINE);

      entry = g_strdup_printf ("%s: %s…", prefix, cut);
    }
  else
    entry = g_strdup_printf ("%s: %s", prefix, valid);

  g_mutex_lock (&self->transcript_lock);
  g_ptr_array_add (self->transcript, entry);
  g_mutex_unlock (&self->transcript_lock);
}

/**
 * relay_smtp_session_dup_transcript:
 *
 * Returns: (transfer full): the conversation so far, "C: " and "S: "
 *   lines, with every credential replaced by "****"
 */
GStrv
relay_smtp_session_dup_transcript (RelaySmtpSession *self)
{
  GStrv lines;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  g_mutex_lock (&self->transcript_lock);
  lines = g_new0 (char *, self->transcript->len + 1);
  for (guint i = 0; i < self->transcript->len; i++)
    lines[i] = g_strdup (g_ptr_array_index (self->transcript, i));
  g_mutex_unlock (&self->transcript_lock);

  return lines;
}

/**
 * relay_smtp_session_resolve:
 *
 * Finds the addresses of the host, or takes it as an address literal.
 *
 * Used error codes: %G_RESOLVER_ERROR (the name does not resolve), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_smtp_session_resolve (RelaySmtpSession  *self,
                            GCancellable      *cancellable,
                            GError           **error)
{
  g_autoptr(GResolver) resolver = NULL;
  g_autoptr(GInetAddress) literal = NULL;
  GList *addresses;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  g_list_free_full (g_steal_pointer (&self->addresses), g_object_unref);

  if ((literal = g_inet_address_new_from_string (self->host)) != NULL)
    addresses = g_list_prepend (NULL, g_steal_pointer (&literal));
  else
    {
      resolver = g_resolver_get_default ();
      addresses = g_resolver_lookup_by_name (resolver, self->host, cancellable, error);
      if (addresses == NULL)
        return FALSE;
    }

  self->addresses = addresses;
  g_free (self->address);
  self->address = g_inet_address_to_string (addresses->data);

  return TRUE;
}

void
_relay_smtp_session_use_stream (RelaySmtpSession *self,
                                GIOStream        *stream)
{
  g_clear_object (&self->input);
  self->input = G_BUFFERED_INPUT_STREAM (g_buffered_input_stream_new_sized (g_io_stream_get_input_stream (stream),
                                                                            BUFFER_SIZE));
  /* the stream belongs to the connection, which closes it */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (self->input), FALSE);
  self->output = g_io_stream_get_output_stream (stream);
}

/**
 * relay_smtp_session_connect:
 *
 * Opens the TCP connection to the first resolved address that answers.
 *
 * Used error codes: %G_IO_ERROR (%G_IO_ERROR_CONNECTION_REFUSED, %G_IO_ERROR_HOST_UNREACHABLE,
 *   %G_IO_ERROR_TIMED_OUT, %G_IO_ERROR_CANCELLED and the like): the error of the last address
 *   tried.
 */
gboolean
relay_smtp_session_connect (RelaySmtpSession  *self,
                            GCancellable      *cancellable,
                            GError           **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) last_error = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (self->addresses != NULL, FALSE);

  /* also the timeout of every read and write on the socket */
  g_socket_client_set_timeout (client, self->timeout);
  /* The address is already resolved, and resolved here: a proxy would
   * see another name than the one the certificate is checked against */
  g_socket_client_set_enable_proxy (client, FALSE);

  for (GList *l = self->addresses; l != NULL; l = l->next)
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (l->data, self->port);

      g_clear_error (&last_error);
      self->tcp = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), cancellable, &last_error);
      if (self->tcp != NULL)
        {
          /* Commands are small and answered one by one: without this,
           * Nagle's algorithm and delayed ACKs add 40 ms to a round trip */
          g_socket_set_option (g_socket_connection_get_socket (self->tcp),
                               IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

          g_free (self->address);
          self->address = g_inet_address_to_string (l->data);
          _relay_smtp_session_use_stream (self, G_IO_STREAM (self->tcp));
          return TRUE;
        }

      if (g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        break;
    }

  g_propagate_error (error, g_steal_pointer (&last_error));
  return FALSE;
}

/* Reads one line, CRLF removed, bounded by RELAY_SMTP_MAX_LINE */
static char *
read_line (RelaySmtpSession  *self,
           gsize             *length,
           GCancellable      *cancellable,
           GError           **error)
{
  for (;;)
    {
      gsize available = 0;
      const char *buffer = g_buffered_input_stream_peek_buffer (self->input, &available);
      const char *newline = memchr (buffer, '\n', MIN (available, RELAY_SMTP_MAX_LINE + 2));
      gssize n;

      if (newline != NULL)
        {
          gsize size = newline - buffer + 1;
          char *line = g_malloc (size + 1);

          if (!g_input_stream_read_all (G_INPUT_STREAM (self->input), line, size, NULL, cancellable, error))
            {
              g_free (line);
              return NULL;
            }

          size--;
          if (size > 0 && line[size - 1] == '\r')
            size--;
          line[size] = '\0';
          *length = size;

          return line;
        }

      if (available > RELAY_SMTP_MAX_LINE + 1)
        {
          g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_LINE_TOO_LONG,
                               _("The server sent a reply line that is too long"));
          return NULL;
        }

      if (!_relay_smtp_session_arm (self, error))
        return NULL;
      n = g_buffered_input_stream_fill (self->input, -1, cancellable, error);
      if (n < 0)
        return NULL;
      if (n == 0)
        {
          g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED,
                               _("The server closed the connection"));
          return NULL;
        }
    }
}

RelaySmtpReply *
_relay_smtp_session_read_reply (RelaySmtpSession  *self,
                                GCancellable      *cancellable,
                                GError           **error)
{
  g_autoptr(RelaySmtpReplyParser) parser = relay_smtp_reply_parser_new ();

  for (;;)
    {
      g_autofree char *line = NULL;
      g_autoptr(GError) local_error = NULL;
      RelaySmtpReply *reply;
      gsize length;

      if (!(line = read_line (self, &length, cancellable, error)))
        return NULL;

      _relay_smtp_session_transcript_add (self, "S", line);

      reply = relay_smtp_reply_parser_feed (parser, line, length, &local_error);
      if (reply != NULL)
        {
          g_clear_pointer (&self->last_reply, relay_smtp_reply_free);
          self->last_reply = relay_smtp_reply_copy (reply);
          return reply;
        }

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
}

/* @shown is what the transcript records instead of @line when the line
 * carries a credential */
/* A reply already waiting before a command was sent answers nothing the
 * client asked: reading on would pair every later reply with the wrong
 * command. */
gboolean
_relay_smtp_session_check_unsolicited (RelaySmtpSession  *self,
                                       GError           **error)
{
  if (self->input == NULL)
    {
      g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED,
                           _("The connection to the server is closed"));
      return FALSE;
    }

  if (g_buffered_input_stream_get_available (self->input) == 0)
    return TRUE;

  g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_PROTOCOL,
                       _("The server sent a reply that nothing had asked for"));
  return FALSE;
}

gboolean
_relay_smtp_session_send_line (RelaySmtpSession  *self,
                               const char        *line,
                               const char        *shown,
                               GCancellable      *cancellable,
                               GError           **error)
{
  g_autofree char *wire = NULL;
  gboolean ok;

  /* a message's data sent before goes first, and its verdict is read */
  if (!_relay_smtp_session_before_command (self, cancellable, error) ||
      !_relay_smtp_session_check_unsolicited (self, error))
    return FALSE;

  wire = g_strconcat (line, "\r\n", NULL);

  _relay_smtp_session_transcript_add (self, "C", shown ? shown : line);
  ok = _relay_smtp_session_write_all (self, wire, strlen (wire), cancellable, error);
  relay_secure_wipe (wire, strlen (wire));

  return ok;
}

gboolean
_relay_smtp_session_reply_error (RelaySmtpSession      *self,
                                 const RelaySmtpReply  *reply,
                                 GError               **error)
{
  g_autofree char *text = relay_smtp_reply_to_string (reply);

  g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY, text);
  return FALSE;
}

/* Sends a command and reads its reply; a reply with another code than
 * @expected (or, with 0, any negative reply) is an error. */
RelaySmtpReply *
_relay_smtp_session_command (RelaySmtpSession  *self,
                             const char        *line,
                             const char        *shown,
                             guint              expected,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  if (!_relay_smtp_session_send_line (self, line, shown, cancellable, error) ||
      !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return NULL;

  if (expected ? reply->code != expected : !relay_smtp_reply_is_positive (reply))
    {
      _relay_smtp_session_reply_error (self, reply, error);
      return NULL;
    }

  return g_steal_pointer (&reply);
}

/**
 * relay_smtp_session_read_greeting:
 *
 * Reads the server's 220 greeting (relay_smtp_session_get_greeting()).
 *
 * Used error codes: %RELAY_SMTP_ERROR_REPLY (a greeting other than 220), %RELAY_SMTP_ERROR_PROTOCOL
 *   (a malformed reply, or one nothing asked for), %RELAY_SMTP_ERROR_LINE_TOO_LONG,
 *   %RELAY_SMTP_ERROR_CLOSED; %G_IO_ERROR from the network (%G_IO_ERROR_TIMED_OUT past the timeout
 *   or the deadline, %G_IO_ERROR_CANCELLED), %G_TLS_ERROR over TLS.
 */
gboolean
relay_smtp_session_read_greeting (RelaySmtpSession  *self,
                                  GCancellable      *cancellable,
                                  GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  if (!(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code != 220)
    return _relay_smtp_session_reply_error (self, reply, error);

  g_free (self->greeting);
  self->greeting = g_strjoinv ("\n", reply->lines);

  return TRUE;
}

static char *
helo_name (RelaySmtpSession *self)
{
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (self->tcp, NULL);
  g_autofree char *text = NULL;
  GInetAddress *address;

  /* an address literal: says nothing about the user's machine name */
  if (!G_IS_INET_SOCKET_ADDRESS (local))
    return g_strdup ("[127.0.0.1]");

  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  text = g_inet_address_to_string (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[IPv6:%s]", text);

  return g_strdup_printf ("[%s]", text);
}

static void
learn_capabilities (RelaySmtpSession     *self,
                    const RelaySmtpReply *reply)
{
  g_autoptr(GStrvBuilder) capabilities = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) mechanisms = g_strv_builder_new ();

  self->size_limit = 0;

  for (guint i = 1; reply != NULL && reply->lines[i]; i++)
    {
      const char *line = reply->lines[i];

      g_strv_builder_add (capabilities, line);

      if (g_ascii_strncasecmp (line, "AUTH", 4) == 0 && (line[4] == ' ' || line[4] == '='))
        {
          g_auto(GStrv) words = g_strsplit_set (line + 5, " ", -1);

          for (guint j = 0; words[j]; j++)
            if (words[j][0] != '\0')
              {
                g_autofree char *upper = g_ascii_strup (words[j], -1);

                g_strv_builder_add (mechanisms, upper);
              }
        }
      else if (g_ascii_strncasecmp (line, "SIZE ", 5) == 0)
        g_ascii_string_to_unsigned (line + 5, 10, 0, G_MAXUINT64, &self->size_limit, NULL);
    }

  g_strfreev (self->capabilities);
  self->capabilities = g_strv_builder_end (capabilities);
  g_strfreev (self->auth_mechanisms);
  self->auth_mechanisms = g_strv_builder_end (mechanisms);
}

/**
 * relay_smtp_session_ehlo:
 *
 * EHLO, or HELO when the server does not know EHLO and no TLS is wanted.
 * Replaces every capability learned before.
 *
 * Used error codes: %RELAY_SMTP_ERROR_REPLY (EHLO refused, and HELO too or not tried),
 *   %RELAY_SMTP_ERROR_PROTOCOL (a malformed reply, or one nothing asked for),
 *   %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED; %G_IO_ERROR from the network
 *   (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline, %G_IO_ERROR_CANCELLED), %G_TLS_ERROR
 *   over TLS.
 */
gboolean
relay_smtp_session_ehlo (RelaySmtpSession  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;
  g_autofree char *name = NULL;
  g_autofree char *ehlo = NULL;
  g_autofree char *helo = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  learn_capabilities (self, NULL);

  name = helo_name (self);
  ehlo = g_strconcat ("EHLO ", name, NULL);
  if (!_relay_smtp_session_send_line (self, ehlo, NULL, cancellable, error) ||
      !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code == 250)
    {
      learn_capabilities (self, reply);
      return TRUE;
    }

  if (reply->code < 500 || self->security != RELAY_SECURITY_NONE)
    return _relay_smtp_session_reply_error (self, reply, error);

  g_clear_pointer (&reply, relay_smtp_reply_free);
  helo = g_strconcat ("HELO ", name, NULL);
  reply = _relay_smtp_session_command (self, helo, NULL, 250, cancellable, error);

  return reply != NULL;
}

gboolean
relay_smtp_session_has_capability (RelaySmtpSession *self,
                                   const char       *keyword)
{
  gsize length;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (keyword != NULL, FALSE);

  length = strlen (keyword);
  for (guint i = 0; self->capabilities[i]; i++)
    if (g_ascii_strncasecmp (self->capabilities[i], keyword, length) == 0 &&
        (self->capabilities[i][length] == '\0' || self->capabilities[i][length] == ' ' ||
         self->capabilities[i][length] == '='))
      return TRUE;

  return FALSE;
}

/**
 * relay_smtp_session_starttls:
 *
 * Asks for TLS. `STARTTLS` is the last plaintext byte sent; the server
 * must have offered it and must answer 220 and nothing more. Follow with
 * relay_smtp_session_handshake() and a new relay_smtp_session_ehlo().
 *
 * Used error codes: %RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE (not offered, or refused),
 *   %RELAY_SMTP_ERROR_INJECTION (bytes after the 220), %RELAY_SMTP_ERROR_PROTOCOL (a malformed
 *   reply, or one nothing asked for), %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED;
 *   %G_IO_ERROR from the network (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline,
 *   %G_IO_ERROR_CANCELLED), %G_TLS_ERROR over TLS.
 */
gboolean
relay_smtp_session_starttls (RelaySmtpSession  *self,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;
  GSocket *socket;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (self->tls == NULL, FALSE);

  if (!relay_smtp_session_has_capability (self, "STARTTLS"))
    {
      g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE,
                           _("The server does not offer STARTTLS"));
      return FALSE;
    }

  if (!_relay_smtp_session_send_line (self, "STARTTLS", NULL, cancellable, error) ||
      !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code != 220)
    {
      g_autofree char *text = relay_smtp_reply_to_string (reply);

      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE,
                   _("The server refused STARTTLS: %s"), text);
      return FALSE;
    }

  /* Anything already received would be read as if it came over TLS */
  socket = g_socket_connection_get_socket (self->tcp);
  if (g_buffered_input_stream_get_available (self->input) > 0 ||
      g_socket_get_available_bytes (socket) > 0)
    {
      g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_INJECTION,
                           _("The server sent data after agreeing to STARTTLS"));
      return FALSE;
    }

  /* Forget everything learned in plaintext */
  learn_capabilities (self, NULL);

  return TRUE;
}

/**
 * relay_smtp_session_quit:
 *
 * Says goodbye and closes the connection, whatever the answer.
 *
 * Used error codes: %RELAY_SMTP_ERROR_REPLY (an answer other than 221), %RELAY_SMTP_ERROR_PROTOCOL
 *   (a malformed reply, or one nothing asked for), %RELAY_SMTP_ERROR_LINE_TOO_LONG,
 *   %RELAY_SMTP_ERROR_CLOSED; %G_IO_ERROR from the network (%G_IO_ERROR_TIMED_OUT past the timeout
 *   or the deadline, %G_IO_ERROR_CANCELLED), %G_TLS_ERROR over TLS.
 */
gboolean
relay_smtp_session_quit (RelaySmtpSession  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  reply = _relay_smtp_session_command (self, "QUIT", NULL, 221, cancellable, error);
  relay_smtp_session_close (self);

  return reply != NULL;
}

void
relay_smtp_session_close (RelaySmtpSession *self)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  g_clear_object (&self->input);
  self->output = NULL;
  _relay_smtp_session_clear_message (self);

  if (self->tls != NULL)
    g_io_stream_close (G_IO_STREAM (self->tls), NULL, NULL);
  if (self->tcp != NULL)
    g_io_stream_close (G_IO_STREAM (self->tcp), NULL, NULL);

  g_clear_object (&self->tls);
  g_clear_object (&self->tcp);
}

gboolean
relay_smtp_session_is_connected (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return self->tcp != NULL;
}

gboolean
relay_smtp_session_is_encrypted (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return self->tls != NULL;
}

/**
 * relay_smtp_session_get_address:
 * @self: a session
 *
 * Gets the address actually connected to.
 *
 * Returns: (nullable): the server's IP address as text, or %NULL before
 *   relay_smtp_session_resolve()
 */
const char *
relay_smtp_session_get_address (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return self->address;
}

/**
 * relay_smtp_session_get_greeting:
 * @self: a session
 *
 * Gets the server's greeting.
 *
 * Returns: (nullable): the lines of the 220 greeting joined by newlines, or %NULL before
 *   relay_smtp_session_read_greeting()
 */
const char *
relay_smtp_session_get_greeting (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return self->greeting;
}

/**
 * relay_smtp_session_get_capabilities:
 * @self: a session
 *
 * Gets the extensions the server offered.
 *
 * Returns: (transfer none): the EHLO lines after the first, empty before EHLO and after STARTTLS
 */
const char * const *
relay_smtp_session_get_capabilities (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return (const char * const *)self->capabilities;
}

/**
 * relay_smtp_session_get_auth_mechanisms:
 * @self: a session
 *
 * Gets the SASL mechanisms the server offered.
 *
 * Returns: (transfer none): the mechanisms of the EHLO AUTH line, in upper case, empty when none
 */
const char * const *
relay_smtp_session_get_auth_mechanisms (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return (const char * const *)self->auth_mechanisms;
}

/**
 * relay_smtp_session_get_size_limit:
 * @self: a session
 *
 * Gets the largest message the server takes.
 *
 * Returns: the SIZE the server announced, or 0 when it announced none
 */
guint64
relay_smtp_session_get_size_limit (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), 0);

  return self->size_limit;
}

/**
 * relay_smtp_session_get_auth_used:
 * @self: a session
 *
 * Gets the mechanism relay_smtp_session_authenticate() chose.
 *
 * Returns: the mechanism of the last authentication, or %RELAY_AUTH_METHOD_AUTO before any
 */
RelayAuthMethod
relay_smtp_session_get_auth_used (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), RELAY_AUTH_METHOD_AUTO);

  return self->auth_used;
}

/**
 * relay_smtp_session_get_last_reply:
 * @self: a session
 *
 * Gets the last reply read.
 *
 * Returns: (nullable) (transfer none): the last reply of the server, or %NULL before any
 */
const RelaySmtpReply *
relay_smtp_session_get_last_reply (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return self->last_reply;
}

/**
 * relay_smtp_session_get_peer_certificate:
 * @self: a session
 *
 * Gets the certificate the server presented.
 *
 * Returns: (nullable) (transfer none): the server's certificate, or %NULL before a handshake saw
 *   one
 */
GTlsCertificate *
relay_smtp_session_get_peer_certificate (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return self->peer_certificate;
}

/**
 * relay_smtp_session_get_peer_errors:
 * @self: a session
 *
 * Gets what validation found wrong with the server's certificate.
 *
 * Returns: the validation errors of the server's certificate, 0 when it validated
 */
GTlsCertificateFlags
relay_smtp_session_get_peer_errors (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), 0);

  return self->peer_errors;
}

/**
 * relay_smtp_session_get_peer_sha256:
 * @self: a session
 *
 * Gets the fingerprint of the server's certificate.
 *
 * Returns: (nullable): the SHA-256 fingerprint of the server's certificate (see
 *   relay_certificate_sha256()), or %NULL before a handshake saw one
 */
const char *
relay_smtp_session_get_peer_sha256 (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return self->peer_sha256;
}

/**
 * relay_smtp_session_get_pinned:
 * @self: a session
 *
 * Gets whether a pin accepted the server's certificate.
 *
 * Returns: %TRUE when the certificate's fingerprint is one of the pins set with
 *   relay_smtp_session_set_pins()
 */
gboolean
relay_smtp_session_get_pinned (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return self->pinned;
}

/**
 * relay_smtp_session_get_pin_refused:
 * @self: a session
 *
 * Gets whether the pins refused the server's certificate.
 *
 * Returns: %TRUE when pins were set and the certificate's fingerprint is none of them
 */
gboolean
relay_smtp_session_get_pin_refused (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return self->pin_refused;
}

/**
 * relay_smtp_session_get_tls_version:
 * @self: a session
 *
 * Gets the TLS version and cipher suite in use.
 *
 * Returns: (nullable): such as "TLS 1.3 (TLS_AES_256_GCM_SHA384)", or %NULL before a handshake
 *   succeeded
 */
const char *
relay_smtp_session_get_tls_version (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), NULL);

  return self->tls_version;
}
