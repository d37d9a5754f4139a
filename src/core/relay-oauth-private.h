/* relay-oauth-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-oauth.h"

G_BEGIN_DECLS

#define RELAY_OAUTH_CALLBACK_PATH    "/oauth2/callback"
#define RELAY_OAUTH_MAX_REQUEST_URI  8192

/* What a request to the loopback redirect says */
typedef enum
{
  RELAY_OAUTH_CALLBACK_FOREIGN,  /* no state or another one: not the answer to this sign-in */
  RELAY_OAUTH_CALLBACK_CODE,     /* the authorization code */
  RELAY_OAUTH_CALLBACK_ERROR,    /* the provider's error (RFC 6749 4.1.2.1) */
  RELAY_OAUTH_CALLBACK_NO_CODE,  /* the right state, but neither a code nor an error */
} RelayOAuthCallback;

RelayOAuthCallback relay_oauth_read_callback (const char  *query,
                                              const char  *expected_state,
                                              char       **code,
                                              GError     **error);

gboolean           relay_oauth_read_socket_row (const char         *line,
                                                GInetSocketAddress *local,
                                                GInetSocketAddress *remote,
                                                guint              *uid);

/* Between the files of the sign-in only (relay-oauth*.c) */
char              *_relay_oauth_make_verifier  (void);
char              *_relay_oauth_make_state     (void);
char              *_relay_oauth_sanitize       (const char         *text,
                                                gsize               max_length);
GHashTable        *_relay_oauth_form_new       (void);
void               _relay_oauth_token_request_async (const RelayOAuthConfig *config,
                                                     GHashTable         *form,
                                                     const char         *old_refresh_token,
                                                     gboolean            want_email,
                                                     gpointer            source_tag,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);

G_END_DECLS
