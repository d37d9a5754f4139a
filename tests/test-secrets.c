/* test-secrets.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs against the real gnome-keyring-daemon that build-aux/test starts.
 */

#include "config.h"

#include <string.h>

#include "relay-account-store.h"
#include "relay-secrets.h"
#include "test-helpers.h"

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *from_tool = NULL;
  char *secret;

  g_assert_true (relay_secrets_store_sync (id, RELAY_SECRET_PASSWORD, "a@example.com",
                                           "pässwörd-1", NULL, &error));
  g_assert_no_error (error);

  secret = relay_secrets_lookup_sync (id, RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, "pässwörd-1");
  secret_password_free (secret);

  /* the item is found by its documented attributes */
  from_tool = run_secret_tool_lookup (id, "password");
  g_assert_cmpstr (from_tool, ==, "pässwörd-1");

  /* another kind of the same account is a different item */
  secret = relay_secrets_lookup_sync (id, RELAY_SECRET_OAUTH_REFRESH_TOKEN, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (secret);

  /* replacing keeps one item */
  g_assert_true (relay_secrets_store_sync (id, RELAY_SECRET_PASSWORD, "a@example.com",
                                           "second", NULL, &error));
  secret = relay_secrets_lookup_sync (id, RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_cmpstr (secret, ==, "second");
  secret_password_free (secret);

  g_assert_true (relay_secrets_clear_sync (id, NULL, &error));
  g_assert_no_error (error);
  secret = relay_secrets_lookup_sync (id, RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (secret);
  g_clear_pointer (&from_tool, g_free);
  from_tool = run_secret_tool_lookup (id, "password");
  g_assert_null (from_tool);
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_secrets_store_finish (result, &error));
  g_assert_no_error (error);
  g_main_loop_quit (loop);
}

static void
test_no_secret_on_disk (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  const char *password = "Zq7-unique-secret-5f0e";

  relay_account_apply_provider (account, relay_provider_lookup ("office365"));
  relay_account_set_username (account, "a@example.com");
  relay_account_set_from (account, "a@example.com");
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  relay_secrets_store_async (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                             "a@example.com", password, NULL, stored_cb, loop);
  g_main_loop_run (loop);

  assert_no_file_contains (password);
  relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

/* The async forms, answered in the caller's context from a worker; a
 * cancelled call says so at once */
static void
test_async (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *id = g_uuid_string_random ();
  GAsyncResult *result = NULL;
  char *secret;

  relay_secrets_store_async (id, RELAY_SECRET_PASSWORD, NULL, "async-secret-1c9", NULL, result_cb, &result);
  g_assert_true (relay_secrets_store_finish (wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  relay_secrets_lookup_async (id, RELAY_SECRET_PASSWORD, NULL, result_cb, &result);
  secret = relay_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, "async-secret-1c9");
  secret_password_free (secret);
  g_clear_object (&result);

  relay_secrets_lookup_async (id, RELAY_SECRET_PASSWORD, cancellable, result_cb, &result);
  g_cancellable_cancel (cancellable);
  secret = relay_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_null (secret);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  relay_secrets_clear_async (id, NULL, result_cb, &result);
  g_assert_true (relay_secrets_clear_finish (wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  relay_secrets_lookup_async (id, RELAY_SECRET_PASSWORD, NULL, result_cb, &result);
  secret = relay_secrets_lookup_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_null (secret);
  g_clear_object (&result);
}

static void
test_no_keyring (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_uuid_string_random ();
  char *secret;

  /* libsecret keeps its connection for the life of the process */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  /* No session bus at all (test-cli covers a bus without a keyring) */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);

  g_assert_false (relay_secrets_store_sync (id, RELAY_SECRET_PASSWORD, "x", "never-stored",
                                            NULL, &error));
  g_assert_error (error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "keyring"));
  g_assert_null (strstr (error->message, "never-stored"));
  g_clear_error (&error);

  secret = relay_secrets_lookup_sync (id, RELAY_SECRET_PASSWORD, NULL, &error);
  g_assert_null (secret);
  g_assert_error (error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  g_assert_false (relay_secrets_clear_sync (id, NULL, &error));
  g_assert_error (error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_UNAVAILABLE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/secrets/round-trip", test_round_trip);
  g_test_add_func ("/secrets/no-secret-on-disk", test_no_secret_on_disk);
  g_test_add_func ("/secrets/async", test_async);
  g_test_add_func ("/secrets/no-keyring", test_no_keyring);

  return g_test_run ();
}
