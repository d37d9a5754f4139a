/* relay-oauth-account.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-oauth-account"

#include "config.h"

#include <json-glib/json-glib.h>

#include "relay-json-private.h"
#include "relay-oauth-account.h"
#include "relay-secrets.h"
#include "relay-secure-private.h"
#include "relay-task-private.h"
#include "relay-validate.h"

/* A token this close to its expiry is refreshed first */
#define EXPIRY_MARGIN_SECONDS 60

static const char *
description (RelayAccount *account)
{
  const char *username = relay_account_get_username (account);

  return username[0] ? username : relay_account_get_host (account);
}

static gboolean
store_access_token (RelayAccount  *account,
                    const char    *access_token,
                    gint64         expires_at,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  char *text;
  gboolean ok;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "access_token");
  json_builder_add_string_value (builder, access_token);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_int_value (builder, expires_at);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  ok = relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_OAUTH_ACCESS_TOKEN,
                                 description (account), text, cancellable, error);
  relay_secure_wipe_string (text);

  return ok;
}

/**
 * relay_oauth_account_store_tokens:
 *
 * Keeps what a sign-in or refresh returned. A refresh without a new
 * refresh token keeps the old one.
 */
gboolean
relay_oauth_account_store_tokens (RelayAccount            *account,
                                  const RelayOAuthTokens  *tokens,
                                  GCancellable            *cancellable,
                                  GError                 **error)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (tokens != NULL && tokens->access_token != NULL, FALSE);

  if (tokens->refresh_token != NULL &&
      !relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_OAUTH_REFRESH_TOKEN,
                                 description (account), tokens->refresh_token, cancellable, error))
    return FALSE;

  return store_access_token (account, tokens->access_token, tokens->expires_at, cancellable, error);
}

/* Reads the stored access token when it is still good for a while */
static char *
read_access_token (RelayAccount  *account,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  char *stored;
  gboolean parsed;
  JsonObject *object;
  gint64 expires_at;
  char *token = NULL;

  stored = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_OAUTH_ACCESS_TOKEN,
                                      cancellable, error);
  if (stored == NULL)
    return NULL;

  parsed = json_parser_load_from_data (parser, stored, -1, NULL);
  secret_password_free (stored);

  if (!parsed || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  object = json_node_get_object (json_parser_get_root (parser));
  expires_at = relay_json_get_int (object, "expires_at", 0);
  if (expires_at != 0 && expires_at - EXPIRY_MARGIN_SECONDS > g_get_real_time () / G_USEC_PER_SEC)
    token = g_strdup (relay_json_get_string (object, "access_token", NULL));

  /* the parsed copy of the token goes with the parser */
  json_object_set_string_member (object, "access_token", "");

  return token;
}

/**
 * relay_oauth_account_get_config:
 * @provider: the provider to sign in with; the account's own when %NULL
 *
 * Where and as whom @account signs in with @provider: the account's own
 * OAuth client, when it has one for @provider's sign-in service, with
 * its secret from the keyring; else the built-in one (see
 * relay_oauth_config_new() for the variables that override both).
 *
 * Returns: (transfer full) (nullable): the configuration
 *
 * Used error codes: %RELAY_OAUTH_ERROR_NOT_CONFIGURED (no client, or no sign-in for the
 *   provider), %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring to read the client's secret from),
 *   %G_IO_ERROR_CANCELLED.
 */
