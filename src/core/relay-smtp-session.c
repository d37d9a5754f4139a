/* relay-smtp-session.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-smtp-session"

#include "config.h"

#include <glib/gi18n.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "relay-message.h"
#include "relay-sasl.h"
#include "relay-secure-private.h"
#include "relay-smtp-session.h"
#include "relay-validate.h"

#define DEFAULT_TIMEOUT 30
#define BUFFER_SIZE 8192
#define MAX_CHALLENGES 3
#define MAX_TRANSCRIPT_LINE 512

G_DEFINE_QUARK (relay-smtp-error-quark, relay_smtp_error)

struct _RelaySmtpSession
{
  GObject                parent_instance;

  char                  *host;
  guint                  port;
  RelaySecurity          security;
  guint                  timeout;
  gint64                 deadline;  /* monotonic µs: nothing goes on after it; 0: none */
  char                  *ca_file;
  GStrv                  pins;
  gboolean               allow_insecure;

  GList                 *addresses;
  char                  *address;
  GSocketConnection     *tcp;
  GTlsConnection        *tls;
  GBufferedInputStream  *input;
  GOutputStream         *output;

  char                  *greeting;
  GStrv                  capabilities;
  GStrv                  auth_mechanisms;
  guint64                size_limit;
  RelayAuthMethod        auth_used;
  RelaySmtpReply        *last_reply;

  GTlsCertificate       *peer_certificate;
  GTlsCertificateFlags   peer_errors;
  char                  *peer_sha256;
  gboolean               pinned;
  gboolean               pin_refused;
  char                  *tls_version;

  GMutex                 transcript_lock;
  GPtrArray             *transcript;
};

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
static gboolean
arm (RelaySmtpSession  *self,
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
static gboolean
write_all (RelaySmtpSession  *self,
           const char        *data,
           gsize              length,
           GCancellable      *cancellable,
           GError           **error)
{
  while (length > 0)
    {
      gsize piece = MIN (length, 64 * 1024);

      if (!arm (self, error) ||
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

static void
transcript_add (RelaySmtpSession *self,
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

static void
use_stream (RelaySmtpSession *self,
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
          use_stream (self, G_IO_STREAM (self->tcp));
          return TRUE;
        }

      if (g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        break;
    }

  g_propagate_error (error, g_steal_pointer (&last_error));
  return FALSE;
}

/**
 * relay_certificate_sha256:
 *
 * Returns: (transfer full): the SHA-256 fingerprint of the DER form, as
 *   64 lower-case hexadecimal digits
 */
char *
relay_certificate_sha256 (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

static void
remember_certificate (RelaySmtpSession     *self,
                      GTlsCertificate      *certificate,
                      GTlsCertificateFlags  errors)
{
  if (certificate == NULL)
    return;

  g_set_object (&self->peer_certificate, certificate);
  self->peer_errors = errors;
  g_free (self->peer_sha256);
  self->peer_sha256 = relay_certificate_sha256 (certificate);
}

/* The one rule for the server's certificate, as msmtp's tls_fingerprint:
 * with pins (made for this host and port), the certificate is accepted
 * exactly when its SHA-256 fingerprint is one of them, whatever a CA,
 * its names or its dates say; without, only when it validated. */
static gboolean
certificate_acceptable (RelaySmtpSession     *self,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors)
{
  remember_certificate (self, certificate, errors);

  if (self->pins[0] == NULL)
    return (errors & G_TLS_CERTIFICATE_VALIDATE_ALL) == 0;

  self->pinned = self->peer_sha256 != NULL &&
                 g_strv_contains ((const char * const *)self->pins, self->peer_sha256);
  self->pin_refused = !self->pinned;

  return self->pinned;
}

/* Called only when validation failed */
static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       RelaySmtpSession     *self)
{
  return certificate_acceptable (self, certificate, errors);
}

static void
set_certificate_error (RelaySmtpSession  *self,
                       const GError      *tls_error,
                       GError           **error)
{
  if (self->pin_refused)
    g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CERTIFICATE,
                 /* Translators: %s is a server name, %u its port, the last %s a
                  * SHA-256 fingerprint */
                 _("The server’s certificate is not the one trusted for %s, port %u: its "
                   "SHA-256 fingerprint is %s"), self->host, self->port,
                 self->peer_sha256 ? self->peer_sha256 : "?");
  else
    g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CERTIFICATE,
                 _("The server’s certificate was not accepted: %s"),
                 tls_error ? tls_error->message : "");
}

static char *
protocol_version_name (GTlsConnection *tls)
{
  g_autofree char *cipher = g_tls_connection_get_ciphersuite_name (tls);
  const char *version;

  switch (g_tls_connection_get_protocol_version (tls))
    {
    case G_TLS_PROTOCOL_VERSION_TLS_1_0: version = "TLS 1.0"; break;
    case G_TLS_PROTOCOL_VERSION_TLS_1_1: version = "TLS 1.1"; break;
    case G_TLS_PROTOCOL_VERSION_TLS_1_2: version = "TLS 1.2"; break;
    case G_TLS_PROTOCOL_VERSION_TLS_1_3: version = "TLS 1.3"; break;
    case G_TLS_PROTOCOL_VERSION_SSL_3_0: version = "SSL 3.0"; break;
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2:
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default:
      version = "TLS";
      break;
    }

  return cipher ? g_strdup_printf ("%s (%s)", version, cipher) : g_strdup (version);
}

/**
 * relay_smtp_session_handshake:
 *
 * The TLS handshake: at once for implicit TLS, or after a successful
 * relay_smtp_session_starttls(). The certificate must name the host the
 * user typed, never a name learned from DNS.
 */
gboolean
relay_smtp_session_handshake (RelaySmtpSession  *self,
                              GCancellable      *cancellable,
                              GError           **error)
{
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (self->tcp != NULL && self->tls == NULL, FALSE);

  identity = g_network_address_new (self->host, self->port);

  if (self->ca_file != NULL)
    {
      g_autoptr(GError) ca_error = NULL;
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (self->ca_file, &ca_error);

      /* the user's setting, not the server, is at fault */
      if (database == NULL)
        {
          g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                       _("The CA file “%s” could not be read: %s"), self->ca_file, ca_error->message);
          return FALSE;
        }

      /* given at construction, the system's trust store is never loaded */
      tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                            cancellable, error,
                            "base-io-stream", self->tcp,
                            "server-identity", identity,
                            "database", database,
                            NULL);
    }
  else
    tls = g_tls_client_connection_new (G_IO_STREAM (self->tcp), identity, error);

  if (tls == NULL)
    return FALSE;

  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);

  if (!arm (self, error))
    return FALSE;

  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, &local_error))
    {
      g_signal_handlers_disconnect_by_func (tls, accept_certificate_cb, self);

      if (self->peer_certificate != NULL && !self->pinned &&
          g_error_matches (local_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
        set_certificate_error (self, local_error, error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));

      return FALSE;
    }

  g_signal_handlers_disconnect_by_func (tls, accept_certificate_cb, self);

  /* Validated, so GIO did not ask: a pin still decides. Nothing has been
   * sent over this connection yet. */
  if (self->peer_certificate == NULL &&
      !certificate_acceptable (self,
                               g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)),
                               g_tls_connection_get_peer_certificate_errors (G_TLS_CONNECTION (tls))))
    {
      set_certificate_error (self, NULL, error);
      g_io_stream_close (tls, NULL, NULL);
      return FALSE;
    }

  self->tls_version = protocol_version_name (G_TLS_CONNECTION (tls));
  self->tls = G_TLS_CONNECTION (g_steal_pointer (&tls));
  use_stream (self, G_IO_STREAM (self->tls));

  return TRUE;
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

      if (!arm (self, error))
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

