/* test-oauth-account.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The asynchronous forms of relay-oauth-account.c, against the real
 * gnome-keyring-daemon that build-aux/test starts and a token endpoint of
 * the test's own on 127.0.0.1, served in the test's main context: a call
 * that blocked that context instead of running on a worker would never
 * get its answer.
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "relay-oauth-account.h"
#include "relay-sasl.h"
#include "relay-secrets.h"
#include "test-helpers.h"

#define CLIENT_ID "test-client.apps.example"
#define CLIENT_SECRET "test-secret"
#define REFRESH_TOKEN "1//refresh-token"
#define ACCESS_TOKEN "ya29.stored-access"
#define ACCESS_TOKEN_2 "ya29.refreshed-access"

typedef struct
{
  SoupServer   *mock;
  RelayAccount *account;
  guint         refresh_requests;
  gboolean      refresh_invalid;
  GThread      *main_thread;
} Fixture;

static void
mock_handler (SoupServer        *server,
              SoupServerMessage *message,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Fixture *f = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_autoptr(GHashTable) form = soup_form_decode (g_bytes_get_data (body, NULL));
  const char *json;

  g_assert_cmpstr (path, ==, "/token");
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==, "refresh_token");
  g_assert_cmpstr (g_hash_table_lookup (form, "refresh_token"), ==, REFRESH_TOKEN);
  f->refresh_requests++;

  if (f->refresh_invalid)
    {
      json = "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}";
      soup_server_message_set_status (message, SOUP_STATUS_BAD_REQUEST, NULL);
    }
  else
    {
      json = "{\"access_token\":\"" ACCESS_TOKEN_2 "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}";
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
    }
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *token_url = NULL;
  GSList *uris;

  f->main_thread = g_thread_self ();
  f->mock = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->mock, NULL, mock_handler, f, NULL);
  soup_server_listen (f->mock, address, 0, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (f->mock);
  token_url = g_strdup_printf ("http://127.0.0.1:%d/token", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", token_url, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", CLIENT_ID, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET", CLIENT_SECRET, TRUE);

  f->account = relay_account_new ();
  relay_account_apply_provider (f->account, relay_provider_lookup ("gmail"));
  relay_account_set_username (f->account, "someone@gmail.com");
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  relay_secrets_clear_sync (relay_account_get_id (f->account), NULL, NULL);
  g_assert_finalize_object (f->account);
  soup_server_disconnect (f->mock);
  g_assert_finalize_object (f->mock);
  g_unsetenv ("MAIL_RELAY_GOOGLE_TOKEN_URL");
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET");
}

typedef struct
{
  Fixture      *f;
  GAsyncResult *result;
} Wait;

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  /* in the caller's main context, with no source object */
  g_assert_true (g_thread_self () == wait->f->main_thread);
  g_assert_null (object);
  g_assert_null (wait->result);
  wait->result = g_object_ref (result);
}

static GAsyncResult *
wait_for (Wait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return wait->result;
}

static void
store (Fixture *f,
       gint64   expires_at)
{
  RelayOAuthTokens tokens = { (char *)ACCESS_TOKEN, (char *)REFRESH_TOKEN, expires_at, NULL };
  g_autoptr(GError) error = NULL;
  Wait wait = { f, NULL };

  relay_oauth_account_store_tokens_async (f->account, &tokens, NULL, done_cb, &wait);
  g_assert_true (g_async_result_is_tagged (wait_for (&wait), relay_oauth_account_store_tokens_async));
  g_assert_true (relay_oauth_account_store_tokens_finish (wait.result, &error));
  g_assert_no_error (error);
  g_object_unref (wait.result);
}

static gboolean
is_linked (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  Wait wait = { f, NULL };
  gboolean linked;

  relay_oauth_account_is_linked_async (f->account, NULL, done_cb, &wait);
  g_assert_true (g_async_result_is_tagged (wait_for (&wait), relay_oauth_account_is_linked_async));
  linked = relay_oauth_account_is_linked_finish (wait.result, &error);
  g_assert_no_error (error);
  g_object_unref (wait.result);

  return linked;
}

