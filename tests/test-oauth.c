/* test-oauth.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The loopback sign-in against a mock authorization server (libsoup, on
 * 127.0.0.1) and a test browser that follows the redirect itself.
 * Everything runs on the main context with deadlines.
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "relay-oauth-private.h"

#define CLIENT_ID      "test-client.apps.example.org"
#define CLIENT_SECRET  "CLIENT-SECRET-42"
#define CODE           "CODE-SECRET-4/0Ab+c d"
#define ACCESS_TOKEN   "ACCESS-SECRET-1"
#define ACCESS_TOKEN_2 "ACCESS-SECRET-2"
#define REFRESH_TOKEN  "REFRESH-SECRET-1"
#define REFRESH_TOKEN_2 "REFRESH-SECRET-2"
#define EMAIL          "user@example.org"
#define DEADLINE       10  /* seconds */

typedef struct
{
  SoupServer   *mock;
  char         *mock_base;
  SoupSession  *browser;

  /* how /auth answers */
  const char   *auth_error;        /* error=… instead of a code */
  const char   *auth_error_description;
  gboolean      omit_code;

  /* what /auth saw */
  char         *challenge;
  char         *redirect_uri;
  char         *state;
  char         *authorization_query;
  GPtrArray    *verifiers;

  /* how /token answers */
  gboolean      refresh_invalid;
  const char   *refresh_body;    /* answers a refresh with this instead */
  const char   *token_error;       /* an error code for the code exchange */
  gboolean      hold_token;        /* pause the exchange until released */
  gboolean      hold_refresh;      /* pause a refresh until released */
  SoupServerMessage *held;

  /* the id_token's payload; NULL: the default, with the address */
  const char   *id_token_payload;

  /* how /userinfo answers, and what it saw */
  guint         userinfo_status;
  const char   *userinfo_type;     /* NULL: application/json */
  const char   *userinfo_body;
  char         *userinfo_authorization;
  guint         userinfo_requests;
  gboolean      no_userinfo;       /* sign in with a config without the endpoint */

  guint         token_requests;
  guint         refresh_requests;
} Fixture;

typedef struct
{
  gboolean  done;
  guint     status;
  char     *body;
  char     *location;
  GError   *error;
} Response;

static void
response_clear (Response *response)
{
  g_clear_pointer (&response->body, g_free);
  g_clear_pointer (&response->location, g_free);
  g_clear_error (&response->error);
  response->done = FALSE;
  response->status = 0;
}

/* No error message may carry a secret */
static void
assert_clean (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "SECRET"));
  g_assert_null (strstr (error->message, CLIENT_ID));
}

/* ... nor any log message, debug ones included */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        strstr (fields[i].value, "SECRET") != NULL)
      g_error ("a secret was logged");

  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_until (const gboolean *done)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (DEADLINE, deadline_cb, &expired);

  while (!*done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_false (expired);
}

/* Lets the main context run a little, e.g. to show that nothing ends */
static void
spin (guint milliseconds)
{
  gboolean expired = FALSE;

  g_timeout_add (milliseconds, deadline_cb, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

/* Mock authorization server {{{1 */

static gboolean
is_verifier (const char *verifier)
{
  if (strlen (verifier) != 64)
    return FALSE;
  for (const char *p = verifier; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._~", *p) == NULL)
      return FALSE;
  return TRUE;
}

static void
mock_auth (Fixture           *f,
           SoupServerMessage *message,
           GHashTable        *query)
{
  g_autoptr(GRegex) loopback = g_regex_new ("^http://127\\.0\\.0\\.1:[0-9]+/oauth2/callback$",
                                            0, 0, NULL);
  const char *redirect_uri = g_hash_table_lookup (query, "redirect_uri");
  const char *state = g_hash_table_lookup (query, "state");
  g_autofree char *escaped_state = NULL;
  g_autofree char *location = NULL;

  g_assert_cmpstr (soup_server_message_get_method (message), ==, "GET");
  g_assert_cmpstr (g_hash_table_lookup (query, "response_type"), ==, "code");
  g_assert_cmpstr (g_hash_table_lookup (query, "client_id"), ==, CLIENT_ID);
  g_assert_nonnull (redirect_uri);
  g_assert_true (g_regex_match (loopback, redirect_uri, 0, NULL));
  g_assert_cmpstr (g_hash_table_lookup (query, "code_challenge_method"), ==, "S256");
  g_assert_nonnull (g_hash_table_lookup (query, "code_challenge"));
  g_assert_cmpuint (strlen (g_hash_table_lookup (query, "code_challenge")), ==, 43);
  g_assert_nonnull (state);
  g_assert_cmpuint (strlen (state), >=, 43);
  g_assert_cmpstr (g_hash_table_lookup (query, "scope"), ==, "https://mail.google.com/ openid email");
  g_assert_cmpstr (g_hash_table_lookup (query, "access_type"), ==, "offline");
  g_assert_cmpstr (g_hash_table_lookup (query, "prompt"), ==, "consent");

  g_free (f->challenge);
  f->challenge = g_strdup (g_hash_table_lookup (query, "code_challenge"));
  g_free (f->redirect_uri);
  f->redirect_uri = g_strdup (redirect_uri);
  g_free (f->state);
  f->state = g_strdup (state);
  g_free (f->authorization_query);
  f->authorization_query = g_strdup (g_uri_get_query (soup_server_message_get_uri (message)));

  escaped_state = g_uri_escape_string (state, NULL, FALSE);
  if (f->auth_error != NULL)
    {
      g_autofree char *description = g_uri_escape_string (f->auth_error_description ?
                                                          f->auth_error_description : "",
                                                          NULL, FALSE);
      location = g_strdup_printf ("%s?error=%s&error_description=%s&state=%s", redirect_uri,
                                  f->auth_error, description, escaped_state);
    }
  else if (f->omit_code)
    {
      location = g_strdup_printf ("%s?state=%s", redirect_uri, escaped_state);
    }
  else
    {
      g_autofree char *code = g_uri_escape_string (CODE, NULL, FALSE);
      location = g_strdup_printf ("%s?code=%s&state=%s&scope=x", redirect_uri, code,
                                  escaped_state);
    }

  soup_server_message_set_redirect (message, SOUP_STATUS_FOUND, location);
}

static void
set_json (SoupServerMessage *message,
          guint              status,
          const char        *json)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                    json, strlen (json));
}

static char *
make_id_token (const char *payload)
{
  g_autofree char *encoded = NULL;
  char *end;

  if (payload == NULL)
    payload = "{\"iss\":\"https://mock\",\"email\":\"" EMAIL "\",\"sub\":\"1\"}";
  encoded = g_base64_encode ((const guchar *)payload, strlen (payload));

  /* base64url without padding, as in a JWT */
  g_strdelimit (encoded, "+", '-');
  g_strdelimit (encoded, "/", '_');
  if ((end = strchr (encoded, '=')) != NULL)
    *end = '\0';

  return g_strdup_printf ("eyJhbGciOiJSUzI1NiJ9.%s.c2lnbmF0dXJl", encoded);
}

static void
mock_token (Fixture           *f,
            SoupServerMessage *message)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GHashTable) form = NULL;
  const char *grant_type;

  g_assert_cmpstr (soup_server_message_get_method (message), ==, "POST");
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_server_message_get_request_headers (message), NULL),
                   ==, "application/x-www-form-urlencoded");

  body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  form = soup_form_decode (g_bytes_get_data (body, NULL));
  grant_type = g_hash_table_lookup (form, "grant_type");

  g_assert_cmpstr (g_hash_table_lookup (form, "client_id"), ==, CLIENT_ID);
  g_assert_cmpstr (g_hash_table_lookup (form, "client_secret"), ==, CLIENT_SECRET);

  if (g_strcmp0 (grant_type, "authorization_code") == 0)
    {
      const char *verifier = g_hash_table_lookup (form, "code_verifier");
      g_autofree char *challenge = NULL;
      g_autofree char *id_token = NULL;
      g_autofree char *json = NULL;

      f->token_requests++;
      g_assert_cmpstr (g_hash_table_lookup (form, "code"), ==, CODE);
      g_assert_cmpstr (g_hash_table_lookup (form, "redirect_uri"), ==, f->redirect_uri);
      g_assert_nonnull (verifier);
      g_assert_true (is_verifier (verifier));
      challenge = relay_oauth_pkce_challenge (verifier);
      g_assert_cmpstr (challenge, ==, f->challenge);
      g_ptr_array_add (f->verifiers, g_strdup (verifier));

      if (f->token_error != NULL)
        {
          json = g_strdup_printf ("{\"error\":\"%s\",\"error_description\":\"code " CODE "\"}",
                                  f->token_error);
          set_json (message, SOUP_STATUS_BAD_REQUEST, json);
          return;
        }

      id_token = make_id_token (f->id_token_payload);
      json = g_strdup_printf ("{\"access_token\":\"" ACCESS_TOKEN "\",\"token_type\":\"Bearer\","
                              "\"refresh_token\":\"" REFRESH_TOKEN "\",\"expires_in\":3600,"
                              "\"id_token\":\"%s\"}", id_token);
      set_json (message, SOUP_STATUS_OK, json);

      if (f->hold_token)
        {
          soup_server_message_pause (message);
          f->held = g_object_ref (message);
        }
    }
  else if (g_strcmp0 (grant_type, "refresh_token") == 0)
    {
      f->refresh_requests++;
      g_assert_cmpstr (g_hash_table_lookup (form, "refresh_token"), ==, REFRESH_TOKEN);

      if (f->hold_refresh)
        {
          soup_server_message_pause (message);
          f->held = g_object_ref (message);
        }

      if (f->refresh_body != NULL)
        set_json (message, f->refresh_invalid ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_OK,
                  f->refresh_body);
      else if (f->refresh_invalid)
        set_json (message, SOUP_STATUS_BAD_REQUEST,
                  "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}");
      else
        set_json (message, SOUP_STATUS_OK,
                  "{\"access_token\":\"" ACCESS_TOKEN_2 "\",\"expires_in\":\"3599\","
                  "\"refresh_token\":\"" REFRESH_TOKEN_2 "\",\"token_type\":\"Bearer\"}");
    }
  else
    {
      set_json (message, SOUP_STATUS_BAD_REQUEST, "{\"error\":\"unsupported_grant_type\"}");
    }
}