static RelaySmtpReply *
read_reply (RelaySmtpSession  *self,
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

      transcript_add (self, "S", line);

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
static gboolean
check_unsolicited (RelaySmtpSession  *self,
                   GError           **error)
{
  if (g_buffered_input_stream_get_available (self->input) == 0)
    return TRUE;

  g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_PROTOCOL,
                       _("The server sent a reply that nothing had asked for"));
  return FALSE;
}

static gboolean
send_line (RelaySmtpSession  *self,
           const char        *line,
           const char        *shown,
           GCancellable      *cancellable,
           GError           **error)
{
  g_autofree char *wire = NULL;
  gboolean ok;

  if (!check_unsolicited (self, error))
    return FALSE;

  wire = g_strconcat (line, "\r\n", NULL);

  transcript_add (self, "C", shown ? shown : line);
  ok = write_all (self, wire, strlen (wire), cancellable, error);
  relay_secure_wipe (wire, strlen (wire));

  return ok;
}

static gboolean
reply_error (RelaySmtpSession      *self,
             const RelaySmtpReply  *reply,
             GError               **error)
{
  g_autofree char *text = relay_smtp_reply_to_string (reply);

  g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY, text);
  return FALSE;
}

/* Sends a command and reads its reply; a reply with another code than
 * @expected (or, with 0, any negative reply) is an error. */
