/* relay-smtp-session-tls.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The TLS side of a RelaySmtpSession: the handshake (implicit TLS or
 * after STARTTLS) and the one rule that accepts or refuses the server's
 * certificate, pins first. */

#define G_LOG_DOMAIN "relay-smtp-session"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-smtp-session-private.h"

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
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT (the CA file cannot be read),
 *   %RELAY_SMTP_ERROR_CERTIFICATE (the certificate is not accepted: see
 *   relay_smtp_session_get_peer_errors() and relay_smtp_session_get_pin_refused()), %G_TLS_ERROR
 *   (the handshake failed), %G_IO_ERROR (%G_IO_ERROR_TIMED_OUT past the deadline,
 *   %G_IO_ERROR_CANCELLED).
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

  if (!_relay_smtp_session_arm (self, error))
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
  _relay_smtp_session_use_stream (self, G_IO_STREAM (self->tls));

  return TRUE;
}