RelayOAuthConfig *
relay_oauth_account_get_config (RelayAccount   *account,
                                RelayProvider  *provider,
                                GCancellable   *cancellable,
                                GError        **error)
{
  const char *client_id;
  const char *service;
  g_autofree char *checked = NULL;
  char *client_secret = NULL;
  RelayOAuthConfig *config;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (provider == NULL || RELAY_IS_PROVIDER (provider), NULL);

  if (provider == NULL && !(provider = relay_provider_lookup (relay_account_get_provider (account))))
    {
      g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                   "“%s” has no sign-in", relay_account_get_provider (account));
      return NULL;
    }

  /* a client made for another service is not this provider's */
  client_id = relay_account_get_oauth_client_id (account);
  service = relay_provider_get_oauth_service (provider);
  if (client_id[0] != '\0' && service != NULL &&
      (checked = relay_validate_oauth_client_id (service, client_id, NULL)) != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      client_secret = relay_secrets_lookup_sync (relay_account_get_id (account),
                                                 RELAY_SECRET_OAUTH_CLIENT_SECRET,
                                                 cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  config = relay_oauth_config_new (provider, checked, client_secret, error);
  secret_password_free (client_secret);

  return config;
}

/**
 * relay_oauth_account_store_client_secret:
 * @client_secret: (nullable): the secret of the account's own OAuth
 *   client; %NULL or "" removes a stored one
 *
 * Keeps the secret of the account's own client in the keyring (kind
 * `oauth-client-secret`). Signing out leaves it there.
 */
gboolean
relay_oauth_account_store_client_secret (RelayAccount  *account,
                                         const char    *client_secret,
                                         GCancellable  *cancellable,
                                         GError       **error)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);

  if (client_secret == NULL || client_secret[0] == '\0')
    return relay_secrets_clear_kind_sync (relay_account_get_id (account), RELAY_SECRET_OAUTH_CLIENT_SECRET,
                                          cancellable, error);

  return relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_OAUTH_CLIENT_SECRET,
                                   description (account), client_secret, cancellable, error);
}

