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
 */

#define G_LOG_DOMAIN "relay-oauth"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "relay-json-private.h"
#include "relay-oauth-private.h"
#include "relay-secure-private.h"
#include "relay-validate.h"

#define MAX_TOKEN_RESPONSE  (64 * 1024)
#define TOKEN_TIMEOUT       30  /* seconds a read may wait */
#define TOKEN_DEADLINE      60  /* seconds for the whole request, userinfo included */
#define FINISH_GRACE        5   /* seconds to write the last page before closing anyway */
#define VERIFIER_LENGTH     64
#define STATE_BYTES         32

G_DEFINE_QUARK (relay-oauth-error-quark, relay_oauth_error)

G_DEFINE_BOXED_TYPE (RelayOAuthConfig, relay_oauth_config,
                     relay_oauth_config_copy, relay_oauth_config_free)
G_DEFINE_BOXED_TYPE (RelayOAuthTokens, relay_oauth_tokens,
                     relay_oauth_tokens_copy, relay_oauth_tokens_free)

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
 * The endpoints and scope come from the provider; the client id and
 * secret from the build options. MAIL_RELAY_GOOGLE_* (service "google")
 * and MAIL_RELAY_MICROSOFT_* (service "microsoft") variables AUTH_URL,
 * TOKEN_URL, USERINFO_URL, CLIENT_ID and CLIENT_SECRET override them.
 */
RelayOAuthConfig *
relay_oauth_config_new_for_provider (RelayProvider  *provider,
                                     GError        **error)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  const char *service;
  const char *prefix;
  const char *built_id;
  const char *built_secret;

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
  config->client_id = dup_setting (prefix, "CLIENT_ID", built_id, TRUE);
  config->client_secret = dup_setting (prefix, "CLIENT_SECRET", built_secret, TRUE);

  if (config->client_id == NULL)
    {
      if (g_str_equal (service, "google"))
        g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                             _("Sign in with Google needs an OAuth client id: build Mail Relay "
                               "with -Dgoogle_client_id=… or set MAIL_RELAY_GOOGLE_CLIENT_ID"));
      else
        g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                             _("Sign in with Microsoft needs an OAuth client id: build Mail Relay "
                               "with -Dmicrosoft_client_id=… or set MAIL_RELAY_MICROSOFT_CLIENT_ID"));
      return NULL;
    }

  /* the userinfo endpoint gets the access token itself */
  if (!check_endpoint (config->auth_url, error) ||
      !check_endpoint (config->token_url, error) ||
      (config->userinfo_url != NULL && !check_endpoint (config->userinfo_url, error)))
    return NULL;

  return g_steal_pointer (&config);
}

/* Tokens {{{1 */

RelayOAuthTokens *
relay_oauth_tokens_copy (const RelayOAuthTokens *tokens)
{
  RelayOAuthTokens *copy;

  g_return_val_if_fail (tokens != NULL, NULL);

  copy = g_new0 (RelayOAuthTokens, 1);
  copy->access_token = g_strdup (tokens->access_token);
  copy->refresh_token = g_strdup (tokens->refresh_token);
  copy->expires_at = tokens->expires_at;
  copy->email = g_strdup (tokens->email);

  return copy;
}

void
relay_oauth_tokens_free (RelayOAuthTokens *tokens)
{
  if (tokens == NULL)
    return;

  relay_secure_wipe_string (tokens->access_token);
  relay_secure_wipe_string (tokens->refresh_token);
  g_free (tokens->email);
  g_free (tokens);
}

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

static char *
make_verifier (void)
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

static char *
make_state (void)
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
static char *
sanitize (const char *text,
          gsize       max_length)
{
  GString *clean = g_string_new (NULL);

  for (const char *p = text; *p != '\0' && clean->len < max_length; p++)
    g_string_append_c (clean, g_ascii_isprint (*p) ? *p : '?');
  if (*text != '\0' && strlen (text) > max_length)
    g_string_append (clean, "…");

  return g_string_free (clean, FALSE);
}

/* Token endpoint {{{1 */

typedef struct
{
  SoupSession *session;
  SoupMessage *message;
  GByteArray  *body;
  char        *old_refresh_token;
  gboolean     want_email;
  char        *userinfo_url;
  JsonObject  *id_claims;      /* the id_token's payload, when there was one */
  RelayOAuthTokens *tokens;    /* the token endpoint's answer while userinfo is asked */
  gboolean     reading_userinfo;
  /* every step runs with this one: the caller's cancellable and the
   * deadline both cancel it */
  GCancellable *cancellable;
  GSource     *caller_source;
  GSource     *deadline_source;
  guint        deadline;        /* seconds */
  gboolean     timed_out;
} TokenRequest;

static void
token_request_free (TokenRequest *request)
{
  if (request->caller_source != NULL)
    g_source_destroy (request->caller_source);
  g_clear_pointer (&request->caller_source, g_source_unref);
  if (request->deadline_source != NULL)
    g_source_destroy (request->deadline_source);
  g_clear_pointer (&request->deadline_source, g_source_unref);
  g_clear_object (&request->cancellable);
  g_clear_object (&request->session);
  g_clear_object (&request->message);
  if (request->body != NULL)
    {
      relay_secure_wipe (request->body->data, request->body->len);
      g_byte_array_unref (request->body);
    }
  relay_secure_wipe_string (request->old_refresh_token);
  g_free (request->userinfo_url);
  g_clear_pointer (&request->id_claims, json_object_unref);
  g_clear_pointer (&request->tokens, relay_oauth_tokens_free);
  g_free (request);
}

/* A JSON object of claims; NULL when it is none. A NUL, raw or escaped,
 * sets @has_nul: json-glib would cut a string there, so a claim could
 * read as something else than what was sent. */