static char *
get_access_token (Fixture   *f,
                  gboolean   force_refresh,
                  GError   **error)
{
  Wait wait = { f, NULL };
  char *token;

  relay_oauth_account_get_access_token_async (f->account, force_refresh, NULL, done_cb, &wait);
  g_assert_true (g_async_result_is_tagged (wait_for (&wait), relay_oauth_account_get_access_token_async));
  token = relay_oauth_account_get_access_token_finish (wait.result, error);
  g_object_unref (wait.result);

  return token;
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Wait wait = { f, NULL };
  char *token;

  g_assert_false (is_linked (f));

  store (f, g_get_real_time () / G_USEC_PER_SEC + 3600);
  g_assert_true (is_linked (f));

  /* still good: read from the keyring, no request */
  token = get_access_token (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, ACCESS_TOKEN);
  relay_sasl_wipe (token);
  g_assert_cmpuint (f->refresh_requests, ==, 0);

  relay_oauth_account_sign_out_async (f->account, NULL, done_cb, &wait);
  g_assert_true (g_async_result_is_tagged (wait_for (&wait), relay_oauth_account_sign_out_async));
  g_assert_true (relay_oauth_account_sign_out_finish (wait.result, &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);

  g_assert_false (is_linked (f));
  token = get_access_token (f, FALSE, &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT);
  g_assert_null (token);
  g_assert_cmpuint (f->refresh_requests, ==, 0);
}

/* The refresh is answered by this thread's main context */
static void
test_refresh (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  char *token;

  store (f, g_get_real_time () / G_USEC_PER_SEC - 10);

  token = get_access_token (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, ACCESS_TOKEN_2);
  relay_sasl_wipe (token);
  g_assert_cmpuint (f->refresh_requests, ==, 1);

  /* the new token was kept, and the refresh token with it */
  token = get_access_token (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, ACCESS_TOKEN_2);
  relay_sasl_wipe (token);
  g_assert_cmpuint (f->refresh_requests, ==, 1);
  g_assert_true (is_linked (f));

  /* after the server's 401 challenge */
  token = get_access_token (f, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, ACCESS_TOKEN_2);
  relay_sasl_wipe (token);
  g_assert_cmpuint (f->refresh_requests, ==, 2);
}

#define OWN_CLIENT_ID "555-own.apps.googleusercontent.com"
#define OWN_CLIENT_SECRET "GOCSPX-own-secret"

static RelayOAuthConfig *
get_config (Fixture   *f,
            GError   **error)
{
  Wait wait = { f, NULL };
  RelayOAuthConfig *config;

  relay_oauth_account_get_config_async (f->account, NULL, NULL, done_cb, &wait);
  g_assert_true (g_async_result_is_tagged (wait_for (&wait), relay_oauth_account_get_config_async));
  config = relay_oauth_account_get_config_finish (wait.result, error);
  g_object_unref (wait.result);

  return config;
}

static void
store_client_secret (Fixture    *f,
                     const char *secret)
{
  g_autoptr(GError) error = NULL;
  Wait wait = { f, NULL };

  relay_oauth_account_store_client_secret_async (f->account, secret, NULL, done_cb, &wait);
  g_assert_true (g_async_result_is_tagged (wait_for (&wait), relay_oauth_account_store_client_secret_async));
  g_assert_true (relay_oauth_account_store_client_secret_finish (wait.result, &error));
  g_assert_no_error (error);
  g_object_unref (wait.result);
}

/* The account's own client: its secret from the keyring (kind
 * oauth-client-secret), kept when signing out, used for the refresh */
static void
test_own_client (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  Wait wait = { f, NULL };

  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET");
  relay_account_set_oauth_client_id (f->account, OWN_CLIENT_ID);
  store_client_secret (f, OWN_CLIENT_SECRET);

  stored = relay_secrets_lookup_sync (relay_account_get_id (f->account), RELAY_SECRET_OAUTH_CLIENT_SECRET,
                                      NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, OWN_CLIENT_SECRET);
  g_assert_cmpstr (relay_secret_kind_to_string (RELAY_SECRET_OAUTH_CLIENT_SECRET), ==, "oauth-client-secret");

  config = get_config (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, OWN_CLIENT_ID);
  g_assert_cmpstr (config->client_secret, ==, OWN_CLIENT_SECRET);
  g_clear_pointer (&config, relay_oauth_config_free);

  /* signing out forgets the tokens, not the client */
  store (f, g_get_real_time () / G_USEC_PER_SEC + 3600);
  relay_oauth_account_sign_out_async (f->account, NULL, done_cb, &wait);
  g_assert_true (relay_oauth_account_sign_out_finish (wait_for (&wait), &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
  g_assert_false (is_linked (f));
  config = get_config (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_secret, ==, OWN_CLIENT_SECRET);
  g_clear_pointer (&config, relay_oauth_config_free);

  /* the variable still wins over the account's own client */
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", CLIENT_ID, TRUE);
  config = get_config (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->client_id, ==, CLIENT_ID);
  g_assert_cmpstr (config->client_secret, !=, OWN_CLIENT_SECRET);
  g_clear_pointer (&config, relay_oauth_config_free);
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_ID");

  /* for another sign-in the own client is not used */
  config = NULL;
  {
    Wait other = { f, NULL };

    g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "", TRUE);
    relay_oauth_account_get_config_async (f->account, relay_provider_lookup ("microsoft365"), NULL,
                                          done_cb, &other);
    config = relay_oauth_account_get_config_finish (wait_for (&other), &error);
    g_object_unref (other.result);
  }
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_NOT_CONFIGURED);
  g_clear_error (&error);
  g_clear_pointer (&config, relay_oauth_config_free);

  /* removed: none in the keyring */
  store_client_secret (f, NULL);
  g_clear_pointer (&stored, g_free);
  stored = relay_secrets_lookup_sync (relay_account_get_id (f->account), RELAY_SECRET_OAUTH_CLIENT_SECRET,
                                      NULL, &error);
  g_assert_no_error (error);
  g_assert_null (stored);
}

static void
test_invalid_grant (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  char *token;

  store (f, g_get_real_time () / G_USEC_PER_SEC + 3600);
  f->refresh_invalid = TRUE;

  token = get_access_token (f, TRUE, &error);
  g_assert_error (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT);
  g_assert_null (token);
  g_assert_cmpuint (f->refresh_requests, ==, 1);

  /* the refused tokens are gone */
  g_assert_false (is_linked (f));
}

/* The calls keep copies: the caller's account and tokens may go at once,
 * and the account is released on the caller's thread even when the
 * worker lets go of its task late (the *-late-release run) */
static void
test_copies (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccount) account = NULL;
  RelayOAuthTokens *tokens = g_new0 (RelayOAuthTokens, 1);
  Wait stored = { f, NULL };
  Wait linked = { f, NULL };
  Wait got = { f, NULL };
  Wait signed_out = { f, NULL };
  char *token;

  account = relay_account_copy (f->account);
  tokens->access_token = g_strdup (ACCESS_TOKEN);
  tokens->refresh_token = g_strdup (REFRESH_TOKEN);
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
  relay_oauth_account_store_tokens_async (account, tokens, NULL, done_cb, &stored);
  relay_oauth_tokens_free (tokens);
  relay_account_set_username (account, "changed@example.com");
  g_assert_true (await_finalize (g_steal_pointer (&account)) == g_thread_self ());
  g_assert_true (relay_oauth_account_store_tokens_finish (wait_for (&stored), &error));
  g_assert_no_error (error);
  g_clear_object (&stored.result);

  account = relay_account_copy (f->account);
  relay_oauth_account_is_linked_async (account, NULL, done_cb, &linked);
  g_assert_true (await_finalize (g_steal_pointer (&account)) == g_thread_self ());
  g_assert_true (relay_oauth_account_is_linked_finish (wait_for (&linked), &error));
  g_assert_no_error (error);
  g_clear_object (&linked.result);

  account = relay_account_copy (f->account);
  relay_oauth_account_get_access_token_async (account, FALSE, NULL, done_cb, &got);
  g_assert_true (await_finalize (g_steal_pointer (&account)) == g_thread_self ());
  token = relay_oauth_account_get_access_token_finish (wait_for (&got), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, ACCESS_TOKEN);
  relay_sasl_wipe (token);
  g_clear_object (&got.result);

  account = relay_account_copy (f->account);
  relay_oauth_account_sign_out_async (account, NULL, done_cb, &signed_out);
  g_assert_true (await_finalize (g_steal_pointer (&account)) == g_thread_self ());
  g_assert_true (relay_oauth_account_sign_out_finish (wait_for (&signed_out), &error));
  g_assert_no_error (error);
  g_clear_object (&signed_out.result);

  g_assert_false (is_linked (f));
}