static RelaySmtpReply *
command (RelaySmtpSession  *self,
         const char        *line,
         const char        *shown,
         guint              expected,
         GCancellable      *cancellable,
         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  if (!send_line (self, line, shown, cancellable, error) ||
      !(reply = read_reply (self, cancellable, error)))
    return NULL;

  if (expected ? reply->code != expected : !relay_smtp_reply_is_positive (reply))
    {
      reply_error (self, reply, error);
      return NULL;
    }

  return g_steal_pointer (&reply);
}

gboolean
relay_smtp_session_read_greeting (RelaySmtpSession  *self,
                                  GCancellable      *cancellable,
                                  GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  if (!(reply = read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code != 220)
    return reply_error (self, reply, error);

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
  if (!send_line (self, ehlo, NULL, cancellable, error) ||
      !(reply = read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code == 250)
    {
      learn_capabilities (self, reply);
      return TRUE;
    }

  if (reply->code < 500 || self->security != RELAY_SECURITY_NONE)
    return reply_error (self, reply, error);

  g_clear_pointer (&reply, relay_smtp_reply_free);
  helo = g_strconcat ("HELO ", name, NULL);
  reply = command (self, helo, NULL, 250, cancellable, error);

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

  if (!send_line (self, "STARTTLS", NULL, cancellable, error) ||
      !(reply = read_reply (self, cancellable, error)))
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

static gboolean
offers (RelaySmtpSession *self,
        const char       *mechanism)
{
  return g_strv_contains ((const char * const *)self->auth_mechanisms, mechanism);
}

/* Ends an exchange the server keeps going: “*” cancels (RFC 4954) */
static gboolean
too_many_challenges (RelaySmtpSession  *self,
                     GCancellable      *cancellable,
                     GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  if (send_line (self, "*", NULL, cancellable, NULL))
    reply = read_reply (self, cancellable, NULL);

  g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_PROTOCOL,
                       _("The server kept asking for more authentication data"));
  return FALSE;
}

static gboolean
finish_auth (RelaySmtpSession  *self,
             RelaySmtpReply    *reply,
             GCancellable      *cancellable,
             GError           **error)
{
  if (reply->code == 235)
    return TRUE;
  if (reply->code == 334)
    return too_many_challenges (self, cancellable, error);

  return reply_error (self, reply, error);
}

static gboolean
auth_login (RelaySmtpSession  *self,
            const char        *username,
            const char        *password,
            GCancellable      *cancellable,
            GError           **error)
{
  const char *answers[2] = { username, password };
  g_autoptr(RelaySmtpReply) reply = NULL;

  if (!send_line (self, "AUTH LOGIN", NULL, cancellable, error) ||
      !(reply = read_reply (self, cancellable, error)))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      char *encoded;
      gboolean sent;

      if (reply->code != 334)
        return reply_error (self, reply, error);

      encoded = g_base64_encode ((const guchar *)answers[i], strlen (answers[i]));
      sent = send_line (self, encoded, "****", cancellable, error);
      relay_secure_wipe_string (encoded);
      g_clear_pointer (&reply, relay_smtp_reply_free);

      if (!sent || !(reply = read_reply (self, cancellable, error)))
        return FALSE;
    }

  return finish_auth (self, reply, cancellable, error);
}

/* A mechanism with an initial response: PLAIN, XOAUTH2, OAUTHBEARER */
static gboolean
auth_initial (RelaySmtpSession  *self,
              const char        *mechanism,
              char              *initial,
              const char        *error_answer,
              GCancellable      *cancellable,
              GError           **error)
{
  g_autofree char *line = g_strdup_printf ("AUTH %s %s", mechanism, initial);
  g_autofree char *shown = g_strdup_printf ("AUTH %s ****", mechanism);
  g_autoptr(RelaySmtpReply) reply = NULL;
  gboolean sent;

  sent = send_line (self, line, shown, cancellable, error);
  relay_secure_wipe (line, strlen (line));
  relay_secure_wipe_string (initial);

  if (!sent || !(reply = read_reply (self, cancellable, error)))
    return FALSE;

  /* OAuth mechanisms report a bad token in a 334 challenge, to be
   * answered with a dummy response; the server then fails with 535. */
  for (guint i = 0; reply->code == 334 && error_answer != NULL && i < MAX_CHALLENGES; i++)
    {
      g_clear_pointer (&reply, relay_smtp_reply_free);
      if (!send_line (self, error_answer, NULL, cancellable, error) ||
          !(reply = read_reply (self, cancellable, error)))
        return FALSE;
    }

  return finish_auth (self, reply, cancellable, error);
}

/**
 * relay_smtp_session_authenticate:
 * @method: the mechanism, or %RELAY_AUTH_METHOD_AUTO to choose from what
 *   the server offers (after TLS)
 * @secret: a password, or an OAuth access token for XOAUTH2/OAUTHBEARER
 */
gboolean
relay_smtp_session_authenticate (RelaySmtpSession  *self,
                                 RelayAuthMethod    method,
                                 const char        *username,
                                 const char        *secret,
                                 GCancellable      *cancellable,
                                 GError           **error)
{
  const char *name;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (username != NULL && secret != NULL, FALSE);

  /* the name and the address actually connected to must both be loopback */
  if (self->tls == NULL && !self->allow_insecure &&
      !(relay_secure_is_loopback_host (self->host) && self->address != NULL &&
        relay_secure_is_loopback_host (self->address)))
    {
      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_INSECURE,
                   _("The password was not sent: the connection to %s is not encrypted"), self->host);
      return FALSE;
    }

  if (strpbrk (username, "\r\n") != NULL)
    return relay_message_check_header_value (username, error);

  if (method == RELAY_AUTH_METHOD_AUTO)
    {
      if (offers (self, "PLAIN"))
        method = RELAY_AUTH_METHOD_PLAIN;
      else if (offers (self, "LOGIN"))
        method = RELAY_AUTH_METHOD_LOGIN;
      else
        {
          g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_AUTH_UNAVAILABLE,
                               self->auth_mechanisms[0]
                               ? _("The server offers no password mechanism (PLAIN or LOGIN)")
                               : _("The server does not offer authentication"));
          return FALSE;
        }
    }

  name = relay_sasl_mechanism_name (method);
  if (!offers (self, name))
    {
      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_AUTH_UNAVAILABLE,
                   _("The server does not offer %s authentication"), name);
      return FALSE;
    }

  self->auth_used = method;

  switch (method)
    {
    case RELAY_AUTH_METHOD_PLAIN:
      return auth_initial (self, name, relay_sasl_plain (username, secret), NULL, cancellable, error);
    case RELAY_AUTH_METHOD_LOGIN:
      return auth_login (self, username, secret, cancellable, error);
    case RELAY_AUTH_METHOD_XOAUTH2:
      return auth_initial (self, name, relay_sasl_xoauth2 (username, secret), "", cancellable, error);
    case RELAY_AUTH_METHOD_OAUTHBEARER:
      return auth_initial (self, name, relay_sasl_oauthbearer (username, self->host, self->port, secret),
                           "AQ==", cancellable, error);
    case RELAY_AUTH_METHOD_AUTO:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_address (const char  *address,
               GError     **error)
{
  if (!relay_message_check_header_value (address, error))
    return FALSE;

  if (strpbrk (address, "<> ") != NULL || address[0] == '\0')
    {
      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                   _("“%s” cannot be used as an address"), address);
      return FALSE;
    }

  return TRUE;
}