/* OpenID Connect Core 5.3: GET with the access token as bearer */
static void
mock_userinfo (Fixture           *f,
               SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *body = f->userinfo_body ? f->userinfo_body : "{}";

  f->userinfo_requests++;
  g_assert_cmpstr (soup_server_message_get_method (message), ==, "GET");
  g_free (f->userinfo_authorization);
  f->userinfo_authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));

  soup_server_message_set_status (message, f->userinfo_status ? f->userinfo_status : SOUP_STATUS_OK,
                                  NULL);
  soup_server_message_set_response (message, f->userinfo_type ? f->userinfo_type : "application/json",
                                    SOUP_MEMORY_COPY, body, strlen (body));
}

static void
mock_handler (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (path, "/auth") && query != NULL)
    mock_auth (f, message, query);
  else if (g_str_equal (path, "/token"))
    mock_token (f, message);
  else if (g_str_equal (path, "/userinfo"))
    mock_userinfo (f, message);
  else
    soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *auth_url = NULL;
  g_autofree char *token_url = NULL;
  g_autofree char *userinfo_url = NULL;
  GSList *uris;

  f->verifiers = g_ptr_array_new_with_free_func (g_free);
  f->mock = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->mock, NULL, mock_handler, f, NULL);
  soup_server_listen (f->mock, address, 0, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (f->mock);
  f->mock_base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  auth_url = g_strconcat (f->mock_base, "/auth", NULL);
  token_url = g_strconcat (f->mock_base, "/token", NULL);
  g_setenv ("MAIL_RELAY_GOOGLE_AUTH_URL", auth_url, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", token_url, TRUE);
  userinfo_url = g_strconcat (f->mock_base, "/userinfo", NULL);
  g_setenv ("MAIL_RELAY_GOOGLE_USERINFO_URL", userinfo_url, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", CLIENT_ID, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET", CLIENT_SECRET, TRUE);

  /* loopback only: no proxy */
  f->browser = soup_session_new_with_options ("proxy-resolver", NULL, "timeout", DEADLINE, NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_assert_null (f->held);
  soup_server_disconnect (f->mock);
  g_assert_finalize_object (f->mock);
  g_clear_object (&f->browser);
  g_clear_pointer (&f->mock_base, g_free);
  g_clear_pointer (&f->challenge, g_free);
  g_clear_pointer (&f->redirect_uri, g_free);
  g_clear_pointer (&f->state, g_free);
  g_clear_pointer (&f->authorization_query, g_free);
  g_clear_pointer (&f->userinfo_authorization, g_free);
  g_clear_pointer (&f->verifiers, g_ptr_array_unref);
  g_unsetenv ("MAIL_RELAY_GOOGLE_USERINFO_URL");
}

/* Test browser {{{1 */

static void
browser_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Response *response = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) bytes = NULL;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &response->error);
  if (bytes != NULL)
    {
      response->status = soup_message_get_status (message);
      response->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      response->location = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                                   "Location"));
    }
  response->done = TRUE;
}

static void
browser_request (Fixture    *f,
                 const char *method,
                 const char *uri,
                 const char *body,
                 Response   *response)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);

  g_assert_nonnull (message);
  response_clear (response);
  /* the browser follows the redirect itself, below */
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (message, "text/plain", bytes);
    }
  soup_session_send_and_read_async (f->browser, message, G_PRIORITY_DEFAULT, NULL,
                                    browser_cb, response);
  run_until (&response->done);
}

static void
browser_get (Fixture    *f,
             const char *uri,
             Response   *response)
{
  browser_request (f, "GET", uri, NULL, response);
}

/* Opens the authorization URI and follows the 302 to the loopback
 * callback; returns the callback's URI and its answer. */
