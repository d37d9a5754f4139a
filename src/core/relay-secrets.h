/* relay-secrets.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

#define RELAY_SECRETS_ERROR (relay_secrets_error_quark ())

typedef enum
{
  /* No Secret Service answered: never fall back to a file */
  RELAY_SECRETS_ERROR_UNAVAILABLE,
  /* The keyring did not answer within RELAY_SECRETS_TIMEOUT_SECONDS
   * (the async forms only): try again */
  RELAY_SECRETS_ERROR_TIMEOUT,
} RelaySecretsError;

/* How long the async forms wait for the keyring */
#define RELAY_SECRETS_TIMEOUT_SECONDS 10

typedef enum
{
  RELAY_SECRET_PASSWORD,
  RELAY_SECRET_OAUTH_REFRESH_TOKEN,
  RELAY_SECRET_OAUTH_ACCESS_TOKEN,
  RELAY_SECRET_OAUTH_CLIENT_SECRET,  /* of the user's own OAuth client */
} RelaySecretKind;

GQuark              relay_secrets_error_quark   (void);
const SecretSchema *relay_secrets_get_schema    (void);
const char         *relay_secret_kind_to_string (RelaySecretKind      kind);

void                relay_secrets_store_async   (const char          *account_id,
                                                 RelaySecretKind      kind,
                                                 const char          *description,
                                                 const char          *secret,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean            relay_secrets_store_finish  (GAsyncResult        *result,
                                                 GError             **error);
void                relay_secrets_lookup_async  (const char          *account_id,
                                                 RelaySecretKind      kind,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char               *relay_secrets_lookup_finish (GAsyncResult        *result,
                                                 GError             **error);
void                relay_secrets_clear_async   (const char          *account_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean            relay_secrets_clear_finish  (GAsyncResult        *result,
                                                 GError             **error);
void                relay_secrets_clear_kind_async (const char       *account_id,
                                                 RelaySecretKind      kind,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

gboolean            relay_secrets_store_sync    (const char          *account_id,
                                                 RelaySecretKind      kind,
                                                 const char          *description,
                                                 const char          *secret,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
char               *relay_secrets_lookup_sync   (const char          *account_id,
                                                 RelaySecretKind      kind,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
gboolean            relay_secrets_clear_sync    (const char          *account_id,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
gboolean            relay_secrets_clear_kind_sync (const char        *account_id,
                                                 RelaySecretKind      kind,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

G_END_DECLS