/* A cancelled call reports it and leaves the keyring as it was */
static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  RelayOAuthTokens tokens = { (char *)"ya29.not-kept", (char *)"1//not-kept", 0, NULL };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Wait wait = { f, NULL };
  char *token;

  store (f, g_get_real_time () / G_USEC_PER_SEC - 10);
  g_cancellable_cancel (cancellable);

  relay_oauth_account_store_tokens_async (f->account, &tokens, cancellable, done_cb, &wait);
  g_assert_false (relay_oauth_account_store_tokens_finish (wait_for (&wait), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&wait.result);

  relay_oauth_account_is_linked_async (f->account, cancellable, done_cb, &wait);
  g_assert_false (relay_oauth_account_is_linked_finish (wait_for (&wait), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&wait.result);

  relay_oauth_account_get_access_token_async (f->account, FALSE, cancellable, done_cb, &wait);
  g_assert_null (relay_oauth_account_get_access_token_finish (wait_for (&wait), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&wait.result);

  relay_oauth_account_sign_out_async (f->account, cancellable, done_cb, &wait);
  g_assert_false (relay_oauth_account_sign_out_finish (wait_for (&wait), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&wait.result);

  /* nothing was asked of the provider, nothing stored or deleted */
  g_assert_cmpuint (f->refresh_requests, ==, 0);
  g_assert_true (is_linked (f));
  token = get_access_token (f, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, ACCESS_TOKEN_2);
  relay_sasl_wipe (token);
  g_assert_cmpuint (f->refresh_requests, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/oauth-account/round-trip", Fixture, NULL, setup, test_round_trip, teardown);
  g_test_add ("/oauth-account/refresh", Fixture, NULL, setup, test_refresh, teardown);
  g_test_add ("/oauth-account/invalid-grant", Fixture, NULL, setup, test_invalid_grant, teardown);
  g_test_add ("/oauth-account/own-client", Fixture, NULL, setup, test_own_client, teardown);
  g_test_add ("/oauth-account/copies", Fixture, NULL, setup, test_copies, teardown);
  g_test_add ("/oauth-account/cancelled", Fixture, NULL, setup, test_cancelled, teardown);

  return g_test_run ();
}