static char *
browse_sign_in (Fixture        *f,
                RelayOAuthFlow *flow,
                Response       *response)
{
  char *callback_uri;

  browser_get (f, relay_oauth_flow_get_authorization_uri (flow), response);
  g_assert_no_error (response->error);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_FOUND);
  g_assert_nonnull (response->location);
  g_assert_true (g_str_has_prefix (response->location, relay_oauth_flow_get_redirect_uri (flow)));
  g_assert_cmpstr (f->redirect_uri, ==, relay_oauth_flow_get_redirect_uri (flow));

  callback_uri = g_strdup (response->location);
  browser_get (f, callback_uri, response);

  return callback_uri;
}

static guint16
port_of (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (parsed);
  g_assert_cmpstr (g_uri_get_host (parsed), ==, "127.0.0.1");
  return g_uri_get_port (parsed);
}

static void
assert_closed (const char *redirect_uri)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port_of (redirect_uri),
                                                NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* Flow helpers {{{1 */

typedef struct
{
  gboolean          done;
  RelayOAuthTokens *tokens;
  GError           *error;
} Outcome;

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->tokens = relay_oauth_flow_wait_finish (RELAY_OAUTH_FLOW (object), result,
                                                  &outcome->error);
  outcome->done = TRUE;
}

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->tokens, relay_oauth_tokens_free);
  g_clear_error (&outcome->error);
  outcome->done = FALSE;
}

static RelayOAuthConfig *
gmail_config (void)
{
  g_autoptr(GError) error = NULL;
  RelayOAuthConfig *config;

  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static RelayOAuthFlow *
start_flow (Fixture *f,
            Outcome *outcome,
            guint    timeout_seconds)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  g_autoptr(GError) error = NULL;
  RelayOAuthFlow *flow = relay_oauth_flow_new (config);

  g_assert_true (relay_oauth_flow_start (flow, &error));
  g_assert_no_error (error);
  relay_oauth_flow_wait_async (flow, timeout_seconds, NULL, wait_cb, outcome);

  return flow;
}

static void
assert_signed_in (Outcome *outcome)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_no_error (outcome->error);
  g_assert_nonnull (outcome->tokens);
  g_assert_cmpstr (outcome->tokens->access_token, ==, ACCESS_TOKEN);
  g_assert_cmpstr (outcome->tokens->refresh_token, ==, REFRESH_TOKEN);
  g_assert_cmpstr (outcome->tokens->email, ==, EMAIL);
  g_assert_cmpint (outcome->tokens->expires_at, >=, now + 3590);
  g_assert_cmpint (outcome->tokens->expires_at, <=, now + 3610);
}

/* Tests {{{1 */

/* RFC 7636 Appendix B; the "-" checks the base64url alphabet */
static void
test_pkce_rfc7636 (void)
{
  g_autofree char *challenge = relay_oauth_pkce_challenge ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static GInetSocketAddress *
endpoint (const char *address,
          guint16     port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

  g_assert_nonnull (inet);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

/* Whose program sent a callback: lines as Linux writes them (x86-64),
 * for a browser at 127.0.0.1:40204, or ::1:44786, calling the listener at
 * 127.0.0.1:60013, or ::1:51175 */
static void
test_socket_row (void)
{
  g_autoptr(GInetSocketAddress) browser = endpoint ("127.0.0.1", 40204);
  g_autoptr(GInetSocketAddress) listener = endpoint ("127.0.0.1", 60013);
  g_autoptr(GInetSocketAddress) browser6 = endpoint ("::1", 44786);
  g_autoptr(GInetSocketAddress) listener6 = endpoint ("::1", 51175);
  g_autoptr(GInetSocketAddress) mapped = endpoint ("::ffff:127.0.0.1", 40204);
  g_autoptr(GInetSocketAddress) other_port = endpoint ("127.0.0.1", 40205);
  g_autoptr(GInetSocketAddress) other_host = endpoint ("127.0.0.2", 40204);
  const char *tcp = "  101: 0100007F:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  "
                    "1000        0 1157645 1 00000000571950a1 20 0 0 10 -1";
  const char *tcp6_mapped = "    1: 0000000000000000FFFF00000100007F:9D0C 0000000000000000FFFF00000100007F:EA6D "
                            "01 00000000:00000000 00:00000000 00000000 65534        0 1157644 2 "
                            "000000003bd36635 20 0 0 10 -1";
  const char *tcp6_loopback = "    3: 00000000000000000000000001000000:AEF2 00000000000000000000000001000000:C7E7 "
                              "01 00000000:00000000 00:00000000 00000000  1001        0 1157641 2 "
                              "00000000231092bc 20 0 0 10 -1\n";
  const char *not_rows[] = {
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "",
    /* the listener's own end of the connection */
    "  102: 0100007F:EA6D 0100007F:9D0C 01 00000000:00000000 00:00000000 00000000     0        0 1157646 1",
    /* TIME_WAIT: no owner any more, read as uid 0 */
    "    4: 0100007F:9D0C 0100007F:EA6D 06 00000000:00000000 03:0000148C 00000000     0        0 0 3 0",
    /* LISTEN */
    "    0: 0100007F:EA6D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1135499 1",
    /* cut short, and malformed fields */
    "  101: 0100007F:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000",
    "  101: 0100007G:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  1000 0 1",
    "  101: 00100007F:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  1000 0 1",
    "  101: 0100007F:09D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  1000 0 1",
    "  101: 0100007F:9D0 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  1000 0 1",
    "  101: 0100007F9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  1000 0 1",
    "  101: 0100007F:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  -1 0 1",
    "  101: 0100007F:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  4294967296 0 1",
    "  101: 0100007F:9D0C 0100007F:EA6D 01 00000000:00000000 00:00000000 00000000  1x 0 1",
  };
  guint uid = 7;

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
  g_test_skip ("the sample lines are those of a little-endian machine");
  return;
#endif

  g_assert_true (relay_oauth_read_socket_row (tcp, browser, listener, &uid));
  g_assert_cmpuint (uid, ==, 1000);
  g_assert_false (relay_oauth_read_socket_row (tcp, listener, browser, &uid));
  g_assert_false (relay_oauth_read_socket_row (tcp, other_port, listener, &uid));
  g_assert_false (relay_oauth_read_socket_row (tcp, other_host, listener, &uid));
  g_assert_false (relay_oauth_read_socket_row (tcp, browser6, listener, &uid));

  /* a dual-stack socket of the browser talks to 127.0.0.1 from tcp6, as
   * ::ffff:127.0.0.1; either form of the address finds it */
  g_assert_true (relay_oauth_read_socket_row (tcp6_mapped, browser, listener, &uid));
  g_assert_cmpuint (uid, ==, 65534);
  g_assert_true (relay_oauth_read_socket_row (tcp6_mapped, mapped, listener, &uid));
  g_assert_true (relay_oauth_read_socket_row (tcp, mapped, listener, &uid));
  g_assert_false (relay_oauth_read_socket_row (tcp6_mapped, browser6, listener6, &uid));

  g_assert_true (relay_oauth_read_socket_row (tcp6_loopback, browser6, listener6, &uid));
  g_assert_cmpuint (uid, ==, 1001);
  g_assert_false (relay_oauth_read_socket_row (tcp6_loopback, browser, listener, &uid));
  g_assert_false (relay_oauth_read_socket_row (tcp6_loopback, listener6, browser6, &uid));

  uid = 7;
  for (guint i = 0; i < G_N_ELEMENTS (not_rows); i++)
    g_assert_false (relay_oauth_read_socket_row (not_rows[i], browser, listener, &uid));
  g_assert_cmpuint (uid, ==, 7);
}

static void
test_config (void)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(RelayOAuthConfig) copy = NULL;
  g_autoptr(GError) error = NULL;

  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", CLIENT_ID, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET", CLIENT_SECRET, TRUE);
  g_unsetenv ("MAIL_RELAY_GOOGLE_AUTH_URL");
  g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", "http://127.0.0.1:1/token", TRUE);

  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->service, ==, "google");
  g_assert_cmpstr (config->auth_url, ==, "https://accounts.google.com/o/oauth2/v2/auth");
  g_assert_cmpstr (config->token_url, ==, "http://127.0.0.1:1/token");
  g_assert_cmpstr (config->client_id, ==, CLIENT_ID);
  g_assert_cmpstr (config->client_secret, ==, CLIENT_SECRET);
  g_assert_cmpstr (config->scope, ==, "https://mail.google.com/ openid email");
  g_assert_cmpstr (config->userinfo_url, ==, "https://openidconnect.googleapis.com/v1/userinfo");

  copy = relay_oauth_config_copy (config);
  g_assert_cmpstr (copy->client_id, ==, CLIENT_ID);
  g_assert_cmpstr (copy->token_url, ==, config->token_url);
  g_assert_cmpstr (copy->userinfo_url, ==, config->userinfo_url);

  /* the userinfo endpoint has its override, and gets the access token:
   * TLS or this machine only */
  g_setenv ("MAIL_RELAY_GOOGLE_USERINFO_URL", "http://127.0.0.1:1/userinfo", TRUE);
  g_clear_pointer (&config, relay_oauth_config_free);
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->userinfo_url, ==, "http://127.0.0.1:1/userinfo");
  g_setenv ("MAIL_RELAY_GOOGLE_USERINFO_URL", "http://example.org/userinfo", TRUE);
  g_clear_pointer (&config, relay_oauth_config_free);
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "http://example.org/userinfo"));
  g_assert_null (config);
  g_clear_error (&error);
  g_unsetenv ("MAIL_RELAY_GOOGLE_USERINFO_URL");
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_no_error (error);

  /* the code must not travel in clear text to another machine */
  g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", "http://example.org/token", TRUE);
  g_clear_pointer (&config, relay_oauth_config_free);
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
  g_assert_null (config);
  g_clear_error (&error);

  /* this machine is known by its address, as the SMTP session knows it:
   * all of 127.0.0.0/8 and its IPv4-mapped form, nothing else */
  {
    static const char * const local[] = {
      "http://127.0.0.2:1/token",
      "http://[::ffff:127.0.0.1]:1/token",
      "http://[::1]:1/token",
      "http://LOCALHOST:1/token",
    };
    static const char * const remote[] = {
      "http://[::ffff:10.0.0.1]:1/token",
      "http://128.0.0.1:1/token",
      "http://localhost.example.org/token",
      "http://127.0.0.1.example.org/token",
    };

    for (guint i = 0; i < G_N_ELEMENTS (local); i++)
      {
        g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", local[i], TRUE);
        g_clear_pointer (&config, relay_oauth_config_free);
        config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
        g_assert_no_error (error);
        g_assert_cmpstr (config->token_url, ==, local[i]);
      }
    for (guint i = 0; i < G_N_ELEMENTS (remote); i++)
      {
        g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", remote[i], TRUE);
        g_clear_pointer (&config, relay_oauth_config_free);
        config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
        g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
        g_assert_null (config);
        g_clear_error (&error);
      }
  }

  g_unsetenv ("MAIL_RELAY_GOOGLE_TOKEN_URL");
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET");
}

