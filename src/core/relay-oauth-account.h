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
 * (kind oauth-access-token). The calls block; run them in a worker
 * thread in the app. */
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

G_END_DECLS
