/* relay-oauth.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * OAuth 2.0 for native apps (RFC 8252): the system browser, a loopback
 * redirect on 127.0.0.1 with a kernel-chosen port, PKCE S256 (RFC 7636)
 * and a single-use state. Tokens, codes, the verifier and the client
 * secret are never logged nor put into an error message.
 *
 * This file: what the sign-in's files share — the error domain, the PKCE
 * verifier and challenge, the state, and what the other side sent made fit
 * to show. The configuration is in relay-oauth-config.c, the token
 * endpoint and refresh in relay-oauth-token.c, the loopback flow in
 * relay-oauth-flow.c.
 */

#define G_LOG_DOMAIN "relay-oauth"

#include "config.h"

#include <string.h>

#include "relay-oauth-private.h"
#include "relay-secure-private.h"

#define VERIFIER_LENGTH     64
#define STATE_BYTES         32

G_DEFINE_QUARK (relay-oauth-error-quark, relay_oauth_error)

/* PKCE and state {{{1 */

static char *
base64url_encode (const guint8 *data,
                  gsize         length)
{
  char *encoded = g_base64_encode (data, length);
  char *end;

  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  end = strchr (encoded, '=');
  if (end != NULL)
    *end = '\0';

  return encoded;
}

char *
_relay_oauth_make_verifier (void)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  const guint n_symbols = sizeof alphabet - 1;
  char *verifier = g_malloc (VERIFIER_LENGTH + 1);
  guint filled = 0;

  G_STATIC_ASSERT (sizeof alphabet - 1 == 66);

  /* rejection sampling: bytes ≥ 198 (3 × 66) would bias the draw */
  while (filled < VERIFIER_LENGTH)
    {
      guint8 bytes[VERIFIER_LENGTH];

      relay_secure_random (bytes, sizeof bytes);
      for (guint i = 0; i < sizeof bytes && filled < VERIFIER_LENGTH; i++)
        if (bytes[i] < 3 * n_symbols)
          verifier[filled++] = alphabet[bytes[i] % n_symbols];
      relay_secure_wipe (bytes, sizeof bytes);
    }
  verifier[VERIFIER_LENGTH] = '\0';

  return verifier;
}

char *
_relay_oauth_make_state (void)
{
  guint8 bytes[STATE_BYTES];
  char *state;

  relay_secure_random (bytes, sizeof bytes);
  state = base64url_encode (bytes, sizeof bytes);
  relay_secure_wipe (bytes, sizeof bytes);

  return state;
}

/**
 * relay_oauth_pkce_challenge:
 *
 * Returns: BASE64URL(SHA256(@verifier)) without padding (RFC 7636 4.2)
 */
char *
relay_oauth_pkce_challenge (const char *verifier)
{
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize length = sizeof digest;

  g_return_val_if_fail (verifier != NULL, NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *)verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &length);
  g_assert (length == sizeof digest);

  return base64url_encode (digest, length);
}

/* What the other side sent, fit to show: printable ASCII, bounded */
char *
_relay_oauth_sanitize (const char *text,
                       gsize       max_length)
{
  GString *clean = g_string_new (NULL);

  for (const char *p = text; *p != '\0' && clean->len < max_length; p++)
    g_string_append_c (clean, g_ascii_isprint (*p) ? *p : '?');
  if (*text != '\0' && strlen (text) > max_length)
    g_string_append (clean, "…");

  return g_string_free (clean, FALSE);
}