static JsonObject *
claims_from_json (const char *data,
                  gsize       length,
                  gboolean   *has_nul)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  *has_nul = memchr (data, '\0', length) != NULL ||
             g_strstr_len (data, length, "\\u0000") != NULL;
  if (*has_nul || !json_parser_load_from_data (parser, data, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

/* The payload of a JWS in compact form, unverified; NULL when it is not
 * one (an encrypted token has five parts and no readable payload). */
static JsonObject *
jwt_claims (const char *jwt,
            gboolean   *has_nul)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", 4);
  g_autofree guchar *payload = NULL;
  g_autofree char *padded = NULL;
  gsize length;

  *has_nul = FALSE;
  if (g_strv_length (parts) != 3 || parts[1][0] == '\0' || strlen (parts[1]) > 16384)
    return NULL;

  padded = g_strnfill (strlen (parts[1]) + (4 - strlen (parts[1]) % 4) % 4, '=');
  memcpy (padded, parts[1], strlen (parts[1]));
  g_strdelimit (padded, "-", '+');
  g_strdelimit (padded, "_", '/');
  payload = g_base64_decode (padded, &length);
  if (payload == NULL)
    return NULL;

  return claims_from_json ((const char *)payload, length, has_nul);
}

static void
set_nul_error (GError     **error,
               const char  *source)
{
  if (g_str_equal (source, "id_token"))
    g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                         _("The sign-in was refused: the id_token holds a NUL character"));
  else
    g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                         _("The sign-in was refused: the userinfo response holds a NUL character"));
}

/* email_verified is a boolean (OpenID Connect Core 5.1); some providers
 * send it as a string */
static gboolean
claims_say_unverified (JsonObject *claims)
{
  JsonNode *node = json_object_get_member (claims, "email_verified");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return !json_node_get_boolean (node);
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_ascii_strcasecmp (json_node_get_string (node), "false") == 0;

  return FALSE;
}

/**
 * email_from_claims:
 * @source: where the claims come from, "id_token" or "userinfo"
 * @email: (out): the address, or %NULL when the claims have none
 *
 * An address is checked as strictly as a typed sender address, and
 * more: a claim is used as it is or not at all, so surrounding white
 * space or a line break anywhere refuses it rather than being trimmed.
 *
 * Returns: %FALSE with %RELAY_OAUTH_ERROR_NO_ADDRESS when the claims
 *   name an address that cannot be used
 */
static gboolean
email_from_claims (JsonObject  *claims,
                   const char  *source,
                   char       **email,
                   GError     **error)
{
  g_autofree char *address = NULL;
  g_autofree char *clean = NULL;
  JsonNode *node;
  const char *claim;
  gboolean junk = FALSE;

  *email = NULL;

  node = claims ? json_object_get_member (claims, "email") : NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  claim = (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
          ? json_node_get_string (node) : NULL;
  if (claim != NULL && claim[0] == '\0')
    return TRUE;

  if (claim != NULL)
    for (const char *p = claim; *p != '\0'; p++)
      if ((guchar)*p < 0x20 || *p == 0x7f || *p == ' ')
        junk = TRUE;

  if (claim == NULL || junk || !(address = relay_validate_address (claim, NULL)))
    {
      clean = sanitize (claim != NULL ? claim : "", 100);
      if (g_str_equal (source, "id_token"))
        g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                     /* Translators: %s is what the provider gave, unprintable characters as “?” */
                     _("The sign-in was refused: the email address in the id_token (“%s”) is not "
                       "a valid address"), clean);
      else
        g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                     /* Translators: %s is what the provider gave, unprintable characters as “?” */
                     _("The sign-in was refused: the email address in the userinfo response (“%s”) "
                       "is not a valid address"), clean);
      return FALSE;
    }

  if (claims_say_unverified (claims))
    {
      clean = sanitize (address, 100);
      g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                   /* Translators: %s is an email address */
                   _("The sign-in was refused: the provider says that %s is not verified. Verify "
                     "it with the provider, then sign in again"), clean);
      return FALSE;
    }

  *email = g_steal_pointer (&address);
  return TRUE;
}

static gint64
read_expires_in (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "expires_in");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_STRING)  /* some servers quote it */
    return g_ascii_strtoll (json_node_get_string (node), NULL, 10);

  return 0;
}

static RelayOAuthTokens *
parse_token_response (TokenRequest  *request,
                      GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  guint status = soup_message_get_status (request->message);
  JsonObject *object = NULL;
  const char *access_token;
  const char *refresh_token;
  const char *id_token;
  gint64 expires_in;

  if (json_parser_load_from_data (parser, (const char *)request->body->data,
                                  request->body->len, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *code = NULL;
      g_autofree char *clean = NULL;

      if (object != NULL)
        code = relay_json_get_string (object, "error", NULL);

      if (g_strcmp0 (code, "invalid_grant") == 0)
        {
          g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT,
                               _("The sign-in is no longer valid (invalid_grant): sign in again"));
          return NULL;
        }

      /* only the error code: a description might quote what was sent */
      clean = sanitize (code != NULL ? code : "", 64);
      if (clean[0] != '\0')
        g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
                     /* Translators: %s is an OAuth error code, %u an HTTP status */
                     _("The token endpoint refused the request: %s (HTTP %u)"), clean, status);
      else
        g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
                     _("The token endpoint answered HTTP %u"), status);
      return NULL;
    }

  access_token = object ? relay_json_get_string (object, "access_token", NULL) : NULL;
  if (access_token == NULL || access_token[0] == '\0')
    {
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
                           _("The token endpoint answered without an access token"));
      return NULL;
    }

  refresh_token = relay_json_get_string (object, "refresh_token", NULL);
  id_token = relay_json_get_string (object, "id_token", NULL);
  expires_in = read_expires_in (object);

  tokens = g_new0 (RelayOAuthTokens, 1);
  tokens->access_token = g_strdup (access_token);
  if (refresh_token != NULL && refresh_token[0] != '\0' &&
      g_strcmp0 (refresh_token, request->old_refresh_token) != 0)
    tokens->refresh_token = g_strdup (refresh_token);
  if (expires_in > 0)
    tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + expires_in;
  /* No signature check: the id_token came straight from the token
   * endpoint over TLS in answer to our own request (OpenID Connect Core
   * 3.1.3.7), so TLS already vouches for its origin. */
  if (request->want_email && id_token != NULL)
    {
      gboolean has_nul;

      request->id_claims = jwt_claims (id_token, &has_nul);
      if (has_nul)
        {
          set_nul_error (error, "id_token");
          return NULL;
        }
    }

  return g_steal_pointer (&tokens);
}

static void token_read_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);
static void token_send_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);

/* The userinfo answer (OpenID Connect Core 5.3.2) for the id_token's
 * user: its address goes into request->tokens */