#define OWN_GOOGLE_ID "555-own.apps.googleusercontent.com"
#define OWN_MICROSOFT_ID "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c"

/* Whose client signs in: the variable's, else the user's own, else the
 * built-in one; a secret goes with its client */
static void
test_config_precedence (void)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  RelayProvider *gmail = relay_provider_lookup ("gmail");
  RelayProvider *office = relay_provider_lookup ("microsoft365");

  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET");
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_SECRET");

  /* the user's own, over the built-in one (if the build has one) */
  config = relay_oauth_config_new (gmail, OWN_GOOGLE_ID, "own-secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, OWN_GOOGLE_ID);
  g_assert_cmpstr (config->client_secret, ==, "own-secret");
  g_clear_pointer (&config, relay_oauth_config_free);

  /* an empty variable means “not the built-in one”: the own client stays */
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "", TRUE);
  config = relay_oauth_config_new (gmail, OWN_GOOGLE_ID, "own-secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, OWN_GOOGLE_ID);
  g_clear_pointer (&config, relay_oauth_config_free);

  /* none given: the built-in one, or none */
  config = relay_oauth_config_new (gmail, "", NULL, &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
  g_assert_null (config);
  g_clear_error (&error);

  /* the variable over the own client; the own secret does not go with it */
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", CLIENT_ID, TRUE);
  config = relay_oauth_config_new (gmail, OWN_GOOGLE_ID, "own-secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, CLIENT_ID);
  g_assert_cmpstr (config->client_secret, ==, GOOGLE_CLIENT_SECRET[0] ? GOOGLE_CLIENT_SECRET : NULL);
  g_clear_pointer (&config, relay_oauth_config_free);

  /* the secret's variable over the own secret */
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET", CLIENT_SECRET, TRUE);
  config = relay_oauth_config_new (gmail, OWN_GOOGLE_ID, "own-secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, OWN_GOOGLE_ID);
  g_assert_cmpstr (config->client_secret, ==, CLIENT_SECRET);
  g_clear_pointer (&config, relay_oauth_config_free);
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET");

  /* Microsoft: a public client, no secret */
  config = relay_oauth_config_new (office, OWN_MICROSOFT_ID, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, OWN_MICROSOFT_ID);
  g_assert_null (config->client_secret);
  g_clear_pointer (&config, relay_oauth_config_free);
  g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "ms-client", TRUE);
  config = relay_oauth_config_new (office, OWN_MICROSOFT_ID, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, "ms-client");
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");
}

static void
test_not_configured (void)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");

  if (GOOGLE_CLIENT_ID[0] == '\0')
    {
      config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
      g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
      g_assert_null (config);
      g_assert_nonnull (strstr (error->message, "built without a Google sign-in client"));
      g_assert_nonnull (strstr (error->message, "--oauth-client-id"));
      g_clear_error (&error);
    }

  /* a set but empty variable means no client id, whatever the build says */
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "", TRUE);
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("gmail"), &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "--oauth-client-id"));
  g_clear_error (&error);
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");

  if (MICROSOFT_CLIENT_ID[0] == '\0')
    {
      config = relay_oauth_config_new_for_provider (relay_provider_lookup ("microsoft365"), &error);
      g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
      g_assert_nonnull (strstr (error->message, "built without a Microsoft sign-in client"));
      g_assert_nonnull (strstr (error->message, "--oauth-client-id"));
      g_clear_error (&error);
    }

  g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "ms-client", TRUE);
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("microsoft365"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->service, ==, "microsoft");
  g_assert_cmpstr (config->client_id, ==, "ms-client");
  g_assert_null (config->client_secret);
  g_clear_pointer (&config, relay_oauth_config_free);
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");

  /* a provider without a sign-in */
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("sendgrid"), &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
  g_assert_null (config);
}

