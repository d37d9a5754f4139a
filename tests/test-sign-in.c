/* test-sign-in.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * “Sign in with Google” on the setup page, against a mock authorization
 * server on 127.0.0.1 and the real keyring that build-aux/test starts.
 */

#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <string.h>

#include "relay-oauth-account.h"
#include "relay-oauth-client-dialog.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "relay-setup-page.h"
#include "relay-sign-in-row.h"
#include "test-helpers.h"
#include "widget-helpers.h"

static SoupServer *mock;
static char *mock_base;
/* the id_token's claims, and the userinfo endpoint's (NULL: 404) */
static const char *id_token_claims = "{\"email\":\"me@gmail.example\"}";
static const char *userinfo_claims;
/* when set, the authorization server refuses with this description */
static const char *auth_error_description;
/* the client of the last code exchange */
static char *token_client_id;
static char *token_client_secret;

static void
auth_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  const char *redirect = query ? g_hash_table_lookup (query, "redirect_uri") : NULL;
  const char *state = query ? g_hash_table_lookup (query, "state") : NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *location = NULL;

  if (redirect == NULL || state == NULL || !g_str_has_prefix (redirect, "http://127.0.0.1:"))
    {
      soup_server_message_set_status (msg, 400, NULL);
      return;
    }

  escaped = g_uri_escape_string (state, NULL, FALSE);
  if (auth_error_description != NULL)
    {
      g_autofree char *description = g_uri_escape_string (auth_error_description, NULL, FALSE);

      location = g_strdup_printf ("%s?error=invalid_scope&error_description=%s&state=%s",
                                  redirect, description, escaped);
    }
  else
    location = g_strdup_printf ("%s?code=widget-code&state=%s", redirect, escaped);
  soup_server_message_set_redirect (msg, 302, location);
}

static void
token_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  g_autofree char *payload = g_base64_encode ((const guchar *)id_token_claims, strlen (id_token_claims));
  g_autofree char *body = NULL;
  g_autoptr(GBytes) request = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *form_text = g_strndup (g_bytes_get_data (request, NULL), g_bytes_get_size (request));
  g_autoptr(GHashTable) form = soup_form_decode (form_text);

  g_free (token_client_id);
  token_client_id = g_strdup (g_hash_table_lookup (form, "client_id"));
  g_free (token_client_secret);
  token_client_secret = g_strdup (g_hash_table_lookup (form, "client_secret"));

  /* base64url, as in a JWT */
  g_strdelimit (payload, "+", '-');
  g_strdelimit (payload, "/", '_');
  g_strdelimit (payload, "=", '\0');
  body = g_strdup_printf ("{\"access_token\":\"widget-access\",\"refresh_token\":\"widget-refresh\","
                          "\"expires_in\":3600,\"id_token\":\"eyJhbGciOiJub25lIn0.%s.\"}", payload);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
userinfo_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");

  if (userinfo_claims == NULL || g_strcmp0 (authorization, "Bearer widget-access") != 0)
    {
      soup_server_message_set_status (msg, userinfo_claims ? 401 : 404, NULL);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, userinfo_claims,
                                    strlen (userinfo_claims));
}

static void
start_mock (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  mock = soup_server_new (NULL, NULL);
  soup_server_add_handler (mock, "/auth", auth_cb, NULL, NULL);
  soup_server_add_handler (mock, "/token", token_cb, NULL, NULL);
  soup_server_add_handler (mock, "/userinfo", userinfo_cb, NULL, NULL);
  g_assert_true (soup_server_listen (mock, address, 0, &error));
  g_assert_no_error (error);

  uris = soup_server_get_uris (mock);
  mock_base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  {
    g_autofree char *auth = g_strconcat (mock_base, "/auth", NULL);
    g_autofree char *token = g_strconcat (mock_base, "/token", NULL);
    g_autofree char *userinfo = g_strconcat (mock_base, "/userinfo", NULL);

    g_setenv ("MAIL_RELAY_GOOGLE_AUTH_URL", auth, TRUE);
    g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", token, TRUE);
    g_setenv ("MAIL_RELAY_GOOGLE_USERINFO_URL", userinfo, TRUE);
    g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "widget-client", TRUE);
  }
}