static gboolean
read_userinfo (TokenRequest  *request,
               GError       **error)
{
  g_autoptr(JsonObject) claims = NULL;
  guint status = soup_message_get_status (request->message);
  gboolean has_nul = FALSE;
  const char *type;
  const char *id_sub;
  const char *sub;

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                   /* Translators: %u is an HTTP status such as 401 */
                   _("The sign-in did not say which email address it is for: the id_token has no "
                     "“email” claim and the userinfo endpoint answered HTTP %u"), status);
      return FALSE;
    }

  type = soup_message_headers_get_content_type (soup_message_get_response_headers (request->message),
                                                NULL);
  if (g_strcmp0 (type, "application/jwt") == 0)
    {
      g_autofree char *jwt = g_strndup ((const char *)request->body->data, request->body->len);

      /* unverified, as the id_token: it came over TLS in answer to us */
      /* a NUL in the body would have ended the token early */
      if (memchr (request->body->data, '\0', request->body->len) != NULL)
        has_nul = TRUE;
      else
        claims = jwt_claims (g_strstrip (jwt), &has_nul);
    }
  else
    {
      claims = claims_from_json ((const char *)request->body->data, request->body->len, &has_nul);
    }

  if (has_nul)
    {
      set_nul_error (error, "userinfo");
      return FALSE;
    }
  if (claims == NULL)
    {
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                           _("The userinfo endpoint did not answer with a JSON object"));
      return FALSE;
    }

  /* the answer is for the user the id_token names, or unusable (5.3.2) */
  id_sub = request->id_claims ? relay_json_get_string (request->id_claims, "sub", NULL) : NULL;
  sub = relay_json_get_string (claims, "sub", NULL);
  if (id_sub != NULL && g_strcmp0 (id_sub, sub) != 0)
    {
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                           _("The sign-in was refused: the userinfo endpoint answered for another "
                             "user than the id_token names (“sub” differs)"));
      return FALSE;
    }

  if (!email_from_claims (claims, "userinfo", &request->tokens->email, error))
    return FALSE;

  if (request->tokens->email == NULL)
    {
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                           _("The sign-in did not say which email address it is for: neither the "
                             "id_token nor the userinfo endpoint has an “email” claim"));
      return FALSE;
    }

  return TRUE;
}

/* Asks the userinfo endpoint with the new access token as bearer
 * (OpenID Connect Core 5.3.1, RFC 6750 2.1) */
static void
ask_userinfo (GTask *task)
{
  TokenRequest *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  char *authorization;

  if (request->userinfo_url == NULL)
    {
      g_task_return_new_error (task, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                               _("The sign-in did not say which email address it is for: the "
                                 "id_token has no “email” claim and no userinfo endpoint is set up"));
      g_object_unref (task);
      return;
    }

  g_clear_object (&request->message);
  request->message = soup_message_new (SOUP_METHOD_GET, request->userinfo_url);
  if (request->message == NULL)
    {
      g_task_return_new_error (task, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                               _("The userinfo endpoint address is not valid"));
      g_object_unref (task);
      return;
    }

  relay_secure_wipe (request->body->data, request->body->len);
  g_byte_array_set_size (request->body, 0);
  g_object_set_data (G_OBJECT (task), "stream", NULL);
  request->reading_userinfo = TRUE;

  headers = soup_message_get_request_headers (request->message);
  authorization = g_strconcat ("Bearer ", request->tokens->access_token, NULL);
  soup_message_headers_replace (headers, "Authorization", authorization);
  relay_secure_wipe_string (authorization);
  soup_message_headers_replace (headers, "Accept", "application/json");

  soup_session_set_proxy_resolver (request->session,
                                   relay_secure_is_loopback_host (g_uri_get_host (soup_message_get_uri (request->message)))
                                   ? NULL : g_proxy_resolver_get_default ());

  soup_session_send_async (request->session, request->message, G_PRIORITY_DEFAULT,
                           request->cancellable, token_send_cb, task);
}

/* What a failed step of the request ends with: the caller's cancelling
 * as it is, a request past its deadline or a read that waited too long
 * as a timeout (a later try may do), anything else as the endpoint's
 * failure */
static GError *
request_error (TokenRequest *request,
               GError       *error,
               gboolean      reading)
{
  GError *mapped;

  if (request->timed_out)
    mapped = g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT,
                          /* Translators: %u is a number of seconds */
                          _("The sign-in server did not answer in time (no answer within %u s)"),
                          request->deadline);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    mapped = g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT,
                          /* Translators: %u is a number of seconds */
                          _("The sign-in server did not answer in time (silent for %u s)"),
                          TOKEN_TIMEOUT);
  else if (request->reading_userinfo && reading)
    mapped = g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                          _("Could not read the answer of the userinfo endpoint: %s"),
                          error->message);
  else if (request->reading_userinfo)
    mapped = g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                          _("Could not reach the userinfo endpoint: %s"), error->message);
  else if (reading)
    mapped = g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
                          _("Could not read the answer of the token endpoint: %s"),
                          error->message);
  else
    mapped = g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
                          _("Could not reach the token endpoint: %s"), error->message);

  g_error_free (error);
  return mapped;
}

static void
token_read_more (GTask *task)
{
  TokenRequest *request = g_task_get_task_data (task);
  GInputStream *stream = g_object_get_data (G_OBJECT (task), "stream");

  g_input_stream_read_bytes_async (stream, 8192, G_PRIORITY_DEFAULT,
                                   request->cancellable, token_read_cb, task);
}

static void
token_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TokenRequest *request = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;
  RelayOAuthTokens *tokens;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, request_error (request, error, TRUE));
      return;
    }

  if (g_bytes_get_size (bytes) > 0)
    {
      if (request->body->len + g_bytes_get_size (bytes) > MAX_TOKEN_RESPONSE)
        {
          if (request->reading_userinfo)
            g_task_return_new_error (task, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS,
                                     _("The answer of the userinfo endpoint is too large"));
          else
            g_task_return_new_error (task, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT,
                                     _("The answer of the token endpoint is too large"));
          return;
        }
      g_byte_array_append (request->body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      token_read_more (g_steal_pointer (&task));
      return;
    }

  if (request->reading_userinfo)
    {
      if (!read_userinfo (request, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_task_return_pointer (task, g_steal_pointer (&request->tokens),
                             (GDestroyNotify)relay_oauth_tokens_free);
      return;
    }

  tokens = parse_token_response (request, &error);
  if (tokens == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* a sign-in is for an address: the id_token's, else the userinfo endpoint's */
  if (request->want_email)
    {
      if (!email_from_claims (request->id_claims, "id_token", &tokens->email, &error))
        {
          relay_oauth_tokens_free (tokens);
          g_task_return_error (task, error);
          return;
        }
      if (tokens->email == NULL)
        {
          request->tokens = tokens;
          ask_userinfo (g_steal_pointer (&task));
          return;
        }
    }

  g_task_return_pointer (task, tokens, (GDestroyNotify)relay_oauth_tokens_free);
}

static void
token_send_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GInputStream) stream = NULL;
  GError *error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      TokenRequest *request = g_task_get_task_data (task);

      g_task_return_error (task, request_error (request, error, FALSE));
      return;
    }

  g_object_set_data_full (G_OBJECT (task), "stream", g_steal_pointer (&stream), g_object_unref);
  token_read_more (g_steal_pointer (&task));
}