/* What signing out forgets: everything but the user's own client */
static gboolean
forget_sign_in (RelayAccount  *account,
                GCancellable  *cancellable,
                GError       **error)
{
  const RelaySecretKind kinds[] = {
    RELAY_SECRET_OAUTH_REFRESH_TOKEN, RELAY_SECRET_OAUTH_ACCESS_TOKEN, RELAY_SECRET_PASSWORD,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (!relay_secrets_clear_kind_sync (relay_account_get_id (account), kinds[i], cancellable, error))
      return FALSE;

  return TRUE;
}

/**
 * relay_oauth_account_get_access_token:
 * @force_refresh: refresh even if the stored token looks valid, as after
 *   the server's 401 challenge
 *
 * Refreshes the access token when it has expired. When the provider
 * refuses the refresh token (%RELAY_OAUTH_ERROR_INVALID_GRANT) the tokens
 * are deleted; the caller marks the account “sign in again”.
 *
 * Returns: (transfer full) (nullable): an access token, to be wiped with
 *   relay_secure_wipe_string()
 */
char *
relay_oauth_account_get_access_token (RelayAccount  *account,
                                      gboolean       force_refresh,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  g_autoptr(GError) local_error = NULL;
  char *refresh_token;
  char *token;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  if (!force_refresh)
    {
      token = read_access_token (account, cancellable, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (token != NULL)
        return token;
    }

  if (!(config = relay_oauth_account_get_config (account, NULL, cancellable, error)))
    return NULL;

  refresh_token = relay_secrets_lookup_sync (relay_account_get_id (account),
                                             RELAY_SECRET_OAUTH_REFRESH_TOKEN, cancellable, error);
  if (refresh_token == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT,
                             "This account is not signed in");
      return NULL;
    }

  tokens = relay_oauth_refresh_sync (config, refresh_token, cancellable, &local_error);
  secret_password_free (refresh_token);

  if (tokens == NULL)
    {
      if (g_error_matches (local_error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT))
        forget_sign_in (account, cancellable, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (!relay_oauth_account_store_tokens (account, tokens, cancellable, error))
    return NULL;

  return g_strdup (tokens->access_token);
}

gboolean
relay_oauth_account_is_linked (RelayAccount  *account,
                               GCancellable  *cancellable,
                               GError       **error)
{
  char *refresh_token;
  gboolean linked;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);

  refresh_token = relay_secrets_lookup_sync (relay_account_get_id (account),
                                             RELAY_SECRET_OAUTH_REFRESH_TOKEN, cancellable, error);
  linked = refresh_token != NULL;
  secret_password_free (refresh_token);

  return linked;
}

/**
 * relay_oauth_account_sign_out:
 *
 * Forgets every token of the account (its password too, if any). The
 * secret of the user's own OAuth client stays, for the next sign-in.
 */
gboolean
relay_oauth_account_sign_out (RelayAccount  *account,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);

  return forget_sign_in (account, cancellable, error);
}

/* Asynchronous forms
 *
 * Each runs its blocking call above on a worker thread, under the
 * keyring's deadline (relay_task_run_keyring_call()) but for the access
 * token, whose refresh has the token endpoint's own timeouts. The task's
 * state holds copies of what the call needs, never the caller's objects:
 * a task run in a thread may drop its last reference in the worker after
 * its callback has run, and whatever it holds is then released there.
 * For the same reason the task has no source object; a widget that
 * calls these keeps itself alive through its callback's user data, which
 * is released on its own thread. */

typedef enum
{
  CALL_STORE_TOKENS,
  CALL_GET_ACCESS_TOKEN,
  CALL_IS_LINKED,
  CALL_SIGN_OUT,
  CALL_GET_CONFIG,
  CALL_STORE_CLIENT_SECRET,
} CallKind;

typedef struct
{
  CallKind          kind;
  RelayAccount     *account;
  RelayOAuthTokens *tokens;         /* CALL_STORE_TOKENS */
  gboolean          force_refresh;  /* CALL_GET_ACCESS_TOKEN */
  RelayProvider    *provider;       /* CALL_GET_CONFIG */
  char             *secret;         /* CALL_STORE_CLIENT_SECRET */
} AccountCall;

static void
account_call_free (AccountCall *call)
{
  g_clear_object (&call->account);
  g_clear_pointer (&call->tokens, relay_oauth_tokens_free);
  g_clear_object (&call->provider);
  g_clear_pointer (&call->secret, relay_secure_wipe_string);
  g_free (call);
}

static AccountCall *
account_call_new (CallKind      kind,
                  RelayAccount *account)
{
  AccountCall *call = g_new0 (AccountCall, 1);

  call->kind = kind;
  call->account = relay_account_copy (account);

  return call;
}

static void
account_call_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  AccountCall *call = task_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = FALSE;
  char *token;
  RelayOAuthConfig *config;

  if (g_task_return_error_if_cancelled (task))
    return;

  switch (call->kind)
    {
    case CALL_STORE_TOKENS:
      ok = relay_oauth_account_store_tokens (call->account, call->tokens, cancellable, &error);
      break;
    case CALL_GET_ACCESS_TOKEN:
      token = relay_oauth_account_get_access_token (call->account, call->force_refresh, cancellable, &error);
      if (error == NULL)
        {
          g_task_return_pointer (task, token, (GDestroyNotify)relay_secure_wipe_string);
          return;
        }
      break;
    case CALL_IS_LINKED:
      ok = relay_oauth_account_is_linked (call->account, cancellable, &error);
      break;
    case CALL_SIGN_OUT:
      ok = relay_oauth_account_sign_out (call->account, cancellable, &error);
      break;
    case CALL_GET_CONFIG:
      config = relay_oauth_account_get_config (call->account, call->provider, cancellable, &error);
      if (error == NULL)
        {
          g_task_return_pointer (task, config, (GDestroyNotify)relay_oauth_config_free);
          return;
        }
      break;
    case CALL_STORE_CLIENT_SECRET:
      ok = relay_oauth_account_store_client_secret (call->account, call->secret, cancellable, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, ok);
}

/* Under the keyring's deadline, but for an access token, whose refresh
 * may wait on the sign-in server (with the token endpoint's own timeout) */
static void
run_call (AccountCall         *call,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  if (call->kind == CALL_GET_ACCESS_TOKEN)
    relay_task_run_in_worker (NULL, source_tag, call, (GDestroyNotify)account_call_free, account_call_thread,
                              cancellable, callback, user_data);
  else
    relay_task_run_keyring_call (source_tag, call, (GDestroyNotify)account_call_free, account_call_thread,
                                 cancellable, callback, user_data);
}

/**
 * relay_oauth_account_store_tokens_async:
 * @account: the account the tokens belong to; copied
 * @tokens: what a sign-in or refresh returned; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_oauth_account_store_tokens() on a worker thread.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_TIMEOUT (the keyring did not answer within
 * %RELAY_SECRETS_TIMEOUT_SECONDS), %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_oauth_account_store_tokens_async (RelayAccount            *account,
                                        const RelayOAuthTokens  *tokens,
                                        GCancellable            *cancellable,
                                        GAsyncReadyCallback      callback,
                                        gpointer                 user_data)
{
  AccountCall *call;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (tokens != NULL && tokens->access_token != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = account_call_new (CALL_STORE_TOKENS, account);
  call->tokens = relay_oauth_tokens_copy (tokens);
  run_call (call, relay_oauth_account_store_tokens_async, cancellable, callback, user_data);
}

/**
 * relay_oauth_account_store_tokens_finish:
 *
 * Returns: %TRUE when both tokens are kept; otherwise %FALSE with @error
 *   set (see relay_oauth_account_store_tokens_async() for its codes)
 */
gboolean
relay_oauth_account_store_tokens_finish (GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_oauth_account_store_tokens_async), FALSE);

  return relay_task_propagate_keyring_call (result, NULL, error);
}