static gboolean
text_ready (gpointer data)
{
  return *(char **)data != NULL;
}

static void
clipboard_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(char **)user_data = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);
  if (*(char **)user_data == NULL)
    *(char **)user_data = g_strdup ("");
}

static gboolean
saved_flag (gpointer data)
{
  return *(gboolean *)data;
}

static void
saved_cb (RelaySetupPage *page,
          gboolean       *saved)
{
  *saved = TRUE;
}

/* The browser: follows the authorization server's redirect itself */
static void
browse (const char *uri,
        guint       expected_status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) first = soup_message_new ("GET", uri);
  g_autoptr(SoupMessage) callback = NULL;
  g_autoptr(GBytes) page = NULL;
  g_autoptr(GError) error = NULL;
  const char *location;

  soup_message_add_flags (first, SOUP_MESSAGE_NO_REDIRECT);
  g_bytes_unref (soup_session_send_and_read (session, first, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (first), ==, 302);

  location = soup_message_headers_get_one (soup_message_get_response_headers (first), "Location");
  g_assert_true (g_str_has_prefix (location, "http://127.0.0.1:"));
  callback = soup_message_new ("GET", location);
  page = soup_session_send_and_read (session, callback, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (callback), ==, expected_status);
}

typedef struct
{
  const char *uri;
  gboolean    failure;  /* the sign-in is to fail */
  gboolean    done;
} Browse;

static gpointer
browse_thread (gpointer data)
{
  Browse *browse_data = data;

  browse (browse_data->uri, browse_data->failure ? 502 : 200);
  g_atomic_int_set (&browse_data->done, TRUE);
  return NULL;
}

static gboolean
browse_done (gpointer data)
{
  return g_atomic_int_get (&((Browse *)data)->done);
}

static gboolean
subtitle_names_account (gpointer data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (data));

  return subtitle != NULL && strstr (subtitle, "me@gmail.example") != NULL;
}

/* The browser that the app opens is /bin/true: this test is the browser */
static void
install_test_browser (void)
{
  g_autofree char *apps = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *desktop = g_build_filename (apps, "mail-relay-test-browser.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);

  g_assert_cmpint (g_mkdir_with_parents (apps, 0700), ==, 0);
  g_assert_true (g_file_set_contents (desktop,
                                      "[Desktop Entry]\nType=Application\nName=Test browser\n"
                                      "Exec=/bin/true %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps,
                                      "[Default Applications]\n"
                                      "x-scheme-handler/http=mail-relay-test-browser.desktop\n"
                                      "x-scheme-handler/https=mail-relay-test-browser.desktop\n",
                                      -1, NULL));
}

static void
test_sign_in (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autofree char *auth = g_strconcat (mock_base, "/auth", NULL);
  g_autofree char *token = g_strconcat (mock_base, "/token", NULL);
  g_autofree char *link = NULL;
  g_autofree char *stored = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  RelaySetupPage *page;
  GtkWidget *row;
  gboolean saved = FALSE;
  RelayAccount *account;
  Browse browse_data = { 0 };
  GThread *thread;

  g_setenv ("MAIL_RELAY_GOOGLE_AUTH_URL", auth, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_TOKEN_URL", token, TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "widget-client", TRUE);

  g_assert_true (relay_account_store_load (store, NULL));
  page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  g_signal_connect (page, "saved", G_CALLBACK (saved_cb), &saved);

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page), "Provider")),
                              relay_provider_get_position ("gmail"));
  row = find_row (GTK_WIDGET (page), "Sign In With Google");
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_visible (row));
  g_assert_false (gtk_widget_get_visible (find_row (GTK_WIDGET (page), "Password")));

  /* waiting for the browser: Copy Link gives the authorization URL */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.sign-in", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.copy-sign-in-link", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (page)), NULL, clipboard_cb, &link);
  wait_for (text_ready, &link);
  g_assert_true (g_str_has_prefix (link, auth));
  g_assert_nonnull (strstr (link, "code_challenge_method=S256"));

  browse_data.uri = link;
  thread = g_thread_new ("browser", browse_thread, &browse_data);
  wait_for (browse_done, &browse_data);
  g_thread_join (thread);

  /* signed in: the account is saved, the refresh token in the keyring */
  wait_for (saved_flag, &saved);
  g_assert_true (relay_account_store_load (reloaded, NULL));
  account = relay_account_store_get_default (reloaded);
  g_assert_cmpstr (relay_account_get_provider (account), ==, "gmail");
  g_assert_cmpstr (relay_account_get_username (account), ==, "me@gmail.example");
  g_assert_cmpstr (relay_account_get_from (account), ==, "me@gmail.example");
  stored = run_secret_tool_lookup (relay_account_get_id (account), "oauth-refresh-token");
  g_assert_cmpstr (stored, ==, "widget-refresh");
  assert_no_file_contains ("widget-refresh");
  assert_no_file_contains ("widget-access");
  wait_for (subtitle_names_account, row);

  /* and out again */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.sign-out", NULL));
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (g_get_monotonic_time () < deadline)
      {
        g_autofree char *left = run_secret_tool_lookup (relay_account_get_id (account), "oauth-refresh-token");

        if (left == NULL)
          break;
        g_main_context_iteration (NULL, FALSE);
      }
  }
  g_clear_pointer (&stored, g_free);
  stored = run_secret_tool_lookup (relay_account_get_id (account), "oauth-refresh-token");
  g_assert_null (stored);

  /* the page may outlive the window a moment: it must not write into
   * this finished test's stack (a later test's variables are there) */
  g_signal_handlers_disconnect_by_data (page, &saved);
  /* the page goes here, not in a worker that ran its keyring work (GLib
   * drops a threaded task's last reference in its worker, possibly after
   * the callback has run) */
  g_object_ref (page);
  gtk_window_destroy (window);
  g_assert_true (await_finalize (page) == g_thread_self ());
}

