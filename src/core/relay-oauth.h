/* relay-oauth.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-provider.h"

G_BEGIN_DECLS

#define RELAY_OAUTH_ERROR (relay_oauth_error_quark ())

typedef enum /*< underscore_name=relay_oauth_error >*/
{
  RELAY_OAUTH_ERROR_NOT_CONFIGURED,  /* no client id: the message says how to give one */
  RELAY_OAUTH_ERROR_BUSY,            /* another sign-in is already waiting */
  RELAY_OAUTH_ERROR_ACCESS_DENIED,   /* the person declined (error=access_denied) */
  RELAY_OAUTH_ERROR_AUTHORIZATION,   /* any other error= of RFC 6749 4.1.2.1 */
  RELAY_OAUTH_ERROR_TIMEOUT,         /* no valid callback in time */
  RELAY_OAUTH_ERROR_INVALID_GRANT,   /* the refresh token (or code) is no longer valid: sign in again */
  RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,  /* the token endpoint failed or answered nonsense */
  RELAY_OAUTH_ERROR_NO_ADDRESS,      /* the sign-in named no usable email address: none in the
                                      * id_token nor from the userinfo endpoint, not verified,
                                      * or not a valid address; nothing should be saved */
  RELAY_OAUTH_ERROR_TOKEN_TIMEOUT,   /* the token (or userinfo) endpoint did not answer in time:
                                      * a later try may do */
} RelayOAuthError;

/* Where and as whom to sign in */
typedef struct
{
  char *service;        /* "google" or "microsoft" */
  char *auth_url;
  char *token_url;
  char *scope;
  char *client_id;
  char *client_secret;  /* installed-app secret, not confidential; may be NULL */
  char *userinfo_url;   /* OpenID Connect userinfo endpoint; may be NULL */
} RelayOAuthConfig;

/* What a sign-in or a refresh yields */
typedef struct
{
  char   *access_token;
  char   *refresh_token;  /* NULL when a refresh did not rotate it */
  gint64  expires_at;     /* Unix time; 0 when unknown */
  char   *email;          /* after a sign-in: the verified address from the id_token or,
                           * when it has none, from the userinfo endpoint; NULL after a refresh */
} RelayOAuthTokens;

#define RELAY_TYPE_OAUTH_CONFIG (relay_oauth_config_get_type ())
#define RELAY_TYPE_OAUTH_TOKENS (relay_oauth_tokens_get_type ())
#define RELAY_TYPE_OAUTH_FLOW (relay_oauth_flow_get_type ())

GQuark            relay_oauth_error_quark          (void);

GType             relay_oauth_config_get_type      (void) G_GNUC_CONST;
RelayOAuthConfig *relay_oauth_config_new_for_provider (RelayProvider      *provider,
                                                    GError            **error);
RelayOAuthConfig *relay_oauth_config_new          (RelayProvider      *provider,
                                                    const char         *own_client_id,
                                                    const char         *own_client_secret,
                                                    GError            **error);
RelayOAuthConfig *relay_oauth_config_copy          (const RelayOAuthConfig *config);
void              relay_oauth_config_free          (RelayOAuthConfig   *config);

GType             relay_oauth_tokens_get_type      (void) G_GNUC_CONST;
RelayOAuthTokens *relay_oauth_tokens_copy          (const RelayOAuthTokens *tokens);
void              relay_oauth_tokens_free          (RelayOAuthTokens   *tokens);

char             *relay_oauth_pkce_challenge       (const char         *verifier);

G_DECLARE_FINAL_TYPE (RelayOAuthFlow, relay_oauth_flow, RELAY, OAUTH_FLOW, GObject)

RelayOAuthFlow   *relay_oauth_flow_new             (const RelayOAuthConfig *config);
gboolean          relay_oauth_flow_start           (RelayOAuthFlow     *self,
                                                    GError            **error);
const char       *relay_oauth_flow_get_authorization_uri (RelayOAuthFlow *self);
const char       *relay_oauth_flow_get_redirect_uri (RelayOAuthFlow    *self);
void              relay_oauth_flow_wait_async      (RelayOAuthFlow     *self,
                                                    guint               timeout_seconds,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
RelayOAuthTokens *relay_oauth_flow_wait_finish     (RelayOAuthFlow     *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);
void              relay_oauth_flow_stop            (RelayOAuthFlow     *self);

void              relay_oauth_refresh_async        (const RelayOAuthConfig *config,
                                                    const char         *refresh_token,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
RelayOAuthTokens *relay_oauth_refresh_finish       (GAsyncResult       *result,
                                                    GError            **error);
RelayOAuthTokens *relay_oauth_refresh_sync         (const RelayOAuthConfig *config,
                                                    const char         *refresh_token,
                                                    GCancellable       *cancellable,
                                                    GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayOAuthConfig, relay_oauth_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayOAuthTokens, relay_oauth_tokens_free)

G_END_DECLS
