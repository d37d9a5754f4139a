/* relay-smtp-session-auth.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The SASL exchange of a RelaySmtpSession: AUTH PLAIN, LOGIN, XOAUTH2 and
 * OAUTHBEARER, never a password over plaintext to a remote host, every
 * credential kept out of the transcript. */

#define G_LOG_DOMAIN "relay-smtp-session"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-message.h"
#include "relay-sasl.h"
#include "relay-secure-private.h"
#include "relay-smtp-session-private.h"

#define MAX_CHALLENGES 3

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

  if (_relay_smtp_session_send_line (self, "*", NULL, cancellable, NULL))
    reply = _relay_smtp_session_read_reply (self, cancellable, NULL);

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

  return _relay_smtp_session_reply_error (self, reply, error);
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

  if (!_relay_smtp_session_send_line (self, "AUTH LOGIN", NULL, cancellable, error) ||
      !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      char *encoded;
      gboolean sent;

      if (reply->code != 334)
        return _relay_smtp_session_reply_error (self, reply, error);

      encoded = g_base64_encode ((const guchar *)answers[i], strlen (answers[i]));
      sent = _relay_smtp_session_send_line (self, encoded, "****", cancellable, error);
      relay_secure_wipe_string (encoded);
      g_clear_pointer (&reply, relay_smtp_reply_free);

      if (!sent || !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
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

  sent = _relay_smtp_session_send_line (self, line, shown, cancellable, error);
  relay_secure_wipe (line, strlen (line));
  relay_secure_wipe_string (initial);

  if (!sent || !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  /* OAuth mechanisms report a bad token in a 334 challenge, to be
   * answered with a dummy response; the server then fails with 535. */
  for (guint i = 0; reply->code == 334 && error_answer != NULL && i < MAX_CHALLENGES; i++)
    {
      g_clear_pointer (&reply, relay_smtp_reply_free);
      if (!_relay_smtp_session_send_line (self, error_answer, NULL, cancellable, error) ||
          !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
        return FALSE;
    }

  return finish_auth (self, reply, cancellable, error);
}

/**
 * relay_smtp_session_authenticate:
 * @method: the mechanism, or %RELAY_AUTH_METHOD_AUTO to choose from what
 *   the server offers (after TLS)
 * @secret: a password, or an OAuth access token for XOAUTH2/OAUTHBEARER
 *
 * Used error codes: %RELAY_SMTP_ERROR_INSECURE (no TLS to a remote host),
 *   %RELAY_SMTP_ERROR_BAD_INPUT (a line break in @username), %RELAY_SMTP_ERROR_AUTH_UNAVAILABLE
 *   (the mechanism is not offered), %RELAY_SMTP_ERROR_REPLY (the credentials refused),
 *   %RELAY_SMTP_ERROR_PROTOCOL (more challenges than allowed, or a malformed reply),
 *   %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED; %G_IO_ERROR from the network
 *   (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline, %G_IO_ERROR_CANCELLED), %G_TLS_ERROR
 *   over TLS.
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