/* Saves a custom server with a CA file, a pin and the consent to a
 * password in clear text, as the default account */
static RelayAccount *
save_custom_account (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autofree char *ca_file = g_build_filename (g_get_user_config_dir (), "test-ca.pem", NULL);
  const char *pins[] = { "abababababababababababababababababababababababababababababababab", NULL };
  RelayAccount *account;

  g_assert_true (g_file_set_contents (ca_file, "not read by this test\n", -1, NULL));
  g_assert_true (relay_account_store_load (store, NULL));
  account = relay_account_store_get_default (store)
            ? relay_account_copy (relay_account_store_get_default (store))
            : relay_account_new ();
  relay_account_apply_provider (account, relay_provider_lookup ("custom"));
  relay_account_set_host (account, "mail.example.org");
  relay_account_set_port (account, 587);
  relay_account_set_username (account, "old@example.org");
  relay_account_set_from (account, "old@example.org");
  relay_account_set_ca_file (account, ca_file);
  relay_account_set_pins (account, pins);
  relay_account_set_allow_insecure (account, TRUE);
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, NULL));
  /* not signed in: no tokens of an earlier test */
  g_assert_true (relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL));

  return account;
}

static gboolean
subtitle_names_failure (gpointer data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (data));

  return subtitle != NULL && strstr (subtitle, "“email” claim") != NULL;
}

/* The page signs in through the core: the address from the userinfo
 * endpoint when the id_token has none; and Google's server does not
 * inherit the CA file, pin and consent of the custom one. */
