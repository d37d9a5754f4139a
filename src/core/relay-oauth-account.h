/* relay-oauth-account.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-account.h"
#include "relay-oauth.h"

G_BEGIN_DECLS

/* An account's OAuth tokens, kept in the keyring only: the refresh token
 * (kind oauth-refresh-token) and the access token with its expiry
 * (kind oauth-access-token); and the secret of the user's own OAuth
 * client, if the account has one (kind oauth-client-secret). The plain calls block (for a worker thread,
 * such as the probe's token refresher); the app and the CLI call the
 * _async forms, which run them on a worker of their own. */
gboolean  relay_oauth_account_store_tokens     (RelayAccount            *account,
                                                const RelayOAuthTokens  *tokens,
                                                GCancellable            *cancellable,
                                                GError                 **error);
char     *relay_oauth_account_get_access_token (RelayAccount            *account,
                                                gboolean                 force_refresh,
                                                GCancellable            *cancellable,
                                                GError                 **error);
gboolean  relay_oauth_account_is_linked        (RelayAccount            *account,
                                                GCancellable            *cancellable,
                                                GError                 **error);
gboolean  relay_oauth_account_sign_out         (RelayAccount            *account,
                                                GCancellable            *cancellable,
                                                GError                 **error);
RelayOAuthConfig *relay_oauth_account_get_config (RelayAccount          *account,
                                                RelayProvider           *provider,
                                                GCancellable            *cancellable,
                                                GError                 **error);
gboolean  relay_oauth_account_store_client_secret (RelayAccount         *account,
                                                const char              *client_secret,
                                                GCancellable            *cancellable,
                                                GError                 **error);

void      relay_oauth_account_store_tokens_async      (RelayAccount            *account,
                                                       const RelayOAuthTokens  *tokens,
                                                       GCancellable            *cancellable,
                                                       GAsyncReadyCallback      callback,
                                                       gpointer                 user_data);
gboolean  relay_oauth_account_store_tokens_finish     (GAsyncResult            *result,
                                                       GError                 **error);
void      relay_oauth_account_get_access_token_async  (RelayAccount            *account,
                                                       gboolean                 force_refresh,
                                                       GCancellable            *cancellable,
                                                       GAsyncReadyCallback      callback,
                                                       gpointer                 user_data);
char     *relay_oauth_account_get_access_token_finish (GAsyncResult            *result,
                                                       GError                 **error);
void      relay_oauth_account_is_linked_async         (RelayAccount            *account,
                                                       GCancellable            *cancellable,
                                                       GAsyncReadyCallback      callback,
                                                       gpointer                 user_data);
gboolean  relay_oauth_account_is_linked_finish        (GAsyncResult            *result,
                                                       GError                 **error);
void      relay_oauth_account_sign_out_async          (RelayAccount            *account,
                                                       GCancellable            *cancellable,
                                                       GAsyncReadyCallback      callback,
                                                       gpointer                 user_data);
gboolean  relay_oauth_account_sign_out_finish         (GAsyncResult            *result,
                                                       GError                 **error);
void      relay_oauth_account_get_config_async        (RelayAccount            *account,
                                                       RelayProvider           *provider,
                                                       GCancellable            *cancellable,
                                                       GAsyncReadyCallback      callback,
                                                       gpointer                 user_data);
RelayOAuthConfig *relay_oauth_account_get_config_finish (GAsyncResult          *result,
                                                       GError                 **error);
void      relay_oauth_account_store_client_secret_async  (RelayAccount         *account,
                                                          const char           *client_secret,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean  relay_oauth_account_store_client_secret_finish (GAsyncResult         *result,
                                                          GError              **error);

G_END_DECLS