static void
test_microsoft_uri (void)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autoptr(GError) error = NULL;
  const char *uri;

  g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "ms-client", TRUE);
  config = relay_oauth_config_new_for_provider (relay_provider_lookup ("microsoft365"), &error);
  g_assert_no_error (error);
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");

  flow = relay_oauth_flow_new (config);
  g_assert_true (relay_oauth_flow_start (flow, &error));
  uri = relay_oauth_flow_get_authorization_uri (flow);
  g_assert_true (g_str_has_prefix (uri, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?"
                                        "response_type=code&client_id=ms-client&redirect_uri="));
  g_assert_nonnull (strstr (uri, "code_challenge_method=S256"));
  g_assert_null (strstr (uri, "access_type"));
  g_assert_null (strstr (uri, "prompt"));
  relay_oauth_flow_stop (flow);
  assert_closed (relay_oauth_flow_get_redirect_uri (flow));
}

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  g_autofree char *redirect_uri = NULL;
  Response response = { 0, };
  Outcome outcome = { 0, };

  flow = start_flow (f, &outcome, 30);
  redirect_uri = g_strdup (relay_oauth_flow_get_redirect_uri (flow));
  g_assert_true (g_str_has_prefix (redirect_uri, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (redirect_uri, "/oauth2/callback"));
  g_assert_cmpuint (port_of (redirect_uri), >, 0);

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_OK);
  g_assert_nonnull (strstr (response.body,
                            "You are signed in. You can close this window and return to Mail Relay."));
  /* self-contained: no scripts, nothing fetched from elsewhere */
  g_assert_null (strstr (response.body, "<script"));
  g_assert_null (strstr (response.body, "http"));
  g_assert_null (strstr (response.body, "SECRET"));

  run_until (&outcome.done);
  assert_signed_in (&outcome);
  g_assert_cmpuint (f->token_requests, ==, 1);
  g_assert_cmpuint (f->verifiers->len, ==, 1);
  /* the id_token had the address: no userinfo request */
  g_assert_cmpuint (f->userinfo_requests, ==, 0);

  /* nothing listens any more: a replay is refused */
  assert_closed (redirect_uri);
  browser_get (f, callback_uri, &response);
  g_assert_error (response.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (f->token_requests, ==, 1);

  response_clear (&response);
  outcome_clear (&outcome);
}

/* Fresh secrets every time */
static void
test_verifier (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GHashTable) states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(RelayOAuthFlow) flow = NULL;
      g_autofree char *callback_uri = NULL;
      Response response = { 0, };
      Outcome outcome = { 0, };

      flow = start_flow (f, &outcome, 30);
      callback_uri = browse_sign_in (f, flow, &response);
      run_until (&outcome.done);
      assert_signed_in (&outcome);
      g_assert_true (g_hash_table_add (states, g_strdup (f->state)));
      response_clear (&response);
      outcome_clear (&outcome);
    }

  g_assert_cmpuint (f->verifiers->len, ==, 4);
  for (guint i = 0; i < f->verifiers->len; i++)
    {
      g_assert_true (is_verifier (f->verifiers->pdata[i]));
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (f->verifiers->pdata[i], !=, f->verifiers->pdata[j]);
    }
}

static char *
callback_with (RelayOAuthFlow *flow,
               const char     *query)
{
  return g_strconcat (relay_oauth_flow_get_redirect_uri (flow), query, NULL);
}

/* An attacker's requests get 400 and leave the real sign-in alone */
static void
test_bad_state (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  const char *queries[] = {
    "?code=evil&state=wrong",
    "?code=evil",
    "",
    "?state=&code=evil",
    "?error=access_denied&state=wrong",
    "?code=evil&state=%25zz&state=",
  };
  Response response = { 0, };
  Outcome outcome = { 0, };

  flow = start_flow (f, &outcome, 30);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *uri = callback_with (flow, queries[i]);

      browser_get (f, uri, &response);
      g_assert_no_error (response.error);
      g_assert_cmpuint (response.status, ==, SOUP_STATUS_BAD_REQUEST);
    }
  spin (100);
  g_assert_false (outcome.done);
  g_assert_cmpuint (f->token_requests, ==, 0);

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_OK);
  run_until (&outcome.done);
  assert_signed_in (&outcome);
  g_assert_cmpuint (f->token_requests, ==, 1);

  response_clear (&response);
  outcome_clear (&outcome);
}

static void
test_bad_requests (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  g_autofree char *other = NULL;
  g_autofree char *slash = NULL;
  g_autofree char *long_uri = NULL;
  g_autofree char *padding = g_strnfill (9000, 'A');
  Response response = { 0, };
  Outcome outcome = { 0, };

  flow = start_flow (f, &outcome, 30);

  other = g_strdup_printf ("http://127.0.0.1:%u/other", port_of (relay_oauth_flow_get_redirect_uri (flow)));
  browser_get (f, other, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_NOT_FOUND);

  slash = callback_with (flow, "/");
  browser_get (f, slash, &response);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_NOT_FOUND);

  browser_request (f, "POST", relay_oauth_flow_get_redirect_uri (flow), NULL, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);

  browser_request (f, "HEAD", relay_oauth_flow_get_redirect_uri (flow), NULL, &response);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);

  long_uri = g_strdup_printf ("%s?state=x&code=%s", relay_oauth_flow_get_redirect_uri (flow), padding);
  browser_get (f, long_uri, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_REQUEST_URI_TOO_LONG);

  browser_request (f, "GET", relay_oauth_flow_get_redirect_uri (flow), "a body", &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);

  spin (100);
  g_assert_false (outcome.done);

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_OK);
  run_until (&outcome.done);
  assert_signed_in (&outcome);
  g_assert_cmpuint (f->token_requests, ==, 1);

  response_clear (&response);
  outcome_clear (&outcome);
}

static void
test_access_denied (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  g_autofree char *redirect_uri = NULL;
  Response response = { 0, };
  Outcome outcome = { 0, };

  f->auth_error = "access_denied";
  flow = start_flow (f, &outcome, 30);
  redirect_uri = g_strdup (relay_oauth_flow_get_redirect_uri (flow));

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_no_error (response.error);
  g_assert_nonnull (strstr (response.body, "declined"));
  run_until (&outcome.done);
  g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_ACCESS_DENIED);
  assert_clean (outcome.error);
  g_assert_null (outcome.tokens);
  g_assert_cmpuint (f->token_requests, ==, 0);
  assert_closed (redirect_uri);

  response_clear (&response);
  outcome_clear (&outcome);
}