/**
 * relay_oauth_account_get_access_token_async:
 * @account: the signed-in account; copied
 * @force_refresh: refresh even if the stored token looks valid
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_oauth_account_get_access_token() on a worker thread: the stored
 * access token, or a new one from the provider when it has expired.
 *
 * Used error codes: %RELAY_OAUTH_ERROR_INVALID_GRANT (not signed in, or
 * the provider refused the refresh token, which is then deleted),
 * %RELAY_OAUTH_ERROR_NOT_CONFIGURED (the account's provider has no
 * sign-in in this build), %RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
 * %RELAY_OAUTH_ERROR_TOKEN_TIMEOUT (the refresh failed),
 * %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring), %G_IO_ERROR_CANCELLED.
 */
void
relay_oauth_account_get_access_token_async (RelayAccount        *account,
                                            gboolean             force_refresh,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  AccountCall *call;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = account_call_new (CALL_GET_ACCESS_TOKEN, account);
  call->force_refresh = !!force_refresh;
  run_call (call, relay_oauth_account_get_access_token_async, cancellable, callback, user_data);
}

/**
 * relay_oauth_account_get_access_token_finish:
 *
 * Returns: (transfer full) (nullable): an access token, to be wiped with
 *   relay_sasl_wipe(); %NULL with @error set (see
 *   relay_oauth_account_get_access_token_async() for its codes)
 */
char *
relay_oauth_account_get_access_token_finish (GAsyncResult  *result,
                                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_oauth_account_get_access_token_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * relay_oauth_account_is_linked_async:
 * @account: the account; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_oauth_account_is_linked() on a worker thread: whether the
 * keyring holds a refresh token for @account.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_TIMEOUT (the keyring did not answer within
 * %RELAY_SECRETS_TIMEOUT_SECONDS), %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_oauth_account_is_linked_async (RelayAccount        *account,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_call (account_call_new (CALL_IS_LINKED, account), relay_oauth_account_is_linked_async,
            cancellable, callback, user_data);
}

/**
 * relay_oauth_account_is_linked_finish:
 *
 * Returns: whether the account is signed in; %FALSE also when @error is
 *   set (see relay_oauth_account_is_linked_async() for its codes)
 */
gboolean
relay_oauth_account_is_linked_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_oauth_account_is_linked_async), FALSE);

  return relay_task_propagate_keyring_call (result, NULL, error);
}