/* POSTs @form (owned, wiped afterwards) to the token endpoint. A session
 * per request, made in the caller's thread-default context: libsoup 3
 * sessions belong to one context. */
static gboolean
request_deadline_cb (gpointer user_data)
{
  TokenRequest *request = user_data;

  request->timed_out = TRUE;
  g_cancellable_cancel (request->cancellable);

  return G_SOURCE_REMOVE;
}

static gboolean
request_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  TokenRequest *request = user_data;

  g_cancellable_cancel (request->cancellable);

  return G_SOURCE_REMOVE;
}

/* The seconds a token request may take in all: a server that answers a
 * byte at a time never lets a read time out. MAIL_RELAY_TOKEN_DEADLINE_SECONDS
 * changes it (tests). */
static guint
token_deadline (void)
{
  const char *env = g_getenv ("MAIL_RELAY_TOKEN_DEADLINE_SECONDS");
  guint64 seconds;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 3600, &seconds, NULL))
    return seconds;

  return TOKEN_DEADLINE;
}

static void
token_request_async (const RelayOAuthConfig *config,
                     GHashTable             *form,
                     const char             *old_refresh_token,
                     gboolean                want_email,
                     gpointer                source_tag,
                     GCancellable           *cancellable,
                     GAsyncReadyCallback     callback,
                     gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  TokenRequest *request;
  char *encoded;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  g_hash_table_insert (form, (char *)"client_id", g_strdup (config->client_id));
  if (config->client_secret != NULL)
    g_hash_table_insert (form, (char *)"client_secret", g_strdup (config->client_secret));
  encoded = soup_form_encode_hash (form);
  g_hash_table_unref (form);

  request = g_new0 (TokenRequest, 1);
  request->body = g_byte_array_new ();
  request->old_refresh_token = g_strdup (old_refresh_token);
  request->want_email = want_email;
  request->userinfo_url = g_strdup (config->userinfo_url);
  request->cancellable = g_cancellable_new ();
  request->deadline = token_deadline ();
  /* the sources run in the caller's context, as libsoup does; a source,
   * not a handler of the caller's cancellable, so that nothing waits on a
   * handler running in another thread when the request ends */
  request->deadline_source = g_timeout_source_new_seconds (request->deadline);
  g_source_set_callback (request->deadline_source, request_deadline_cb, request, NULL);
  g_source_attach (request->deadline_source, g_main_context_get_thread_default ());
  if (cancellable != NULL)
    {
      request->caller_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (request->caller_source, G_SOURCE_FUNC (request_cancelled_cb), request,
                             NULL);
      g_source_attach (request->caller_source, g_main_context_get_thread_default ());
    }
  /* the encoded form is handed over; libsoup frees it */
  request->message = soup_message_new_from_encoded_form (SOUP_METHOD_POST, config->token_url,
                                                         encoded);
  g_task_set_task_data (task, request, (GDestroyNotify)token_request_free);

  if (request->message == NULL)
    {
      g_task_return_new_error (task, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED,
                               _("The token endpoint address is not valid"));
      return;
    }

  request->session = soup_session_new_with_options ("timeout", TOKEN_TIMEOUT,
                                                    "user-agent", "Mail Relay/" PACKAGE_VERSION,
                                                    NULL);
  /* a token endpoint on this machine is never reached through a proxy */
  if (relay_secure_is_loopback_host (g_uri_get_host (soup_message_get_uri (request->message))))
    soup_session_set_proxy_resolver (request->session, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (request->message),
                                "Accept", "application/json");

  soup_session_send_async (request->session, request->message, G_PRIORITY_DEFAULT,
                           request->cancellable, token_send_cb, g_steal_pointer (&task));
}

static GHashTable *
form_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)relay_secure_wipe_string);
}

/* Refresh {{{1 */

