/* relay-sasl.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The initial client responses of the SASL mechanisms, base64-encoded.
 * They carry secrets: callers wipe them with relay_sasl_wipe().
 */

#define G_LOG_DOMAIN "relay-sasl"

#include "config.h"

#include "relay-sasl.h"
#include "relay-secure-private.h"

const char *
relay_sasl_mechanism_name (RelayAuthMethod method)
{
  switch (method)
    {
    case RELAY_AUTH_METHOD_PLAIN:       return "PLAIN";
    case RELAY_AUTH_METHOD_LOGIN:       return "LOGIN";
    case RELAY_AUTH_METHOD_XOAUTH2:     return "XOAUTH2";
    case RELAY_AUTH_METHOD_OAUTHBEARER: return "OAUTHBEARER";
    case RELAY_AUTH_METHOD_AUTO:
    default:
      return NULL;
    }
}

static char *
encode_and_wipe (GString *raw)
{
  char *encoded = g_base64_encode ((const guchar *)raw->str, raw->len);

  relay_secure_wipe (raw->str, raw->len);
  g_string_free (raw, TRUE);

  return encoded;
}

static char *encode_printf_and_wipe (const char *format,
                                     ...) G_GNUC_PRINTF (1, 2);

/* A response that is text, without NUL bytes */
static char *
encode_printf_and_wipe (const char *format,
                        ...)
{
  GString *raw = g_string_new (NULL);
  va_list args;

  va_start (args, format);
  g_string_append_vprintf (raw, format, args);
  va_end (args);

  return encode_and_wipe (raw);
}

/* RFC 4616: authzid NUL authcid NUL passwd, with an empty authzid */
char *
relay_sasl_plain (const char *username,
                  const char *password)
{
  GString *raw;

  g_return_val_if_fail (username != NULL && password != NULL, NULL);

  raw = g_string_new (NULL);
  g_string_append_c (raw, '\0');
  g_string_append (raw, username);
  g_string_append_c (raw, '\0');
  g_string_append (raw, password);

  return encode_and_wipe (raw);
}

/* Google's and Microsoft's format: user=U ^A auth=Bearer T ^A ^A */
char *
relay_sasl_xoauth2 (const char *username,
                    const char *token)
{
  g_return_val_if_fail (username != NULL && token != NULL, NULL);

  return encode_printf_and_wipe ("user=%s\001auth=Bearer %s\001\001", username, token);
}

/* RFC 7628: gs2-header ^A host=H ^A port=P ^A auth=Bearer T ^A ^A */
char *
relay_sasl_oauthbearer (const char *username,
                        const char *host,
                        guint       port,
                        const char *token)
{
  g_autoptr(GString) authzid = NULL;

  g_return_val_if_fail (username != NULL && host != NULL && token != NULL, NULL);

  /* RFC 5801: “,” and “=” in the authzid become =2C and =3D */
  authzid = g_string_new (username);
  g_string_replace (authzid, "=", "=3D", 0);
  g_string_replace (authzid, ",", "=2C", 0);

  return encode_printf_and_wipe ("n,a=%s,\001host=%s\001port=%u\001auth=Bearer %s\001\001",
                                 authzid->str, host, port, token);
}

/**
 * relay_sasl_wipe:
 * @text: (nullable) (transfer full): a string that held a secret
 *
 * Overwrites and frees a string that held a secret: the app's and the
 * CLI's name for relay_secure_wipe_string(), which the core calls itself.
 */
void
relay_sasl_wipe (char *text)
{
  relay_secure_wipe_string (text);
}