static void
test_authorization_error (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  Response response = { 0, };
  Outcome outcome = { 0, };

  f->auth_error = "invalid_scope";
  f->auth_error_description = "The scope <b>x</b> is unknown\nreally";
  flow = start_flow (f, &outcome, 30);

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_no_error (response.error);
  g_assert_null (strstr (response.body, "<b>"));
  run_until (&outcome.done);
  g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION);
  g_assert_nonnull (strstr (outcome.error->message, "invalid_scope"));
  g_assert_nonnull (strstr (outcome.error->message, "is unknown"));
  g_assert_null (strchr (outcome.error->message, '\n'));
  assert_clean (outcome.error);
  g_assert_cmpuint (f->token_requests, ==, 0);
  assert_closed (callback_uri);

  response_clear (&response);
  outcome_clear (&outcome);
}

static void
test_missing_code (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  Response response = { 0, };
  Outcome outcome = { 0, };

  f->omit_code = TRUE;
  flow = start_flow (f, &outcome, 30);

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (strstr (response.body, "failed"));
  run_until (&outcome.done);
  g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION);
  g_assert_cmpuint (f->token_requests, ==, 0);
  assert_closed (callback_uri);

  response_clear (&response);
  outcome_clear (&outcome);
}

/* Signs in with the mock as set up; the outcome is the caller's */
static void
sign_in_with_mock (Fixture *f,
                   Outcome *outcome,
                   guint    expected_status)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *callback_uri = NULL;
  Response response = { 0, };

  if (f->no_userinfo)
    g_clear_pointer (&config->userinfo_url, g_free);
  flow = relay_oauth_flow_new (config);
  g_assert_true (relay_oauth_flow_start (flow, &error));
  g_assert_no_error (error);
  relay_oauth_flow_wait_async (flow, 30, NULL, wait_cb, outcome);
  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, expected_status);
  run_until (&outcome->done);
  assert_closed (callback_uri);
  response_clear (&response);
}

/* A conforming provider keeps the address out of the id_token unless
 * asked: it comes from the userinfo endpoint, for the same "sub" */
static void
test_userinfo_email (Fixture       *f,
                     gconstpointer  data)
{
  Outcome outcome = { 0, };

  f->id_token_payload = "{\"iss\":\"https://mock\",\"sub\":\"42\",\"aud\":\"" CLIENT_ID "\"}";
  f->userinfo_body = "{\"sub\":\"42\",\"email\":\"" EMAIL "\",\"email_verified\":true,"
                     "\"name\":\"A User\"}";

  sign_in_with_mock (f, &outcome, SOUP_STATUS_OK);
  assert_signed_in (&outcome);
  g_assert_cmpuint (f->userinfo_requests, ==, 1);
  g_assert_cmpstr (f->userinfo_authorization, ==, "Bearer " ACCESS_TOKEN);
  outcome_clear (&outcome);

  /* a signed userinfo answer (5.3.2) is read too */
  f->userinfo_type = "application/jwt";
  f->userinfo_body = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI0MiIsImVtYWlsIjoidXNlckBleGFtcGxlLm9yZyJ9.c2ln\n";
  sign_in_with_mock (f, &outcome, SOUP_STATUS_OK);
  assert_signed_in (&outcome);
  g_assert_cmpuint (f->userinfo_requests, ==, 2);
  outcome_clear (&outcome);
}

/* Neither has an address, or the userinfo endpoint fails: a clear
 * error naming what is missing, and no tokens */
static void
test_no_email (Fixture       *f,
               gconstpointer  data)
{
  const struct {
    const char *id_token;
    guint       status;
    const char *userinfo;
    const char *expected;
  } cases[] = {
    { "{\"sub\":\"42\"}", 200, "{\"sub\":\"42\",\"name\":\"A User\"}", "“email” claim" },
    { "{\"sub\":\"42\",\"email\":\"\"}", 200, "{\"sub\":\"42\",\"email\":null}", "“email” claim" },
    { "{\"sub\":\"42\"}", 401, "{\"error\":\"invalid_token\"}", "HTTP 401" },
    { "{\"sub\":\"42\"}", 200, "<html>", "JSON" },
    /* an answer for another user is not used */
    { "{\"sub\":\"42\"}", 200, "{\"sub\":\"43\",\"email\":\"" EMAIL "\"}", "“sub”" },
    { "{\"sub\":\"42\"}", 200, "{\"email\":\"" EMAIL "\"}", "“sub”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Outcome outcome = { 0, };

      f->id_token_payload = cases[i].id_token;
      f->userinfo_status = cases[i].status;
      f->userinfo_body = cases[i].userinfo;
      sign_in_with_mock (f, &outcome, SOUP_STATUS_BAD_GATEWAY);
      g_assert_null (outcome.tokens);
      g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS);
      assert_clean (outcome.error);
      if (strstr (outcome.error->message, cases[i].expected) == NULL)
        g_error ("case %u: “%s” does not say %s", i, outcome.error->message, cases[i].expected);
      g_assert_cmpuint (f->userinfo_requests, ==, i + 1);
      outcome_clear (&outcome);
    }

  /* a provider without a userinfo endpoint: it says so */
  {
    Outcome outcome = { 0, };

    f->id_token_payload = "{\"sub\":\"42\"}";
    f->no_userinfo = TRUE;
    sign_in_with_mock (f, &outcome, SOUP_STATUS_BAD_GATEWAY);
    g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS);
    g_assert_nonnull (strstr (outcome.error->message, "no userinfo endpoint"));
    g_assert_cmpuint (f->userinfo_requests, ==, G_N_ELEMENTS (cases));
    outcome_clear (&outcome);
  }
}

/* An address with a line break or other junk, or one the provider has
 * not verified, is refused as it is: never trimmed, never used */
static void
test_bad_email (Fixture       *f,
                gconstpointer  data)
{
  const struct {
    const char *id_token;
    const char *userinfo;
    gboolean    asks_userinfo;
  } cases[] = {
    { "{\"sub\":\"1\",\"email\":\"user@example.org\\r\\nBcc: x@evil.example\"}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\"user@example.org\\r\\n\"}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\" user@example.org\"}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\"not an address\"}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\"user@\"}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":42}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\"user@example.org\\u0000x\"}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\"" EMAIL "\",\"email_verified\":false}", NULL, FALSE },
    { "{\"sub\":\"1\",\"email\":\"" EMAIL "\",\"email_verified\":\"false\"}", NULL, FALSE },
    { "{\"sub\":\"1\"}", "{\"sub\":\"1\",\"email\":\"user@example.org\\nBcc: x@evil.example\"}", TRUE },
    { "{\"sub\":\"1\"}", "{\"sub\":\"1\",\"email\":\"user@example.org\\u0000x\"}", TRUE },
    { "{\"sub\":\"1\"}", "{\"sub\":\"1\",\"email\":\"" EMAIL "\",\"email_verified\":false}", TRUE },
  };
  guint asked = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Outcome outcome = { 0, };

      g_test_message ("case %u: %s %s", i, cases[i].id_token, cases[i].userinfo);
      f->id_token_payload = cases[i].id_token;
      f->userinfo_body = cases[i].userinfo;
      sign_in_with_mock (f, &outcome, SOUP_STATUS_BAD_GATEWAY);
      g_assert_null (outcome.tokens);
      g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NO_ADDRESS);
      assert_clean (outcome.error);
      g_assert_null (strchr (outcome.error->message, '\r'));
      g_assert_null (strchr (outcome.error->message, '\n'));
      /* an address the id_token has is the one: no second opinion */
      asked += cases[i].asks_userinfo;
      g_assert_cmpuint (f->userinfo_requests, ==, asked);
      outcome_clear (&outcome);
    }
}

