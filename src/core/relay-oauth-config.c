/* relay-oauth-config.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where and as whom to sign in: a provider's OAuth endpoints and scope,
 * the client id and secret from the MAIL_RELAY_GOOGLE_* and
 * MAIL_RELAY_MICROSOFT_* variables, the user's own client or the build
 * options, each endpoint checked to be https:// or on this machine.
 */

#define G_LOG_DOMAIN "relay-oauth"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-oauth-private.h"
#include "relay-secure-private.h"

G_DEFINE_BOXED_TYPE (RelayOAuthConfig, relay_oauth_config,
                     relay_oauth_config_copy, relay_oauth_config_free)

/* Config {{{1 */

RelayOAuthConfig *
relay_oauth_config_copy (const RelayOAuthConfig *config)
{
  RelayOAuthConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_new0 (RelayOAuthConfig, 1);
  copy->service = g_strdup (config->service);
  copy->auth_url = g_strdup (config->auth_url);
  copy->token_url = g_strdup (config->token_url);
  copy->scope = g_strdup (config->scope);
  copy->client_id = g_strdup (config->client_id);
  copy->client_secret = g_strdup (config->client_secret);
  copy->userinfo_url = g_strdup (config->userinfo_url);

  return copy;
}

void
relay_oauth_config_free (RelayOAuthConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->service);
  g_free (config->auth_url);
  g_free (config->token_url);
  g_free (config->scope);
  g_free (config->client_id);
  relay_secure_wipe_string (config->client_secret);
  g_free (config->userinfo_url);
  g_free (config);
}

/* A set variable wins; an empty one means "none" for the client id and
 * secret (so a built-in secret can be dropped) and is ignored for URLs. */
static char *
dup_setting (const char *prefix,
             const char *name,
             const char *fallback,
             gboolean    empty_means_none)
{
  g_autofree char *variable = g_strconcat (prefix, name, NULL);
  const char *value = g_getenv (variable);

  if (value == NULL || (value[0] == '\0' && !empty_means_none))
    value = fallback;

  return (value != NULL && value[0] != '\0') ? g_strdup (value) : NULL;
}

/* The code and the verifier travel to these addresses: TLS, except to a
 * server on this machine (tests, a local identity provider). */
static gboolean
check_endpoint (const char  *url,
                GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    {
      scheme = g_uri_get_scheme (uri);
      host = g_uri_get_host (uri);

      if (host != NULL && host[0] != '\0')
        {
          if (g_ascii_strcasecmp (scheme, "https") == 0)
            return TRUE;
          if (g_ascii_strcasecmp (scheme, "http") == 0 && relay_secure_is_loopback_host (host))
            return TRUE;
        }
    }

  g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
               /* Translators: %s is a URL */
               _("The sign-in address “%s” cannot be used: it must be an https:// URL "
                 "(or http:// to this computer)"),
               url);
  return FALSE;
}

/**
 * relay_oauth_config_new_for_provider:
 *
 * relay_oauth_config_new() with the built-in client.
 */
RelayOAuthConfig *
relay_oauth_config_new_for_provider (RelayProvider  *provider,
                                     GError        **error)
{
  return relay_oauth_config_new (provider, NULL, NULL, error);
}

/**
 * relay_oauth_config_new:
 * @own_client_id: (nullable): the user's own client (see
 *   relay_account_get_oauth_client_id()), or %NULL or "" for none
 * @own_client_secret: (nullable): its secret, if it has one
 *
 * The endpoints and scope come from the provider. The client is, first
 * to last: the one the MAIL_RELAY_GOOGLE_CLIENT_ID (service "google") or
 * MAIL_RELAY_MICROSOFT_CLIENT_ID (service "microsoft") variable names,
 * the user's own, the one the build options name. A secret goes with
 * its client; the CLIENT_SECRET variable overrides it, and AUTH_URL,
 * TOKEN_URL and USERINFO_URL override the provider's endpoints.
 *
 * Used error codes: %RELAY_OAUTH_ERROR_NOT_CONFIGURED (no client at all, no sign-in for the
 *   provider, or an endpoint that is neither https:// nor on this machine).
 */