/**
 * relay_oauth_account_sign_out_async:
 * @account: the account; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_oauth_account_sign_out() on a worker thread: forgets every token
 * of @account (its password too, if any).
 *
 * Used error codes: %RELAY_SECRETS_ERROR_TIMEOUT (the keyring did not answer within
 * %RELAY_SECRETS_TIMEOUT_SECONDS), %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_oauth_account_sign_out_async (RelayAccount        *account,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_call (account_call_new (CALL_SIGN_OUT, account), relay_oauth_account_sign_out_async,
            cancellable, callback, user_data);
}

/**
 * relay_oauth_account_sign_out_finish:
 *
 * Returns: %TRUE when the tokens are gone; otherwise %FALSE with @error
 *   set (see relay_oauth_account_sign_out_async() for its codes)
 */
gboolean
relay_oauth_account_sign_out_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_oauth_account_sign_out_async), FALSE);

  return relay_task_propagate_keyring_call (result, NULL, error);
}

/**
 * relay_oauth_account_get_config_async:
 * @account: the account; copied
 * @provider: (nullable): the provider to sign in with; the account's own when %NULL
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_oauth_account_get_config() on a worker thread: the account's own
 * client's secret comes from the keyring.
 *
 * Used error codes: %RELAY_OAUTH_ERROR_NOT_CONFIGURED (no client, or no
 * sign-in for the provider), %RELAY_SECRETS_ERROR_TIMEOUT (the keyring did not answer within
 * %RELAY_SECRETS_TIMEOUT_SECONDS), %RELAY_SECRETS_ERROR_UNAVAILABLE (no
 * keyring), %G_IO_ERROR_CANCELLED.
 */
void
relay_oauth_account_get_config_async (RelayAccount        *account,
                                      RelayProvider       *provider,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  AccountCall *call;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (provider == NULL || RELAY_IS_PROVIDER (provider));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = account_call_new (CALL_GET_CONFIG, account);
  call->provider = provider ? g_object_ref (provider) : NULL;
  run_call (call, relay_oauth_account_get_config_async, cancellable, callback, user_data);
}

/**
 * relay_oauth_account_get_config_finish:
 *
 * Returns: (transfer full) (nullable): the configuration; %NULL with
 *   @error set (see relay_oauth_account_get_config_async() for its codes)
 */
RelayOAuthConfig *
relay_oauth_account_get_config_finish (GAsyncResult  *result,
                                       GError       **error)
{
  gpointer config = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_oauth_account_get_config_async), NULL);

  relay_task_propagate_keyring_call (result, &config, error);

  return config;
}

/**
 * relay_oauth_account_store_client_secret_async:
 * @account: the account; copied
 * @client_secret: (nullable): the secret of its own OAuth client; copied,
 *   and the copy wiped; %NULL or "" removes a stored one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_oauth_account_store_client_secret() on a worker thread.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_TIMEOUT (the keyring did not answer within
 * %RELAY_SECRETS_TIMEOUT_SECONDS), %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_oauth_account_store_client_secret_async (RelayAccount        *account,
                                               const char          *client_secret,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  AccountCall *call;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = account_call_new (CALL_STORE_CLIENT_SECRET, account);
  call->secret = g_strdup (client_secret);
  run_call (call, relay_oauth_account_store_client_secret_async, cancellable, callback, user_data);
}

/**
 * relay_oauth_account_store_client_secret_finish:
 *
 * Returns: %TRUE when the secret is kept (or removed); otherwise %FALSE
 *   with @error set (see relay_oauth_account_store_client_secret_async()
 *   for its codes)
 */
gboolean
relay_oauth_account_store_client_secret_finish (GAsyncResult  *result,
                                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_oauth_account_store_client_secret_async),
                        FALSE);

  return relay_task_propagate_keyring_call (result, NULL, error);
}