static void
test_token_error (Fixture       *f,
                  gconstpointer  data)
{
  const char *codes[] = { "invalid_grant", "invalid_client" };
  const RelayOAuthError expected[] = { RELAY_OAUTH_ERROR_INVALID_GRANT, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr(RelayOAuthFlow) flow = NULL;
      g_autofree char *callback_uri = NULL;
      Response response = { 0, };
      Outcome outcome = { 0, };

      f->token_error = codes[i];
      flow = start_flow (f, &outcome, 30);
      callback_uri = browse_sign_in (f, flow, &response);
      g_assert_no_error (response.error);
      g_assert_null (strstr (response.body, "signed in"));
      run_until (&outcome.done);
      g_assert_error (outcome.error, RELAY_OAUTH_ERROR, expected[i]);
      assert_clean (outcome.error);
      if (expected[i] == RELAY_OAUTH_ERROR_TOKEN_ENDPOINT)
        g_assert_nonnull (strstr (outcome.error->message, "invalid_client"));
      assert_closed (callback_uri);
      response_clear (&response);
      outcome_clear (&outcome);
    }
}

/* The right callback twice while the code is being exchanged: the
 * second is refused and no second exchange happens. */
static void
test_replay_during_exchange (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  SoupMessage *first;
  Response first_response = { 0, };
  Response response = { 0, };
  Outcome outcome = { 0, };

  f->hold_token = TRUE;
  flow = start_flow (f, &outcome, 30);

  browser_get (f, relay_oauth_flow_get_authorization_uri (flow), &response);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_FOUND);
  callback_uri = g_strdup (response.location);

  first = soup_message_new ("GET", callback_uri);
  soup_session_send_and_read_async (f->browser, first, G_PRIORITY_DEFAULT, NULL,
                                    browser_cb, &first_response);
  while (f->held == NULL)
    g_main_context_iteration (NULL, TRUE);

  browser_get (f, callback_uri, &response);
  g_assert_no_error (response.error);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (strstr (response.body, "already used"));

  soup_server_message_unpause (f->held);
  g_clear_object (&f->held);
  run_until (&first_response.done);
  g_assert_no_error (first_response.error);
  g_assert_nonnull (strstr (first_response.body, "You are signed in"));
  run_until (&outcome.done);
  assert_signed_in (&outcome);
  g_assert_cmpuint (f->token_requests, ==, 1);
  assert_closed (callback_uri);

  g_object_unref (first);
  response_clear (&first_response);
  response_clear (&response);
  outcome_clear (&outcome);
}

/* Stopped while the code is being exchanged: the exchange is abandoned */
static void
test_stop_during_exchange (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *callback_uri = NULL;
  SoupMessage *first;
  Response first_response = { 0, };
  Response response = { 0, };
  Outcome outcome = { 0, };

  f->hold_token = TRUE;
  flow = start_flow (f, &outcome, 30);

  browser_get (f, relay_oauth_flow_get_authorization_uri (flow), &response);
  callback_uri = g_strdup (response.location);
  first = soup_message_new ("GET", callback_uri);
  soup_session_send_and_read_async (f->browser, first, G_PRIORITY_DEFAULT, NULL,
                                    browser_cb, &first_response);
  while (f->held == NULL)
    g_main_context_iteration (NULL, TRUE);

  relay_oauth_flow_stop (flow);
  run_until (&outcome.done);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (outcome.tokens);
  run_until (&first_response.done);
  assert_closed (callback_uri);

  soup_server_message_unpause (f->held);
  g_clear_object (&f->held);
  spin (100);

  g_object_unref (first);
  response_clear (&first_response);
  response_clear (&response);
  outcome_clear (&outcome);
}

static void
test_busy (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autoptr(RelayOAuthFlow) second = NULL;
  g_autoptr(RelayOAuthFlow) third = NULL;
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  g_autofree char *callback_uri = NULL;
  g_autoptr(GError) error = NULL;
  Response response = { 0, };
  Outcome outcome = { 0, };

  flow = start_flow (f, &outcome, 30);

  second = relay_oauth_flow_new (config);
  g_assert_false (relay_oauth_flow_start (second, &error));
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_BUSY);
  g_assert_null (relay_oauth_flow_get_redirect_uri (second));
  g_clear_error (&error);
  g_clear_object (&second);

  callback_uri = browse_sign_in (f, flow, &response);
  g_assert_cmpuint (response.status, ==, SOUP_STATUS_OK);
  run_until (&outcome.done);
  assert_signed_in (&outcome);

  /* over: the next one may start */
  third = relay_oauth_flow_new (config);
  g_assert_true (relay_oauth_flow_start (third, &error));
  g_assert_no_error (error);
  relay_oauth_flow_stop (third);

  response_clear (&response);
  outcome_clear (&outcome);
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autofree char *redirect_uri = NULL;
  Outcome outcome = { 0, };
  gint64 start = g_get_monotonic_time ();

  flow = start_flow (f, &outcome, 1);
  redirect_uri = g_strdup (relay_oauth_flow_get_redirect_uri (flow));
  run_until (&outcome.done);
  g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  assert_closed (redirect_uri);
  outcome_clear (&outcome);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  g_autoptr(RelayOAuthFlow) flow = relay_oauth_flow_new (config);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Outcome outcome = { 0, };

  g_assert_true (relay_oauth_flow_start (flow, &error));
  relay_oauth_flow_wait_async (flow, 30, cancellable, wait_cb, &outcome);
  spin (50);
  g_cancellable_cancel (cancellable);
  run_until (&outcome.done);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_closed (relay_oauth_flow_get_redirect_uri (flow));
  outcome_clear (&outcome);
  g_clear_object (&flow);

  /* stop() ends a wait the same way */
  flow = start_flow (f, &outcome, 30);
  relay_oauth_flow_stop (flow);
  run_until (&outcome.done);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_closed (relay_oauth_flow_get_redirect_uri (flow));
  outcome_clear (&outcome);

  g_assert_finalize_object (g_steal_pointer (&flow));
}

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->tokens = relay_oauth_refresh_finish (result, &outcome->error);
  outcome->done = TRUE;
}

static void
test_refresh (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  Outcome outcome = { 0, };

  relay_oauth_refresh_async (config, REFRESH_TOKEN, NULL, refresh_cb, &outcome);
  run_until (&outcome.done);
  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.tokens->access_token, ==, ACCESS_TOKEN_2);
  g_assert_cmpstr (outcome.tokens->refresh_token, ==, REFRESH_TOKEN_2);
  g_assert_null (outcome.tokens->email);
  g_assert_cmpint (outcome.tokens->expires_at, >=, now + 3590);
  g_assert_cmpuint (f->refresh_requests, ==, 1);
  outcome_clear (&outcome);

  f->refresh_invalid = TRUE;
  relay_oauth_refresh_async (config, REFRESH_TOKEN, NULL, refresh_cb, &outcome);
  run_until (&outcome.done);
  g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT);
  assert_clean (outcome.error);
  g_assert_null (outcome.tokens);
  g_assert_cmpuint (f->refresh_requests, ==, 2);
  outcome_clear (&outcome);
}