void
relay_oauth_refresh_async (const RelayOAuthConfig *config,
                           const char             *refresh_token,
                           GCancellable           *cancellable,
                           GAsyncReadyCallback     callback,
                           gpointer                user_data)
{
  GHashTable *form;

  g_return_if_fail (config != NULL && config->client_id != NULL && config->token_url != NULL);
  g_return_if_fail (refresh_token != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  form = form_new ();
  g_hash_table_insert (form, (char *)"grant_type", g_strdup ("refresh_token"));
  g_hash_table_insert (form, (char *)"refresh_token", g_strdup (refresh_token));

  token_request_async (config, form, refresh_token, FALSE, relay_oauth_refresh_async,
                       cancellable, callback, user_data);
}

RelayOAuthTokens *
relay_oauth_refresh_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_oauth_refresh_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/**
 * relay_oauth_refresh_sync:
 *
 * Blocks; safe in any thread: it runs relay_oauth_refresh_async() in a
 * private main context.
 */
RelayOAuthTokens *
relay_oauth_refresh_sync (const RelayOAuthConfig  *config,
                          const char              *refresh_token,
                          GCancellable            *cancellable,
                          GError                 **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  GAsyncResult *result = NULL;
  RelayOAuthTokens *tokens;

  g_return_val_if_fail (config != NULL && refresh_token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_main_context_push_thread_default (context);
  relay_oauth_refresh_async (config, refresh_token, cancellable, sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  tokens = relay_oauth_refresh_finish (result, error);
  /* the session and its message must wind down in their own context */
  g_object_unref (result);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  return tokens;
}

/* Flow {{{1 */

typedef enum
{
  PHASE_NEW,
  PHASE_LISTENING,
  PHASE_EXCHANGING,  /* the right callback came; the code is being exchanged */
  PHASE_CLOSING,     /* the outcome is known; the last page is being written */
  PHASE_DONE,        /* the listener is closed */
} Phase;

struct _RelayOAuthFlow
{
  GObject            parent_instance;

  RelayOAuthConfig  *config;
  GMainContext      *context;
  SoupServer        *server;
  char              *redirect_uri;
  char              *authorization_uri;
  char              *verifier;
  char              *state;
  Phase              phase;

  GTask             *task;              /* a pending wait */
  GSource           *timeout_source;
  GSource           *cancel_source;
  GSource           *grace_source;
  GCancellable      *exchange_cancellable;
  SoupServerMessage *callback_message;  /* paused during the exchange, then the last page */

  RelayOAuthTokens  *tokens;            /* the outcome, until a wait takes it */
  GError            *error;
};

G_DEFINE_FINAL_TYPE (RelayOAuthFlow, relay_oauth_flow, G_TYPE_OBJECT)

/* One loopback sign-in per process: two browsers tabs racing for two
 * listeners would only confuse the person signing in. */
G_LOCK_DEFINE_STATIC (active_flow);
static RelayOAuthFlow *active_flow;

static void flow_close (RelayOAuthFlow *self);

static void
relay_oauth_flow_dispose (GObject *object)
{
  RelayOAuthFlow *self = (RelayOAuthFlow *)object;

  relay_oauth_flow_stop (self);

  G_OBJECT_CLASS (relay_oauth_flow_parent_class)->dispose (object);
}

static void
relay_oauth_flow_finalize (GObject *object)
{
  RelayOAuthFlow *self = (RelayOAuthFlow *)object;

  g_clear_pointer (&self->config, relay_oauth_config_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->redirect_uri, g_free);
  g_clear_pointer (&self->authorization_uri, g_free);
  g_clear_pointer (&self->verifier, relay_secure_wipe_string);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->tokens, relay_oauth_tokens_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (relay_oauth_flow_parent_class)->finalize (object);
}

static void
relay_oauth_flow_class_init (RelayOAuthFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = relay_oauth_flow_dispose;
  object_class->finalize = relay_oauth_flow_finalize;
}

static void
relay_oauth_flow_init (RelayOAuthFlow *self)
{
  self->phase = PHASE_NEW;
}

RelayOAuthFlow *
relay_oauth_flow_new (const RelayOAuthConfig *config)
{
  RelayOAuthFlow *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->client_id != NULL, NULL);
  g_return_val_if_fail (config->auth_url != NULL && config->token_url != NULL, NULL);

  self = g_object_new (RELAY_TYPE_OAUTH_FLOW, NULL);
  self->config = relay_oauth_config_copy (config);

  return self;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
deliver (RelayOAuthFlow *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task == NULL || self->phase != PHASE_DONE)
    {
      self->task = g_steal_pointer (&task);
      return;
    }

  clear_source (&self->timeout_source);
  clear_source (&self->cancel_source);

  if (self->error != NULL)
    g_task_return_error (task, g_steal_pointer (&self->error));
  else
    g_task_return_pointer (task, g_steal_pointer (&self->tokens),
                           (GDestroyNotify)relay_oauth_tokens_free);
}

/* Nothing listens any more once this returns */
static void
flow_close (RelayOAuthFlow *self)
{
  if (self->phase == PHASE_DONE || self->phase == PHASE_NEW)
    return;

  self->phase = PHASE_DONE;
  clear_source (&self->timeout_source);
  clear_source (&self->grace_source);
  if (self->exchange_cancellable != NULL)
    g_cancellable_cancel (self->exchange_cancellable);
  g_clear_object (&self->exchange_cancellable);
  if (self->callback_message != NULL)
    g_signal_handlers_disconnect_by_data (self->callback_message, self);
  g_clear_object (&self->callback_message);

  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
  g_clear_pointer (&self->verifier, relay_secure_wipe_string);

  G_LOCK (active_flow);
  if (active_flow == self)
    active_flow = NULL;
  G_UNLOCK (active_flow);

  g_debug ("Loopback listener closed");
}

static gboolean
grace_cb (gpointer user_data)
{
  RelayOAuthFlow *self = user_data;

  g_clear_pointer (&self->grace_source, g_source_unref);
  flow_close (self);
  deliver (self);

  return G_SOURCE_REMOVE;
}

/* The outcome is known: keep the listener until the last page is written
 * (or FINISH_GRACE seconds passed), then close it and answer the wait. */
static void
flow_end (RelayOAuthFlow   *self,
          RelayOAuthTokens *tokens,
          GError           *error)
{
  g_assert (self->phase == PHASE_LISTENING || self->phase == PHASE_EXCHANGING);
  g_assert ((tokens == NULL) != (error == NULL));

  self->tokens = tokens;
  self->error = error;
  self->phase = PHASE_CLOSING;
  clear_source (&self->timeout_source);

  if (self->callback_message == NULL)
    {
      flow_close (self);
      deliver (self);
      return;
    }

  self->grace_source = g_timeout_source_new_seconds (FINISH_GRACE);
  g_source_set_callback (self->grace_source, grace_cb, self, NULL);
  g_source_attach (self->grace_source, self->context);
}

/* The page is written; close from an idle, not inside libsoup's signal */
static void
callback_message_finished_cb (SoupServerMessage *message,
                              RelayOAuthFlow    *self)
{
  if (self->phase != PHASE_CLOSING)
    return;

  clear_source (&self->grace_source);
  self->grace_source = g_idle_source_new ();
  g_source_set_callback (self->grace_source, grace_cb, self, NULL);
  g_source_attach (self->grace_source, self->context);
}

static void
set_page (SoupServerMessage *message,
          guint              status,
          gboolean           success,
          const char        *text)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_autofree char *title = g_markup_escape_text (success ? _("Signed in") : _("Sign-in failed"), -1);
  char *page;

  page = g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width\">"
                          "<title>Mail Relay — %s</title>"
                          "<style>"
                          "body{font-family:Cantarell,system-ui,sans-serif;background:#fafafb;"
                          "color:#222226;display:flex;justify-content:center;margin:0;padding:15vh 1em}"
                          "main{max-width:32em;text-align:center}"
                          "h1{font-size:1.5em;color:%s}"
                          "@media(prefers-color-scheme:dark){body{background:#222226;color:#fff}}"
                          "</style></head>"
                          "<body><main><h1>%s</h1><p>%s</p></main></body></html>\n",
                          title, success ? "#26a269" : "#c01c28", title, escaped);

  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "form-action 'none'; frame-ancestors 'none'");
  soup_server_message_set_response (message, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    page, strlen (page));
}

