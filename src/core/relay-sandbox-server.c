/* relay-sandbox-server.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The local test server: listens on 127.0.0.1, caps and evicts
 * connections, keeps the one account and hands each message over; each
 * connection is a RelaySmtpServerSession. */

#define G_LOG_DOMAIN "relay-sandbox-server"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-sandbox-cert.h"
#include "relay-sandbox-server.h"
#include "relay-secure-private.h"
#include "relay-smtp-server-session.h"
#include "relay-smtp-session.h"

#define USERNAME            "sandbox"
#define PASSWORD_BYTES      18             /* 24 characters of base64url */
#define HOST_NAME           "localhost"
#define GREETING            "Mail Relay local test server ESMTP"
#define MAX_MESSAGE         10485760       /* 10 MiB, as announced by SIZE */
#define MAX_RECIPIENTS      100
#define MAX_AUTH_FAILURES   5
#define MAX_CONNECTIONS     100
#define IDLE_TIMEOUT        60             /* s, once signed in */
#define IDLE_TIMEOUT_ANON   10             /* s, before: idle sockets cannot crowd others out */

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

static gboolean
authenticate_cb (RelaySmtpServerSession *session,
                 const char             *username,
                 gsize                   username_length,
                 const char             *password,
                 gsize                   password_length,
                 gpointer                user_data)
{
  RelaySandboxServer *self = user_data;
  gboolean success;

  success = username_length == strlen (USERNAME) &&
            memcmp (username, USERNAME, username_length) == 0;
  success = relay_secure_equal (password, password_length, self->password, strlen (self->password)) && success;

  return success;
}

static char *
take_message_cb (RelaySmtpServerSession *session,
                 const char             *from,
                 const char * const     *recipients,
                 GBytes                 *message,
                 gpointer                user_data)
{
  g_autoptr(RelaySandboxServer) server = g_object_ref (user_data);
  guint id;

  id = ++server->n_received;

  /* before the reply, so that a client that saw 250 knows it was handed over */
  g_object_notify_by_pspec (G_OBJECT (server), properties[PROP_N_RECEIVED]);
  g_signal_emit (server, signals[MESSAGE_RECEIVED], 0, from, recipients, message);

  return g_strdup_printf ("250 2.0.0 Ok: queued as %u", id);
}

static void
closed_cb (RelaySmtpServerSession *session,
           gpointer                user_data)
{
  RelaySandboxServer *self = user_data;

  g_ptr_array_remove_fast (self->connections, session);
}

static const RelaySmtpServerSessionCallbacks session_callbacks = {
  .authenticate = authenticate_cb,
  .take_message = take_message_cb,
  .closed = closed_cb,
};

static gboolean
incoming_cb (GSocketService     *service,
             GSocketConnection  *connection,
             GObject            *source_object,
             RelaySandboxServer *self)
{
  const RelaySmtpServerConfig config = {
    .host_name = HOST_NAME,
    .greeting = GREETING,
    .certificate = self->certificate,
    .size_limit = MAX_MESSAGE,
    .max_recipients = MAX_RECIPIENTS,
    .max_auth_failures = MAX_AUTH_FAILURES,
    .idle_timeout = IDLE_TIMEOUT,
    .idle_timeout_anonymous = IDLE_TIMEOUT_ANON,
  };
  g_autoptr(GSocketAddress) local = NULL;
  RelaySmtpServerSession *conn;
  gboolean implicit_tls;
  gboolean refused;

  local = g_socket_connection_get_local_address (connection, NULL);

  implicit_tls = local != NULL && G_IS_INET_SOCKET_ADDRESS (local) &&
                 g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) == self->tls_port;
  /* full: the longest-idle connection that never signed in makes room,
   * so that a hundred idle sockets do not lock everyone else out */
  if (self->connections->len >= MAX_CONNECTIONS)
    {
      RelaySmtpServerSession *oldest = NULL;

      for (guint i = 0; i < self->connections->len; i++)
        {
          RelaySmtpServerSession *other = g_ptr_array_index (self->connections, i);

          if (!relay_smtp_server_session_is_authenticated (other) &&
              !relay_smtp_server_session_is_closing (other) &&
              (oldest == NULL ||
               relay_smtp_server_session_get_last_active (other) <
               relay_smtp_server_session_get_last_active (oldest)))
            oldest = other;
        }

      if (oldest != NULL)
        relay_smtp_server_session_close (oldest);
    }
  refused = self->connections->len >= MAX_CONNECTIONS;

  conn = relay_smtp_server_session_new (connection, self->context, implicit_tls,
                                        &config, &session_callbacks, self);
  g_ptr_array_add (self->connections, conn);

  if (refused)
    relay_smtp_server_session_refuse (conn);
  else
    relay_smtp_server_session_start (conn);

  return TRUE;
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

  relay_secure_wipe (self->password, strlen (self->password));
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
  relay_secure_wipe (bytes, sizeof bytes);
  g_strdelimit (self->password, "+", '-');
  g_strdelimit (self->password, "/", '_');

  self->connections =
    g_ptr_array_new_with_free_func ((GDestroyNotify)relay_smtp_server_session_unref);
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
  guint8 serial[RELAY_SANDBOX_CERT_SERIAL_BYTES];

  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);
  g_return_val_if_fail (starttls_port < 65536 && tls_port < 65536, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  relay_secure_random (serial, sizeof serial);
  if (!(certificate = relay_sandbox_cert_generate (serial, error)))
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

  connections = g_ptr_array_copy (self->connections,
                                  (GCopyFunc)relay_smtp_server_session_ref, NULL);
  g_ptr_array_set_free_func (connections, (GDestroyNotify)relay_smtp_server_session_unref);
  for (guint i = 0; i < connections->len; i++)
    relay_smtp_server_session_close (g_ptr_array_index (connections, i));

  g_clear_pointer (&self->context, g_main_context_unref);
  self->starttls_port = 0;
  self->tls_port = 0;
}