static char *
mail_command (RelaySmtpSession  *self,
              const char        *from,
              gsize              size,
              gboolean           utf8,
              GError           **error)
{
  if (!check_address (from, error))
    return NULL;

  if (self->size_limit > 0 && size > self->size_limit)
    {
      g_autofree char *have = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
      g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT, self->size_limit);

      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_TOO_BIG,
                   _("The message (%s bytes) is larger than the server accepts (%s bytes)"),
                   have, limit);
      return NULL;
    }

  /* RFC 6531: international addresses in the envelope need the server's
   * SMTPUTF8, and say so */
  utf8 = utf8 && relay_smtp_session_has_capability (self, "SMTPUTF8");

  if (relay_smtp_session_has_capability (self, "SIZE") && size > 0)
    return g_strdup_printf ("MAIL FROM:<%s> SIZE=%" G_GSIZE_FORMAT "%s", from, size, utf8 ? " SMTPUTF8" : "");

  return g_strdup_printf ("MAIL FROM:<%s>%s", from, utf8 ? " SMTPUTF8" : "");
}

static gboolean
mail (RelaySmtpSession  *self,
      const char        *from,
      gsize              size,
      gboolean           utf8,
      GCancellable      *cancellable,
      GError           **error)
{
  g_autofree char *line = NULL;
  g_autoptr(RelaySmtpReply) reply = NULL;

  if (!(line = mail_command (self, from, size, utf8, error)))
    return FALSE;

  reply = command (self, line, NULL, 250, cancellable, error);
  return reply != NULL;
}