static gpointer
refresh_thread (gpointer data)
{
  RelayOAuthConfig *config = data;
  Outcome *outcome = g_new0 (Outcome, 1);

  outcome->tokens = relay_oauth_refresh_sync (config, REFRESH_TOKEN, NULL, &outcome->error);
  return outcome;
}

static gboolean
thread_done_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
refresh_thread_and_signal (gpointer data)
{
  gpointer *args = data;
  gpointer result = refresh_thread (args[0]);

  g_idle_add (thread_done_cb, args[1]);
  return result;
}

/* The sync refresh blocks a worker thread while the mock serves on the
 * main context */
static void
test_refresh_sync (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  gboolean done = FALSE;
  gpointer args[2] = { config, &done };
  GThread *thread;
  Outcome *outcome;

  for (guint i = 0; i < 2; i++)
    {
      done = FALSE;
      f->refresh_invalid = (i == 1);
      thread = g_thread_new ("refresh", refresh_thread_and_signal, args);
      run_until (&done);
      outcome = g_thread_join (thread);

      if (i == 0)
        {
          g_assert_no_error (outcome->error);
          g_assert_cmpstr (outcome->tokens->access_token, ==, ACCESS_TOKEN_2);
        }
      else
        {
          g_assert_error (outcome->error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT);
          assert_clean (outcome->error);
        }
      outcome_clear (outcome);
      g_free (outcome);
    }
  g_assert_cmpuint (f->refresh_requests, ==, 2);
}

/* The token endpoint is down: a clear error, nothing secret in it */
/* Lists and objects where the token endpoint's strings belong: errors, not
 * critical warnings (fatal here, under G_DEBUG=fatal-warnings). The same
 * class of bug as fuzz/fuzz-accounts found in accounts.json. */
static RelayOAuthTokens *
refresh_with_body (Fixture     *f,
                   const char  *body,
                   GError     **error)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  Outcome outcome = { 0, };

  f->refresh_body = body;
  relay_oauth_refresh_async (config, REFRESH_TOKEN, NULL, refresh_cb, &outcome);
  run_until (&outcome.done);
  if (outcome.error != NULL)
    g_propagate_error (error, g_steal_pointer (&outcome.error));

  return g_steal_pointer (&outcome.tokens);
}

static void
test_refresh_odd_types (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  tokens = refresh_with_body (f, "{\"access_token\":{\"value\":\"x\"},\"refresh_token\":[]}", &error);
  g_assert_null (tokens);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT);
  g_assert_nonnull (strstr (error->message, "without an access token"));
  g_clear_error (&error);

  tokens = refresh_with_body (f, "{\"access_token\":\"" ACCESS_TOKEN_2 "\",\"refresh_token\":{},"
                                 "\"id_token\":[1]}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tokens->access_token, ==, ACCESS_TOKEN_2);
  g_assert_null (tokens->refresh_token);
  g_clear_pointer (&tokens, relay_oauth_tokens_free);

  f->refresh_invalid = TRUE;
  tokens = refresh_with_body (f, "{\"error\":{\"code\":\"invalid_grant\"}}", &error);
  g_assert_null (tokens);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT);
  g_assert_nonnull (strstr (error->message, "HTTP 400"));
}

/* A token endpoint that takes the request and never answers: the
 * request's own deadline ends it, long before a read would time out */
static void
test_refresh_deadline (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Outcome outcome = { 0, };
  gint64 start;

  g_setenv ("MAIL_RELAY_TOKEN_DEADLINE_SECONDS", "2", TRUE);
  f->hold_refresh = TRUE;

  start = g_get_monotonic_time ();
  relay_oauth_refresh_async (config, REFRESH_TOKEN, cancellable, refresh_cb, &outcome);
  run_until (&outcome.done);
  g_assert_error (outcome.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT);
  g_assert_nonnull (strstr (outcome.error->message, "did not answer in time"));
  assert_clean (outcome.error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 6 * G_USEC_PER_SEC);
  g_assert_cmpuint (f->refresh_requests, ==, 1);
  outcome_clear (&outcome);
  soup_server_message_unpause (f->held);
  g_clear_object (&f->held);

  /* cancelling is still cancelling, not a timeout */
  relay_oauth_refresh_async (config, REFRESH_TOKEN, cancellable, refresh_cb, &outcome);
  while (f->held == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  run_until (&outcome.done);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  outcome_clear (&outcome);
  soup_server_message_unpause (f->held);
  g_clear_object (&f->held);

  g_unsetenv ("MAIL_RELAY_TOKEN_DEADLINE_SECONDS");
}

static void
test_refresh_unreachable (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(RelayOAuthConfig) config = gmail_config ();
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  soup_server_disconnect (f->mock);
  tokens = relay_oauth_refresh_sync (config, REFRESH_TOKEN, NULL, &error);
  g_assert_null (tokens);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_ENDPOINT);
  assert_clean (error);
}

int
main (int   argc,
      char *argv[])
{
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oauth/pkce/rfc7636", test_pkce_rfc7636);
  g_test_add_func ("/oauth/callback/socket-row", test_socket_row);
  g_test_add_func ("/oauth/config/overrides", test_config);
  g_test_add_func ("/oauth/config/not-configured", test_not_configured);
  g_test_add_func ("/oauth/config/precedence", test_config_precedence);
  g_test_add_func ("/oauth/flow/microsoft-uri", test_microsoft_uri);

#define ADD(path, func) \
  g_test_add ("/oauth/" path, Fixture, NULL, setup, func, teardown)

  ADD ("pkce/verifier", test_verifier);
  ADD ("flow/success", test_success);
  ADD ("flow/bad-state", test_bad_state);
  ADD ("flow/bad-requests", test_bad_requests);
  ADD ("flow/access-denied", test_access_denied);
  ADD ("flow/authorization-error", test_authorization_error);
  ADD ("flow/missing-code", test_missing_code);
  ADD ("flow/token-error", test_token_error);
  ADD ("flow/userinfo-email", test_userinfo_email);
  ADD ("flow/no-email", test_no_email);
  ADD ("flow/bad-email", test_bad_email);
  ADD ("flow/replay-during-exchange", test_replay_during_exchange);
  ADD ("flow/stop-during-exchange", test_stop_during_exchange);
  ADD ("flow/busy", test_busy);
  ADD ("flow/timeout", test_timeout);
  ADD ("flow/cancel", test_cancel);
  ADD ("refresh/async", test_refresh);
  ADD ("refresh/sync-thread", test_refresh_sync);
  ADD ("refresh/odd-types", test_refresh_odd_types);
  ADD ("refresh/unreachable", test_refresh_unreachable);
  ADD ("refresh/deadline", test_refresh_deadline);

#undef ADD

  return g_test_run ();
}