static gboolean
message_dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static void
test_userinfo_and_trust (void)
{
  g_autoptr(RelayAccount) before = save_custom_account ();
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autofree char *link = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  RelaySetupPage *page;
  gboolean saved = FALSE;
  RelayAccount *account;
  Browse browse_data = { 0 };
  GThread *thread;

  id_token_claims = "{\"sub\":\"7\"}";
  userinfo_claims = "{\"sub\":\"7\",\"email\":\"me@gmail.example\",\"email_verified\":true}";

  g_assert_true (relay_account_store_load (store, NULL));
  page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  g_signal_connect (page, "saved", G_CALLBACK (saved_cb), &saved);

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page), "Provider")),
                              relay_provider_get_position ("gmail"));
  /* the custom server's user name is not Gmail's: the page asks, and
   * the answer is to clear it (the sign-in brings the right one) */
  wait_for (message_dialog_shown, NULL);
  g_signal_emit_by_name (find_button (GTK_WIDGET (find_message_dialog ()), "Clear Them"), "clicked");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.sign-in", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.copy-sign-in-link", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (page)), NULL, clipboard_cb, &link);
  wait_for (text_ready, &link);

  browse_data.uri = link;
  thread = g_thread_new ("browser", browse_thread, &browse_data);
  wait_for (browse_done, &browse_data);
  g_thread_join (thread);
  wait_for (saved_flag, &saved);

  g_assert_true (relay_account_store_load (reloaded, NULL));
  account = relay_account_store_get_default (reloaded);
  g_assert_cmpstr (relay_account_get_id (account), ==, relay_account_get_id (before));
  g_assert_cmpstr (relay_account_get_provider (account), ==, "gmail");
  g_assert_cmpstr (relay_account_get_host (account), ==, "smtp.gmail.com");
  g_assert_cmpstr (relay_account_get_username (account), ==, "me@gmail.example");
  g_assert_cmpstr (relay_account_get_ca_file (account), ==, "");
  g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (account)), ==, 0);
  g_assert_false (relay_account_get_allow_insecure (account));

  /* the page may outlive the window a moment: it must not write into
   * this finished test's stack (a later test's variables are there) */
  g_signal_handlers_disconnect_by_data (page, &saved);
  gtk_window_destroy (window);
  id_token_claims = "{\"email\":\"me@gmail.example\"}";
  userinfo_claims = NULL;
}

static gboolean
subtitle_names_refusal (gpointer data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (data));

  return subtitle != NULL && strstr (subtitle, "invalid_scope") != NULL;
}

static gboolean
is_label_showing (GtkWidget     *widget,
                  gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

/* The authorization server's explanation of a refusal is its own text,
 * shown as text: markup in it is neither parsed nor lost */
static void
test_refusal_shown_as_text (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autofree char *link = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  RelaySetupPage *page;
  GtkWidget *row;
  Browse browse_data = { 0 };
  GThread *thread;

  auth_error_description = "<b>scope</b> & <i";
  g_assert_true (relay_account_store_load (store, NULL));
  page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page), "Provider")),
                              relay_provider_get_position ("gmail"));
  row = find_row (GTK_WIDGET (page), "Sign In With Google");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.sign-in", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.copy-sign-in-link", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (page)), NULL, clipboard_cb, &link);
  wait_for (text_ready, &link);

  browse_data.uri = link;
  thread = g_thread_new ("browser", browse_thread, &browse_data);
  wait_for (browse_done, &browse_data);
  g_thread_join (thread);
  wait_for (subtitle_names_refusal, row);

  g_assert_nonnull (find_widget (row, is_label_showing,
                                 "The sign-in failed: invalid_scope (<b>scope</b> & <i)"));

  gtk_window_destroy (window);
  auth_error_description = NULL;
}

/* Neither the id_token nor userinfo has an address: the row says so and
 * nothing is saved, in the file or in the keyring */
static void
test_no_address (void)
{
  g_autoptr(RelayAccount) before = save_custom_account ();
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  g_autofree char *file_before = NULL;
  g_autofree char *file_after = NULL;
  g_autofree char *link = NULL;
  g_autofree char *stored = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  RelaySetupPage *page;
  GtkWidget *row;
  gboolean saved = FALSE;
  Browse browse_data = { 0 };
  GThread *thread;

  id_token_claims = "{\"sub\":\"7\"}";
  userinfo_claims = "{\"sub\":\"7\",\"name\":\"Me\"}";
  g_assert_true (g_file_get_contents (path, &file_before, NULL, NULL));

  g_assert_true (relay_account_store_load (store, NULL));
  page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  g_signal_connect (page, "saved", G_CALLBACK (saved_cb), &saved);

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page), "Provider")),
                              relay_provider_get_position ("gmail"));
  row = find_row (GTK_WIDGET (page), "Sign In With Google");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.sign-in", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.copy-sign-in-link", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (page)), NULL, clipboard_cb, &link);
  wait_for (text_ready, &link);

  browse_data.uri = link;
  browse_data.failure = TRUE;
  thread = g_thread_new ("browser", browse_thread, &browse_data);
  wait_for (browse_done, &browse_data);
  g_thread_join (thread);
  wait_for (subtitle_names_failure, row);

  g_assert_false (saved);
  g_assert_true (g_file_get_contents (path, &file_after, NULL, NULL));
  g_assert_cmpstr (file_after, ==, file_before);
  stored = run_secret_tool_lookup (relay_account_get_id (before), "oauth-refresh-token");
  g_assert_null (stored);
  assert_no_file_contains ("widget-refresh");

  /* the page may outlive the window a moment: it must not write into
   * this finished test's stack (a later test's variables are there) */
  g_signal_handlers_disconnect_by_data (page, &saved);
  gtk_window_destroy (window);
  id_token_claims = "{\"email\":\"me@gmail.example\"}";
  userinfo_claims = NULL;
}