gboolean
relay_smtp_session_mail (RelaySmtpSession  *self,
                         const char        *from,
                         gsize              size,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return mail (self, from, size, relay_address_needs_smtputf8 (from), cancellable, error);
}

gboolean
relay_smtp_session_rcpt (RelaySmtpSession  *self,
                         const char        *recipient,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autofree char *line = NULL;
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  if (!check_address (recipient, error))
    return FALSE;

  line = g_strdup_printf ("RCPT TO:<%s>", recipient);
  reply = command (self, line, NULL, 0, cancellable, error);
  return reply != NULL;
}

/* A refused MAIL is what the message's fate is judged by, not the “503
 * need MAIL” that the pipelined RCPTs got after it: it is the last reply
 * the caller sees. */
static gboolean
mail_refused (RelaySmtpSession     *self,
              const RelaySmtpReply *mail_reply,
              GError              **error)
{
  g_clear_pointer (&self->last_reply, relay_smtp_reply_free);
  self->last_reply = relay_smtp_reply_copy (mail_reply);

  return reply_error (self, mail_reply, error);
}

/**
 * relay_smtp_session_envelope:
 * @replies: (out) (optional) (element-type RelaySmtpReply): the reply to
 *   each RCPT, in the order of @recipients
 *
 * MAIL and every RCPT, in one write when the server offers PIPELINING
 * (RFC 2920). Fails when MAIL is refused (the error and the last reply
 * are MAIL's, whatever the RCPTs got after it) or the connection is
 * lost; a refused recipient is not a failure: @replies says which
 * recipients the server took, each with its own reply.
 */