static void
set_plain (SoupServerMessage *message,
           guint              status)
{
  const char *text = soup_status_get_phrase (status);

  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Connection", "close");
  soup_server_message_set_response (message, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
exchange_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RelayOAuthFlow) self = user_data;
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  GError *error = NULL;

  tokens = g_task_propagate_pointer (G_TASK (result), &error);

  /* stopped, timed out or cancelled meanwhile: flow_close() did it all */
  if (self->phase != PHASE_EXCHANGING)
    {
      g_clear_error (&error);
      return;
    }

  if (tokens != NULL)
    set_page (self->callback_message, SOUP_STATUS_OK, TRUE,
              _("You are signed in. You can close this window and return to Mail Relay."));
  else
    set_page (self->callback_message, SOUP_STATUS_BAD_GATEWAY, FALSE,
              _("Mail Relay could not complete the sign-in. Return to Mail Relay for details."));
  soup_server_message_unpause (self->callback_message);

  flow_end (self, g_steal_pointer (&tokens), error);
}

static void
start_exchange (RelayOAuthFlow    *self,
                SoupServerMessage *message,
                const char        *code)
{
  GHashTable *form = form_new ();

  self->phase = PHASE_EXCHANGING;
  /* from now on the token request's own deadline applies */
  clear_source (&self->timeout_source);
  self->exchange_cancellable = g_cancellable_new ();

  soup_server_message_pause (message);

  g_hash_table_insert (form, (char *)"grant_type", g_strdup ("authorization_code"));
  g_hash_table_insert (form, (char *)"code", g_strdup (code));
  g_hash_table_insert (form, (char *)"redirect_uri", g_strdup (self->redirect_uri));
  g_hash_table_insert (form, (char *)"code_verifier", g_strdup (self->verifier));

  token_request_async (self->config, form, NULL, TRUE, start_exchange,
                       self->exchange_cancellable, exchange_cb, g_object_ref (self));
}

static GError *
authorization_error (const char *code,
                     const char *description)
{
  g_autofree char *clean_code = sanitize (code, 64);
  g_autofree char *clean_description = sanitize (description ? description : "", 200);

  if (g_str_equal (code, "access_denied"))
    return g_error_new_literal (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_ACCESS_DENIED,
                                _("The sign-in was declined in the browser"));

  if (clean_description[0] != '\0')
    return g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION,
                        /* Translators: %s is an OAuth error code, then the server's explanation */
                        _("The sign-in failed: %s (%s)"), clean_code, clean_description);

  return g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION,
                      /* Translators: %s is an OAuth error code such as invalid_scope */
                      _("The sign-in failed: %s"), clean_code);
}

/* A request that may carry a body is refused before the body is read */
static void
early_handler (SoupServer        *server,
               SoupServerMessage *message,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autofree char *uri = g_uri_to_string (soup_server_message_get_uri (message));

  if (strlen (uri) > RELAY_OAUTH_MAX_REQUEST_URI)
    set_plain (message, SOUP_STATUS_REQUEST_URI_TOO_LONG);
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED ||
           soup_message_headers_get_content_length (headers) > 0)
    set_plain (message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
}

/**
 * relay_oauth_read_callback:
 * @query: (nullable): the query of the redirect's URI, as it came
 * @expected_state: (nullable): the state the authorization request carried
 * @code: (out): the authorization code, with %RELAY_OAUTH_CALLBACK_CODE;
 *   free it with relay_secure_wipe_string()
 * @error: with %RELAY_OAUTH_CALLBACK_ERROR and %RELAY_OAUTH_CALLBACK_NO_CODE,
 *   the error the sign-in ends with
 *
 * Reads the redirect's query without acting on it.
 */
RelayOAuthCallback
relay_oauth_read_callback (const char  *query,
                           const char  *expected_state,
                           char       **code,
                           GError     **error)
{
  g_autoptr(GHashTable) params = NULL;
  const char *state;
  const char *value;
  const char *error_code;

  g_return_val_if_fail (code != NULL, RELAY_OAUTH_CALLBACK_FOREIGN);
  g_return_val_if_fail (error == NULL || *error == NULL, RELAY_OAUTH_CALLBACK_FOREIGN);

  *code = NULL;

  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  state = params ? g_hash_table_lookup (params, "state") : NULL;

  /* anyone on this machine can call: only the right state counts */
  if (state == NULL || expected_state == NULL ||
      !relay_secure_equal (state, strlen (state), expected_state, strlen (expected_state)))
    return RELAY_OAUTH_CALLBACK_FOREIGN;

  value = g_hash_table_lookup (params, "code");
  error_code = g_hash_table_lookup (params, "error");

  if (error_code != NULL)
    {
      g_propagate_error (error, authorization_error (error_code,
                                                     g_hash_table_lookup (params, "error_description")));
      return RELAY_OAUTH_CALLBACK_ERROR;
    }

  if (value == NULL || value[0] == '\0')
    {
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION,
                           _("The sign-in answer has no authorization code"));
      return RELAY_OAUTH_CALLBACK_NO_CODE;
    }

  *code = g_strdup (value);
  return RELAY_OAUTH_CALLBACK_CODE;
}

/* @address as 16 bytes of IPv6, an IPv4 address mapped (::ffff:a.b.c.d):
 * a socket of either family can talk to 127.0.0.1 */
static void
address_to_v6 (GInetAddress *address,
               guint8        bytes[16])
{
  const guint8 *raw = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      memcpy (bytes, raw, 16);
      return;
    }

  memset (bytes, 0, 10);
  bytes[10] = bytes[11] = 0xff;
  memcpy (bytes + 12, raw, 4);
}

/* "0100007F:D431" of /proc/net/tcp, or 32 hex digits and a port of tcp6:
 * each group of 8 digits is a 32-bit word of the address as it lies in
 * memory, printed as a number, so it goes back into memory the same way */
static gboolean
read_socket_endpoint (const char *text,
                      guint8      bytes[16],
                      guint16    *port)
{
  const char *colon = strchr (text, ':');
  gsize digits = colon != NULL ? (gsize)(colon - text) : 0;
  guint8 raw[16];
  guint32 value = 0;

  if ((digits != 8 && digits != 32) || strlen (colon + 1) != 4)
    return FALSE;

  for (gsize i = 0; i < digits; i++)
    {
      int digit = g_ascii_xdigit_value (text[i]);

      if (digit < 0)
        return FALSE;
      value = value << 4 | (guint32)digit;
      if (i % 8 == 7)
        {
          memcpy (raw + i / 8 * 4, &value, 4);
          value = 0;
        }
    }

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (colon[1 + i]);

      if (digit < 0)
        return FALSE;
      value = value << 4 | (guint32)digit;
    }
  *port = value;

  if (digits == 32)
    memcpy (bytes, raw, 16);
  else
    {
      memset (bytes, 0, 10);
      bytes[10] = bytes[11] = 0xff;
      memcpy (bytes + 12, raw, 4);
    }

  return TRUE;
}