static void
test_not_configured (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  RelaySetupPage *page;
  GtkWidget *row;

  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "", TRUE);
  g_assert_true (relay_account_store_load (store, NULL));
  page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page), "Provider")),
                              relay_provider_get_position ("gmail"));
  row = find_row (GTK_WIDGET (page), "Sign In With Google");

  /* it says what a user can do, in the window's words: how this copy
   * was built (a meson option, a variable) is for the README */
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "This copy of Mail Relay was built without a Google sign-in client"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "app password"));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "MAIL_RELAY_GOOGLE_CLIENT_ID"));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "-D"));
  /* the Sign In button is inactive: nothing can start */
  g_assert_false (gtk_widget_get_sensitive (find_actionable (row, "setup.sign-in")));

  /* the page goes here, not in a worker that ran its keyring work (GLib
   * drops a threaded task's last reference in its worker, possibly after
   * the callback has run) */
  g_object_ref (page);
  gtk_window_destroy (window);
  g_assert_true (await_finalize (page) == g_thread_self ());
}

#define OWN_CLIENT_ID "555-widget.apps.googleusercontent.com"
#define OWN_CLIENT_SECRET "GOCSPX-widget-7c1d"

/* A copy built without a Google client: the row says so in a user's
 * words and offers “Use Your Own Google Client…”; the dialog names a
 * bad field; a good client enables Sign In, signs in as that client, and
 * is saved: the id with the account, the secret in the keyring */