gboolean
relay_smtp_session_envelope (RelaySmtpSession    *self,
                             const char          *from,
                             const char * const  *recipients,
                             gsize                size,
                             GPtrArray          **replies,
                             GCancellable        *cancellable,
                             GError             **error)
{
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func ((GDestroyNotify)relay_smtp_reply_free);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) batch = g_string_new (NULL);
  g_autoptr(RelaySmtpReply) mail_reply = NULL;
  gboolean utf8 = relay_address_needs_smtputf8 (from);
  char *line;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, FALSE);

  for (guint i = 0; recipients[i]; i++)
    utf8 = utf8 || relay_address_needs_smtputf8 (recipients[i]);

  if (!relay_smtp_session_has_capability (self, "PIPELINING"))
    {
      if (!mail (self, from, size, utf8, cancellable, error))
        return FALSE;

      for (guint i = 0; recipients[i]; i++)
        {
          g_autoptr(GError) local_error = NULL;

          if (!relay_smtp_session_rcpt (self, recipients[i], cancellable, &local_error) &&
              !g_error_matches (local_error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
            return (g_propagate_error (error, g_steal_pointer (&local_error)), FALSE);
          g_ptr_array_add (answers, relay_smtp_reply_copy (self->last_reply));
        }
    }
  else
    {
      if (!(line = mail_command (self, from, size, utf8, error)))
        return FALSE;
      g_ptr_array_add (lines, line);

      for (guint i = 0; recipients[i]; i++)
        {
          if (!check_address (recipients[i], error))
            return FALSE;
          g_ptr_array_add (lines, g_strdup_printf ("RCPT TO:<%s>", recipients[i]));
        }

      for (guint i = 0; i < lines->len; i++)
        {
          transcript_add (self, "C", g_ptr_array_index (lines, i));
          g_string_append_printf (batch, "%s\r\n", (char *)g_ptr_array_index (lines, i));
        }

      if (!check_unsolicited (self, error) ||
          !write_all (self, batch->str, batch->len, cancellable, error) ||
          !(mail_reply = read_reply (self, cancellable, error)))
        return FALSE;

      /* every reply is read, so that the conversation stays in step */
      for (guint i = 0; recipients[i]; i++)
        {
          g_autoptr(GError) local_error = NULL;
          RelaySmtpReply *reply = read_reply (self, cancellable, &local_error);

          if (reply == NULL)
            {
              /* a server that refused MAIL with 421 may close at once */
              if (mail_reply->code != 250)
                return mail_refused (self, mail_reply, error);
              return (g_propagate_error (error, g_steal_pointer (&local_error)), FALSE);
            }
          g_ptr_array_add (answers, reply);
        }

      if (mail_reply->code != 250)
        return mail_refused (self, mail_reply, error);
    }

  if (replies != NULL)
    *replies = g_steal_pointer (&answers);

  return TRUE;
}

/**
 * relay_smtp_session_data:
 * @message: the message, headers and body; line ends are normalised and
 *   leading dots doubled here
 */
gboolean
relay_smtp_session_data (RelaySmtpSession  *self,
                         GBytes            *message,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (!(reply = command (self, "DATA", NULL, 354, cancellable, error)))
    return FALSE;
  g_clear_pointer (&reply, relay_smtp_reply_free);

  encoded = relay_message_encode_data (message);
  shown = g_strdup_printf ("[%" G_GSIZE_FORMAT " bytes of message]", g_bytes_get_size (message));
  transcript_add (self, "C", shown);
  transcript_add (self, "C", ".");

  if (!write_all (self, g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), cancellable, error) ||
      !(reply = read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code != 250)
    return reply_error (self, reply, error);

  return TRUE;
}

gboolean
relay_smtp_session_rset (RelaySmtpSession  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  reply = command (self, "RSET", NULL, 250, cancellable, error);
  return reply != NULL;
}

/**
 * relay_smtp_session_quit:
 *
 * Says goodbye and closes the connection, whatever the answer.
 */
gboolean
relay_smtp_session_quit (RelaySmtpSession  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  reply = command (self, "QUIT", NULL, 221, cancellable, error);
  relay_smtp_session_close (self);

  return reply != NULL;
}

void
relay_smtp_session_close (RelaySmtpSession *self)
{
  g_return_if_fail (RELAY_IS_SMTP_SESSION (self));

  g_clear_object (&self->input);
  self->output = NULL;

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

#define GETTER(type, name, expr)                                 \
  type                                                           \
  relay_smtp_session_get_##name (RelaySmtpSession *self)         \
  {                                                              \
    g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), 0);      \
    return expr;                                                 \
  }

GETTER (const char *, address, self->address)
GETTER (const char *, greeting, self->greeting)
GETTER (const char * const *, capabilities, (const char * const *)self->capabilities)
GETTER (const char * const *, auth_mechanisms, (const char * const *)self->auth_mechanisms)
GETTER (guint64, size_limit, self->size_limit)
GETTER (RelayAuthMethod, auth_used, self->auth_used)
GETTER (const RelaySmtpReply *, last_reply, self->last_reply)
GETTER (GTlsCertificate *, peer_certificate, self->peer_certificate)
GETTER (GTlsCertificateFlags, peer_errors, self->peer_errors)
GETTER (const char *, peer_sha256, self->peer_sha256)
GETTER (gboolean, pinned, self->pinned)
GETTER (gboolean, pin_refused, self->pin_refused)
GETTER (const char *, tls_version, self->tls_version)

#undef GETTER