/**
 * relay_sandbox_server_is_running:
 * @self: a sandbox server
 *
 * Gets whether @self is listening: started and not stopped since.
 *
 * Returns: whether @self is running
 */
gboolean
relay_sandbox_server_is_running (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), FALSE);

  return self->service != NULL;
}

/**
 * relay_sandbox_server_get_username:
 * @self: a sandbox server
 *
 * Gets the user name of the one account, "sandbox".
 *
 * Returns: (transfer none): the user name
 */
const char *
relay_sandbox_server_get_username (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), NULL);

  return USERNAME;
}

/**
 * relay_sandbox_server_get_starttls_port:
 * @self: a sandbox server
 *
 * Gets the port the server takes STARTTLS connections on, as the kernel
 * picked it when relay_sandbox_server_start() was given 0.
 *
 * Returns: the STARTTLS port, or 0 when the server is not running
 */
guint
relay_sandbox_server_get_starttls_port (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), 0);

  return self->starttls_port;
}

/**
 * relay_sandbox_server_get_tls_port:
 * @self: a sandbox server
 *
 * Gets the port the server takes implicit TLS connections on, as the
 * kernel picked it when relay_sandbox_server_start() was given 0.
 *
 * Returns: the implicit TLS port, or 0 when the server is not running
 */
guint
relay_sandbox_server_get_tls_port (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), 0);

  return self->tls_port;
}

/**
 * relay_sandbox_server_get_password:
 * @self: a sandbox server
 *
 * Gets the password of the account "sandbox", made when @self was made;
 * it stays the same across restarts of @self.
 *
 * Returns: (transfer none): the password
 */
const char *
relay_sandbox_server_get_password (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), NULL);

  return self->password;
}

/**
 * relay_sandbox_server_get_certificate_sha256:
 * @self: a sandbox server
 *
 * Gets the SHA-256 fingerprint of the certificate made by the last
 * relay_sandbox_server_start(), for pinning it.
 *
 * Returns: (transfer none) (nullable): the fingerprint, 64 lower-case
 *   hexadecimal digits, or %NULL before the first start
 */
const char *
relay_sandbox_server_get_certificate_sha256 (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), NULL);

  return self->certificate_sha256;
}

/**
 * relay_sandbox_server_get_certificate:
 * @self: a sandbox server
 *
 * Gets the self-signed certificate made by the last
 * relay_sandbox_server_start().
 *
 * Returns: (transfer none) (nullable): the certificate, or %NULL before
 *   the first start
 */
GTlsCertificate *
relay_sandbox_server_get_certificate (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), NULL);

  return self->certificate;
}

/**
 * relay_sandbox_server_get_n_received: (attributes org.gtk.Method.get_property=n-received)
 * @self: a sandbox server
 *
 * Gets how many messages the server has handed over by
 * [signal@SandboxServer::message-received] since @self was made.
 *
 * Returns: the number of messages received
 */
guint
relay_sandbox_server_get_n_received (RelaySandboxServer *self)
{
  g_return_val_if_fail (RELAY_IS_SANDBOX_SERVER (self), 0);

  return self->n_received;
}