static void
test_own_client (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autofree char *link = NULL;
  g_autofree char *stored = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  AdwMessageDialog *dialog;
  RelaySetupPage *page;
  GtkWidget *row, *button, *id_row, *secret_row;
  gboolean saved = FALSE;
  Browse browse_data = { 0 };
  GThread *thread;
  RelayAccount *account;
  const char *subtitle;

  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "", TRUE);
  g_unsetenv ("MAIL_RELAY_GOOGLE_CLIENT_SECRET");
  g_assert_true (relay_account_store_load (store, NULL));
  page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  g_signal_connect (page, "saved", G_CALLBACK (saved_cb), &saved);

  adw_combo_row_set_selected (ADW_COMBO_ROW (find_row (GTK_WIDGET (page), "Provider")),
                              relay_provider_get_position ("gmail"));
  row = find_row (GTK_WIDGET (page), "Sign In With Google");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_assert_nonnull (strstr (subtitle, "This copy of Mail Relay was built without a Google sign-in client"));
  g_assert_nonnull (strstr (subtitle, "a client of your own"));
  g_assert_null (strstr (subtitle, "-D"));
  g_assert_null (strstr (subtitle, "MAIL_RELAY_"));
  /* nothing can start: the way to a client takes Sign In's place */
  g_assert_false (gtk_widget_get_sensitive (find_actionable (row, "setup.sign-in")));
  g_assert_false (gtk_widget_get_visible (find_actionable (row, "setup.sign-in")));

  /* found by its accessible name, which is its label, said once */
  button = find_button (row, "Use Your Own Google Client…");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  assert_buttons_named_once (row);
  g_assert_null (find_toplevel (RELAY_TYPE_OAUTH_CLIENT_DIALOG));
  g_signal_emit_by_name (button, "clicked");
  dialog = (AdwMessageDialog *)find_toplevel (RELAY_TYPE_OAUTH_CLIENT_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == window);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "use"));
  assert_buttons_named_once (GTK_WIDGET (dialog));
  /* nothing typed yet: no error shown */
  g_assert_null (find_visible_label (GTK_WIDGET (dialog), "Client ID:"));
  g_assert_null (find_visible_label (GTK_WIDGET (dialog), "Client secret:"));

  id_row = find_row (GTK_WIDGET (dialog), "Client ID");
  secret_row = find_row (GTK_WIDGET (dialog), "Client Secret");
  g_assert_nonnull (id_row);
  g_assert_nonnull (secret_row);
  button = find_button (GTK_WIDGET (dialog), "How to Create a Client");
  g_assert_true (GTK_IS_LINK_BUTTON (button));
  g_assert_cmpstr (gtk_link_button_get_uri (GTK_LINK_BUTTON (button)), ==,
                   "https://developers.google.com/identity/protocols/oauth2/native-app");

  /* a bad id: the field is named, Use stays off */
  gtk_editable_set_text (GTK_EDITABLE (id_row), "123-abc");
  g_assert_nonnull (find_visible_label (GTK_WIDGET (dialog),
                                        "Client ID: a Google client ID ends in “.apps.googleusercontent.com”"));
  g_assert_true (gtk_widget_has_css_class (id_row, "error"));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "use"));

  /* a good id, but a Google client needs its secret */
  gtk_editable_set_text (GTK_EDITABLE (id_row), " " OWN_CLIENT_ID " ");
  g_assert_null (find_visible_label (GTK_WIDGET (dialog), "Client ID:"));
  g_assert_false (gtk_widget_has_css_class (id_row, "error"));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "use"));
  gtk_editable_set_text (GTK_EDITABLE (secret_row), "has a space");
  g_assert_nonnull (find_visible_label (GTK_WIDGET (dialog), "Client secret:"));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "use"));
  gtk_editable_set_text (GTK_EDITABLE (secret_row), OWN_CLIENT_SECRET);
  g_assert_null (find_visible_label (GTK_WIDGET (dialog), "Client ID:"));
  g_assert_null (find_visible_label (GTK_WIDGET (dialog), "Client secret:"));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "use"));

  adw_message_dialog_response (dialog, "use");
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Sign In is on, as this client */
  g_assert_cmpint (relay_sign_in_row_get_state (RELAY_SIGN_IN_ROW (row)), ==, RELAY_SIGN_IN_SIGNED_OUT);
  g_assert_true (gtk_widget_get_sensitive (find_actionable (row, "setup.sign-in")));
  g_assert_true (gtk_widget_get_visible (find_actionable (row, "setup.sign-in")));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "built without"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.sign-in", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "setup.copy-sign-in-link", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (page)), NULL, clipboard_cb, &link);
  wait_for (text_ready, &link);
  g_assert_nonnull (strstr (link, "client_id=" OWN_CLIENT_ID "&"));
  g_assert_null (strstr (link, OWN_CLIENT_SECRET));

  browse_data.uri = link;
  thread = g_thread_new ("browser", browse_thread, &browse_data);
  wait_for (browse_done, &browse_data);
  g_thread_join (thread);
  g_assert_cmpstr (token_client_id, ==, OWN_CLIENT_ID);
  g_assert_cmpstr (token_client_secret, ==, OWN_CLIENT_SECRET);

  /* saved like any setting: the id with the account, the secret in the keyring */
  wait_for (saved_flag, &saved);
  g_assert_true (relay_account_store_load (reloaded, NULL));
  account = relay_account_store_get_default (reloaded);
  g_assert_cmpstr (relay_account_get_provider (account), ==, "gmail");
  g_assert_cmpstr (relay_account_get_oauth_client_id (account), ==, OWN_CLIENT_ID);
  stored = run_secret_tool_lookup (relay_account_get_id (account), "oauth-client-secret");
  g_assert_cmpstr (stored, ==, OWN_CLIENT_SECRET);
  assert_no_file_contains (OWN_CLIENT_SECRET);
  wait_for (subtitle_names_account, row);

  g_signal_handlers_disconnect_by_data (page, &saved);
  g_object_ref (page);
  gtk_window_destroy (window);
  g_assert_true (await_finalize (page) == g_thread_self ());
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "widget-client", TRUE);
}

static gboolean
not_checking (gpointer data)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (data));

  return subtitle != NULL && strcmp (subtitle, "Checking the keyring…") != 0;
}

