/* relay-oauth-token.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The token endpoint (libsoup client): the code exchanged for tokens, a
 * refresh, the answer read within bounds and a deadline, and the address
 * of the sign-in taken from the id_token or the userinfo endpoint.
 */

#define G_LOG_DOMAIN "relay-oauth"

#include "config.h"

#include <string.h>

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

G_DEFINE_BOXED_TYPE (RelayOAuthTokens, relay_oauth_tokens,
                     relay_oauth_tokens_copy, relay_oauth_tokens_free)

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
      clean = _relay_oauth_sanitize (claim != NULL ? claim : "", 100);
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
      clean = _relay_oauth_sanitize (address, 100);
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
      clean = _relay_oauth_sanitize (code != NULL ? code : "", 64);
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

void
_relay_oauth_token_request_async (const RelayOAuthConfig *config,
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

GHashTable *
_relay_oauth_form_new (void)
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

  form = _relay_oauth_form_new ();
  g_hash_table_insert (form, (char *)"grant_type", g_strdup ("refresh_token"));
  g_hash_table_insert (form, (char *)"refresh_token", g_strdup (refresh_token));

  _relay_oauth_token_request_async (config, form, refresh_token, FALSE, relay_oauth_refresh_async,
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