RelayOAuthConfig *
relay_oauth_config_new (RelayProvider  *provider,
                        const char     *own_client_id,
                        const char     *own_client_secret,
                        GError        **error)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  const char *service;
  const char *prefix;
  const char *built_id;
  const char *built_secret;
  g_autofree char *id_variable = NULL;
  const char *forced_id;

  g_return_val_if_fail (RELAY_IS_PROVIDER (provider), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  service = relay_provider_get_oauth_service (provider);
  if (service == NULL ||
      relay_provider_get_oauth_auth_url (provider) == NULL ||
      relay_provider_get_oauth_token_url (provider) == NULL)
    {
      g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                   /* Translators: %s is a provider, e.g. “SendGrid” */
                   _("%s does not offer a sign-in: use a user name and password instead"),
                   relay_provider_get_name (provider));
      return NULL;
    }

  if (g_str_equal (service, "google"))
    {
      prefix = "MAIL_RELAY_GOOGLE_";
      built_id = GOOGLE_CLIENT_ID;
      built_secret = GOOGLE_CLIENT_SECRET;
    }
  else if (g_str_equal (service, "microsoft"))
    {
      prefix = "MAIL_RELAY_MICROSOFT_";
      built_id = MICROSOFT_CLIENT_ID;
      built_secret = NULL;
    }
  else
    {
      g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                   /* Translators: %s is a name like “google” from the provider list */
                   _("The sign-in service “%s” is not supported by this version of Mail Relay"),
                   service);
      return NULL;
    }

  config = g_new0 (RelayOAuthConfig, 1);
  config->service = g_strdup (service);
  config->auth_url = dup_setting (prefix, "AUTH_URL",
                                  relay_provider_get_oauth_auth_url (provider), FALSE);
  config->token_url = dup_setting (prefix, "TOKEN_URL",
                                   relay_provider_get_oauth_token_url (provider), FALSE);
  config->scope = g_strdup (relay_provider_get_oauth_scope (provider));
  config->userinfo_url = dup_setting (prefix, "USERINFO_URL",
                                      relay_provider_get_oauth_userinfo_url (provider), FALSE);
  /* a set variable wins (an empty one leaves the user's own client);
   * else the user's own client, with its own secret */
  id_variable = g_strconcat (prefix, "CLIENT_ID", NULL);
  forced_id = g_getenv (id_variable);
  if (own_client_id != NULL && own_client_id[0] != '\0' && (forced_id == NULL || forced_id[0] == '\0'))
    {
      config->client_id = g_strdup (own_client_id);
      config->client_secret = dup_setting (prefix, "CLIENT_SECRET", own_client_secret, TRUE);
    }
  else
    {
      config->client_id = dup_setting (prefix, "CLIENT_ID", built_id, TRUE);
      config->client_secret = dup_setting (prefix, "CLIENT_SECRET", built_secret, TRUE);
    }

  if (config->client_id == NULL)
    {
      if (g_str_equal (service, "google"))
        g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                             _("This copy of Mail Relay was built without a Google sign-in client. "
                               "Use your own: mail-relay-cli account set --provider gmail --from ADDRESS "
                               "--oauth-client-id ID --oauth-client-secret-stdin"));
      else
        g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                             _("This copy of Mail Relay was built without a Microsoft sign-in client. "
                               "Use your own: mail-relay-cli account set --provider microsoft365 "
                               "--from ADDRESS --oauth-client-id ID"));
      return NULL;
    }

  /* the userinfo endpoint gets the access token itself */
  if (!check_endpoint (config->auth_url, error) ||
      !check_endpoint (config->token_url, error) ||
      (config->userinfo_url != NULL && !check_endpoint (config->userinfo_url, error)))
    return NULL;

  return g_steal_pointer (&config);
}