/* The keyring look-up for a saved Google account runs in a worker thread,
 * which holds no reference to the page: when its callback has run, the
 * page goes with its last reference, on this thread. Were the page the
 * task's source object, the worker could drop it after the callback and
 * dispose the widget off the main thread (late-task-release makes that
 * the order every time). */
static void
test_released_on_main_thread (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  RelaySetupPage *page;
  GtkWidget *row;

  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "widget-client", TRUE);
  g_assert_true (relay_account_store_load (store, NULL));
  /* the default account, as the earlier tests left it, made a Gmail one */
  account = relay_account_store_get_default (store)
            ? relay_account_copy (relay_account_store_get_default (store))
            : relay_account_new ();
  relay_account_apply_provider (account, relay_provider_lookup ("gmail"));
  relay_account_set_username (account, "someone@gmail.com");
  relay_account_set_from (account, "someone@gmail.com");
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  page = g_object_ref_sink (g_object_new (RELAY_TYPE_SETUP_PAGE, "store", store, NULL));
  row = find_row (GTK_WIDGET (page), "Sign In With Google");
  g_assert_nonnull (row);
  g_assert_false (not_checking (row));
  wait_for (not_checking, row);
  g_assert_true (await_finalize (page) == g_thread_self ());
}

static gboolean
row_settled (gpointer data)
{
  return relay_sign_in_row_get_state (data) != RELAY_SIGN_IN_CHECKING;
}

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () > *(gint64 *)data;
}

/* The row shown for another saved account while the "is it linked"
 * check of the one before is still out: that answer is dropped, the
 * state is the one of the account shown (here: linked), and its own
 * client is the one a sign-in would use */
static void
test_stale_linked_answer (void)
{
  g_autoptr(RelayProvider) office = NULL;
  g_autoptr(RelayAccount) before = relay_account_new ();
  g_autoptr(RelayAccount) shown = relay_account_new ();
  g_autoptr(GError) error = NULL;
  RelayOAuthTokens tokens = { (char *)"access-stale-test", (char *)"refresh-stale-test", 0, NULL };
  RelaySignInRow *row = g_object_ref_sink (g_object_new (RELAY_TYPE_SIGN_IN_ROW, NULL));
  gint64 settle;

  g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", TRUE);
  office = g_list_model_get_item (relay_provider_get_all (), relay_provider_get_position ("microsoft365"));
  relay_account_apply_provider (before, office);
  relay_account_set_from (before, "before@example.org");
  relay_account_apply_provider (shown, office);
  relay_account_set_from (shown, "shown@example.org");
  relay_account_set_oauth_client_id (shown, "11111111-2222-3333-4444-555555555555");
  g_assert_true (relay_oauth_account_store_tokens (shown, &tokens, NULL, &error));
  g_assert_no_error (error);

  /* not linked, checked on a worker ... */
  relay_sign_in_row_refresh (row, office, before);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_CHECKING);
  /* ... and at once another account, whose own client is looked up first */
  relay_sign_in_row_refresh (row, office, shown);
  wait_for (row_settled, row);
  /* whatever is still out has come by now */
  settle = g_get_monotonic_time () + G_USEC_PER_SEC;
  wait_for (time_passed, &settle);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_LINKED);

  relay_sign_in_row_stop (row);
  relay_secrets_clear_sync (relay_account_get_id (shown), NULL, NULL);
  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");
  g_object_unref (row);
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);
  install_test_browser ();
  start_mock ();

  g_test_add_func ("/sign-in/google", test_sign_in);
  g_test_add_func ("/sign-in/userinfo-and-trust", test_userinfo_and_trust);
  g_test_add_func ("/sign-in/no-address", test_no_address);
  g_test_add_func ("/sign-in/refusal-shown-as-text", test_refusal_shown_as_text);
  g_test_add_func ("/sign-in/not-configured", test_not_configured);
  g_test_add_func ("/sign-in/own-client", test_own_client);
  g_test_add_func ("/sign-in/stale-linked-answer", test_stale_linked_answer);
  g_test_add_func ("/sign-in/released-on-main-thread", test_released_on_main_thread);

  return g_test_run ();
}