static gboolean
same_endpoint (const char         *text,
               GInetSocketAddress *address)
{
  guint8 row[16];
  guint8 wanted[16];
  guint16 port;

  if (!read_socket_endpoint (text, row, &port))
    return FALSE;
  address_to_v6 (g_inet_socket_address_get_address (address), wanted);

  return port == g_inet_socket_address_get_port (address) && memcmp (row, wanted, 16) == 0;
}

/**
 * relay_oauth_read_socket_row:
 * @line: a line of /proc/net/tcp or /proc/net/tcp6
 * @local: the address and port the socket is bound to
 * @remote: the address and port it is connected to
 * @uid: (out): the socket's owner, when the line is its row
 *
 * Whether @line is the established TCP socket from @local to @remote (an
 * IPv4 address and its IPv4-mapped IPv6 form are the same address). Rows
 * in other states are not: a socket in TIME_WAIT, for one, has no owner
 * left and reads as uid 0.
 */
gboolean
relay_oauth_read_socket_row (const char         *line,
                             GInetSocketAddress *local,
                             GInetSocketAddress *remote,
                             guint              *uid)
{
  g_auto(GStrv) words = NULL;
  const char *fields[8];
  guint64 value;
  guint n = 0;

  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (local) && G_IS_INET_SOCKET_ADDRESS (remote), FALSE);
  g_return_val_if_fail (uid != NULL, FALSE);

  /* sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid … */
  words = g_strsplit_set (line, " \t\n", -1);
  for (guint i = 0; words[i] != NULL && n < G_N_ELEMENTS (fields); i++)
    if (words[i][0] != '\0')
      fields[n++] = words[i];

  if (n < G_N_ELEMENTS (fields) || !g_str_equal (fields[3], "01") /* TCP_ESTABLISHED */ ||
      !same_endpoint (fields[1], local) || !same_endpoint (fields[2], remote) ||
      !g_ascii_string_to_unsigned (fields[7], 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;

  *uid = value;
  return TRUE;
}

/* Whether the program at the other end of the request's connection runs
 * as this user: its socket is the row of /proc/net/tcp (or tcp6) bound to
 * the peer's address and connected to the listener's. Another local user
 * can read the sign-in URL, state included, from the browser's command
 * line; what they send is not the answer. No row: not the answer either. */
static gboolean
sent_by_own_user (SoupServerMessage *message)
{
#ifdef __linux__
  static const char * const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  GSocketAddress *peer = soup_server_message_get_remote_address (message);
  GSocketAddress *listener = soup_server_message_get_local_address (message);

  if (!G_IS_INET_SOCKET_ADDRESS (peer) || !G_IS_INET_SOCKET_ADDRESS (listener))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *contents = NULL;
      char *next;

      if (!g_file_get_contents (tables[i], &contents, NULL, NULL))
        continue;

      for (char *line = contents; line != NULL; line = next)
        {
          guint uid;

          if ((next = strchr (line, '\n')) != NULL)
            *next++ = '\0';
          if (relay_oauth_read_socket_row (line, G_INET_SOCKET_ADDRESS (peer),
                                           G_INET_SOCKET_ADDRESS (listener), &uid))
            {
              if (uid != getuid ())
                g_debug ("Refused a request to the loopback listener from uid %u", uid);
              return uid == getuid ();
            }
        }
    }

  g_debug ("Refused a request to the loopback listener: its sender's socket was not found");
  return FALSE;
#else
  return TRUE;
#endif
}

static void
callback_handler (SoupServer        *server,
                  SoupServerMessage *message,
                  const char        *path,
                  GHashTable        *unused,
                  gpointer           user_data)
{
  RelayOAuthFlow *self = user_data;
  RelayOAuthCallback outcome;
  char *code = NULL;
  GError *error = NULL;

  /* refused without a word to the flow: the real answer may still come */
  if (!sent_by_own_user (message))
    {
      set_page (message, SOUP_STATUS_FORBIDDEN, FALSE,
                _("This answer did not come from the user who started the sign-in, so Mail "
                  "Relay ignored it."));
      return;
    }

  if (!g_str_equal (path, RELAY_OAUTH_CALLBACK_PATH))
    {
      set_plain (message, SOUP_STATUS_NOT_FOUND);
      return;
    }
  if (soup_server_message_get_method (message) != SOUP_METHOD_GET)
    {
      set_plain (message, SOUP_STATUS_METHOD_NOT_ALLOWED);
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Allow", "GET");
      return;
    }

  outcome = relay_oauth_read_callback (g_uri_get_query (soup_server_message_get_uri (message)),
                                       self->state, &code, &error);

  if (outcome == RELAY_OAUTH_CALLBACK_FOREIGN)
    {
      set_page (message, SOUP_STATUS_BAD_REQUEST, FALSE,
                _("This is not the answer to the sign-in that Mail Relay started."));
      return;
    }
  /* the state is single-use */
  if (self->phase != PHASE_LISTENING)
    {
      g_clear_error (&error);
      g_clear_pointer (&code, relay_secure_wipe_string);
      set_page (message, SOUP_STATUS_BAD_REQUEST, FALSE,
                _("This sign-in answer was already used."));
      return;
    }

  self->callback_message = g_object_ref (message);
  g_signal_connect (message, "finished", G_CALLBACK (callback_message_finished_cb), self);

  switch (outcome)
    {
    case RELAY_OAUTH_CALLBACK_ERROR:
      set_page (message, SOUP_STATUS_OK, FALSE,
                error->code == RELAY_OAUTH_ERROR_ACCESS_DENIED
                ? _("The sign-in was declined. You can close this window and return to Mail Relay.")
                : _("The sign-in failed. Return to Mail Relay for details."));
      flow_end (self, NULL, error);
      break;

    case RELAY_OAUTH_CALLBACK_NO_CODE:
      set_page (message, SOUP_STATUS_BAD_REQUEST, FALSE,
                _("The sign-in failed. Return to Mail Relay for details."));
      flow_end (self, NULL, error);
      break;

    case RELAY_OAUTH_CALLBACK_CODE:
      start_exchange (self, message, code);
      relay_secure_wipe_string (code);
      break;

    case RELAY_OAUTH_CALLBACK_FOREIGN:
    default:
      g_assert_not_reached ();
    }
}

