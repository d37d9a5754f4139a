/* relay-smtp-error.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RELAY_SMTP_ERROR (relay_smtp_error_quark ())

/* Errors of the SMTP engine. Network, resolver and TLS errors keep their
 * own domains (G_IO_ERROR, G_RESOLVER_ERROR, G_TLS_ERROR). */
typedef enum
{
  RELAY_SMTP_ERROR_REPLY,                 /* the server answered 4xx/5xx; see the reply */
  RELAY_SMTP_ERROR_PROTOCOL,              /* a malformed or unexpected reply */
  RELAY_SMTP_ERROR_LINE_TOO_LONG,         /* a reply line or reply over its bound */
  RELAY_SMTP_ERROR_CLOSED,                /* the server closed the connection */
  RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE,  /* STARTTLS required but not offered */
  RELAY_SMTP_ERROR_INJECTION,             /* bytes after the STARTTLS reply */
  RELAY_SMTP_ERROR_AUTH_UNAVAILABLE,      /* no usable AUTH mechanism */
  RELAY_SMTP_ERROR_INSECURE,              /* a password over plaintext to a remote host */
  RELAY_SMTP_ERROR_BAD_INPUT,             /* CR/LF in an address or header, bad size */
  RELAY_SMTP_ERROR_TOO_BIG,               /* larger than the server's SIZE */
  RELAY_SMTP_ERROR_CERTIFICATE,           /* validation failed; see the certificate */
} RelaySmtpError;

GQuark relay_smtp_error_quark (void);

G_END_DECLS
