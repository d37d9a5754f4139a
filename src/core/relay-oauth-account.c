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
  RelayProvider *provider;
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

  provider = relay_provider_lookup (relay_account_get_provider (account));
  if (provider == NULL || !(config = relay_oauth_config_new_for_provider (provider, error)))
    {
      if (provider == NULL)
        g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                     "“%s” has no sign-in", relay_account_get_provider (account));
      return NULL;
    }

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
        relay_secrets_clear_sync (relay_account_get_id (account), cancellable, NULL);
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
 * Forgets every token of the account (its password too, if any).
 */
gboolean
relay_oauth_account_sign_out (RelayAccount  *account,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);

  return relay_secrets_clear_sync (relay_account_get_id (account), cancellable, error);
}