/**
 * relay_oauth_flow_start:
 *
 * Listens on 127.0.0.1 on a port the kernel picks and builds the
 * authorization URI. Fails with %RELAY_OAUTH_ERROR_BUSY while another
 * flow of this process is listening. The flow belongs to the thread-default
 * main context of the caller.
 */
gboolean
relay_oauth_flow_start (RelayOAuthFlow  *self,
                        GError         **error)
{
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autofree char *challenge = NULL;
  GSList *uris;
  GString *uri;
  int port;

  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), FALSE);
  g_return_val_if_fail (self->phase == PHASE_NEW, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  G_LOCK (active_flow);
  if (active_flow != NULL)
    {
      G_UNLOCK (active_flow);
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_BUSY,
                           _("Another sign-in is already waiting for the browser: finish or "
                             "cancel it first"));
      return FALSE;
    }
  active_flow = self;
  G_UNLOCK (active_flow);

  server = soup_server_new ("server-header", "Mail Relay", NULL);
  soup_server_add_early_handler (server, NULL, early_handler, self, NULL);
  soup_server_add_handler (server, NULL, callback_handler, self, NULL);

  /* not soup_server_listen_local(): that may bind ::1 as well */
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  if (!soup_server_listen (server, address, 0, error))
    {
      G_LOCK (active_flow);
      active_flow = NULL;
      G_UNLOCK (active_flow);
      return FALSE;
    }

  uris = soup_server_get_uris (server);
  g_assert (uris != NULL && uris->next == NULL);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  self->server = g_steal_pointer (&server);
  self->context = g_main_context_ref_thread_default ();
  self->phase = PHASE_LISTENING;
  self->redirect_uri = g_strdup_printf ("http://127.0.0.1:%d" RELAY_OAUTH_CALLBACK_PATH, port);
  self->verifier = make_verifier ();
  self->state = make_state ();
  challenge = relay_oauth_pkce_challenge (self->verifier);

#define APPEND_PARAM(name, value)                                        \
  G_STMT_START {                                                         \
    g_autofree char *escaped_ = g_uri_escape_string (value, NULL, FALSE); \
    g_string_append_printf (uri, "&" name "=%s", escaped_);               \
  } G_STMT_END

  uri = g_string_new (self->config->auth_url);
  g_string_append (uri, strchr (self->config->auth_url, '?') ? "&" : "?");
  g_string_append (uri, "response_type=code");
  APPEND_PARAM ("client_id", self->config->client_id);
  APPEND_PARAM ("redirect_uri", self->redirect_uri);
  if (self->config->scope != NULL)
    APPEND_PARAM ("scope", self->config->scope);
  APPEND_PARAM ("state", self->state);
  APPEND_PARAM ("code_challenge", challenge);
  g_string_append (uri, "&code_challenge_method=S256");
  /* Google hands out a refresh token only with these */
  if (g_strcmp0 (self->config->service, "google") == 0)
    g_string_append (uri, "&access_type=offline&prompt=consent");
  self->authorization_uri = g_string_free (uri, FALSE);

#undef APPEND_PARAM

  g_debug ("Waiting for the browser on 127.0.0.1:%d", port);

  return TRUE;
}

const char *
relay_oauth_flow_get_authorization_uri (RelayOAuthFlow *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), NULL);

  return self->authorization_uri;
}

const char *
relay_oauth_flow_get_redirect_uri (RelayOAuthFlow *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), NULL);

  return self->redirect_uri;
}

static void
abort_flow (RelayOAuthFlow *self,
            GError         *error)
{
  if (self->phase == PHASE_LISTENING || self->phase == PHASE_EXCHANGING)
    {
      g_clear_pointer (&self->tokens, relay_oauth_tokens_free);
      g_clear_error (&self->error);
      self->error = error;
      /* a paused browser request gets no page: the connection just closes */
      flow_close (self);
    }
  else
    {
      g_error_free (error);
      if (self->phase == PHASE_CLOSING)
        flow_close (self);
    }
  deliver (self);
}

static gboolean
timeout_cb (gpointer user_data)
{
  RelayOAuthFlow *self = user_data;

  g_clear_pointer (&self->timeout_source, g_source_unref);
  abort_flow (self, g_error_new_literal (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TIMEOUT,
                                         _("No answer came from the browser in time: "
                                           "sign in again")));

  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  RelayOAuthFlow *self = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  clear_source (&self->cancel_source);
  abort_flow (self, error);

  return G_SOURCE_REMOVE;
}

/**
 * relay_oauth_flow_wait_async:
 * @timeout_seconds: 0 to wait without a limit
 *
 * Waits for the browser's answer and exchanges the code. Cancelling
 * @cancellable ends the flow; either way the listener is closed by the
 * time the callback runs.
 */
void
relay_oauth_flow_wait_async (RelayOAuthFlow      *self,
                             guint                timeout_seconds,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RELAY_IS_OAUTH_FLOW (self));
  g_return_if_fail (self->phase != PHASE_NEW);
  g_return_if_fail (self->task == NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_oauth_flow_wait_async);
  self->task = g_steal_pointer (&task);

  if (self->phase == PHASE_DONE)
    {
      if (self->tokens == NULL && self->error == NULL)
        self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("The sign-in was stopped"));
      deliver (self);
      return;
    }

  if (timeout_seconds > 0 && self->phase == PHASE_LISTENING)
    {
      self->timeout_source = g_timeout_source_new_seconds (timeout_seconds);
      g_source_set_callback (self->timeout_source, timeout_cb, self, NULL);
      g_source_attach (self->timeout_source, self->context);
    }

  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (cancelled_cb), self, NULL);
      g_source_attach (self->cancel_source, self->context);
    }
}

RelayOAuthTokens *
relay_oauth_flow_wait_finish (RelayOAuthFlow  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * relay_oauth_flow_stop:
 *
 * Ends the flow and closes the listener; a pending wait fails with
 * %G_IO_ERROR_CANCELLED. Does nothing once the flow is over.
 */
void
relay_oauth_flow_stop (RelayOAuthFlow *self)
{
  g_return_if_fail (RELAY_IS_OAUTH_FLOW (self));

  if (self->phase == PHASE_NEW || self->phase == PHASE_DONE)
    return;

  abort_flow (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         _("The sign-in was stopped")));
}
