/* test-sign-in-row.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelaySignInRow on its own: what each state shows, the note kept as
 * plain text, the provider's name in the title, a client id missing,
 * one state-changed per state shown, and the row released. */

#include "config.h"

#include <string.h>

#include "relay-oauth-client-dialog.h"
#include "relay-sign-in-row.h"
#include "widget-helpers.h"

static void
count_cb (RelaySignInRow *row,
          guint          *count)
{
  (*count)++;
}

static gboolean
shown (GtkWidget  *root,
       const char *label)
{
  GtkWidget *button = find_button (root, label);

  g_assert_nonnull (button);
  return gtk_widget_get_visible (button);
}

static void
test_states (void)
{
  GtkWidget *username = g_object_ref_sink (gtk_text_new ());
  RelaySignInRow *row = g_object_ref_sink (g_object_new (RELAY_TYPE_SIGN_IN_ROW,
                                                         "username-editable", username,
                                                         NULL));
  GtkWidget *widget = GTK_WIDGET (row);
  GtkEditable *editable = NULL;
  guint changed = 0;

  g_object_get (row, "username-editable", &editable, NULL);
  g_assert_true (editable == GTK_EDITABLE (username));
  g_object_unref (editable);
  g_signal_connect (row, "state-changed", G_CALLBACK (count_cb), &changed);

  relay_sign_in_row_set_state (row, RELAY_SIGN_IN_SIGNED_OUT, NULL);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_SIGNED_OUT);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "No password is needed"));
  g_assert_true (shown (widget, "Sign In"));
  g_assert_false (shown (widget, "Sign Out"));
  g_assert_false (shown (widget, "Copy Link"));
  g_assert_false (shown (widget, "Cancel"));
  g_assert_null (relay_sign_in_row_get_authorization_uri (row));

  /* a server's words: shown as text, control characters replaced */
  relay_sign_in_row_set_state (row, RELAY_SIGN_IN_WAITING, "slow\x1b[31m <b>browser</b>");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "Waiting for you to sign in in the browser…\nslow"));
  g_assert_null (strchr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), '\x1b'));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "<b>browser</b>"));
  g_assert_false (adw_preferences_row_get_use_markup (ADW_PREFERENCES_ROW (row)));
  g_assert_false (shown (widget, "Sign In"));
  g_assert_true (shown (widget, "Copy Link"));
  g_assert_true (shown (widget, "Cancel"));

  /* the address is the form's user name when the state is shown */
  gtk_editable_set_text (GTK_EDITABLE (username), "me@example.com");
  relay_sign_in_row_set_state (row, RELAY_SIGN_IN_LINKED, NULL);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "Signed in as me@example.com");
  g_assert_true (shown (widget, "Sign Out"));
  g_assert_false (shown (widget, "Sign In"));
  g_assert_false (shown (widget, "Copy Link"));

  relay_sign_in_row_set_state (row, RELAY_SIGN_IN_CHECKING, NULL);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "Checking the keyring…");
  g_assert_true (shown (widget, "Sign In"));
  g_assert_false (shown (widget, "Sign Out"));

  g_assert_cmpuint (changed, ==, 4);

  g_assert_finalize_object (row);
  g_assert_finalize_object (username);
}

static void
test_not_configured (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayProvider) office = NULL;
  RelaySignInRow *row = g_object_ref_sink (g_object_new (RELAY_TYPE_SIGN_IN_ROW, NULL));

  g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "", TRUE);
  g_setenv ("MAIL_RELAY_GOOGLE_CLIENT_ID", "", TRUE);
  office = g_list_model_get_item (relay_provider_get_all (), relay_provider_get_position ("microsoft365"));
  g_assert_nonnull (office);

  relay_sign_in_row_refresh (row, office, NULL);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Sign In With Microsoft");
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "This copy of Mail Relay was built without a Microsoft sign-in client"));

  /* nothing starts: the row says why instead */
  g_assert_true (relay_sign_in_row_start (row, office, &error));
  g_assert_no_error (error);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_UNAVAILABLE);
  g_assert_null (relay_sign_in_row_get_authorization_uri (row));

  g_assert_finalize_object (row);
}

#define OWN_MICROSOFT_ID "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c"

/* Microsoft 365 on a build without a Microsoft client: “Use Your Own
 * Microsoft Client…”, a GUID, no secret needed; the sign-in then starts
 * as that client */
static void
test_own_microsoft_client (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayProvider) office = NULL;
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  RelaySignInRow *row = g_object_new (RELAY_TYPE_SIGN_IN_ROW, NULL);
  RelayOAuthClientDialog *dialog;
  GtkWidget *button, *id_row, *secret_row;
  const char *client_secret = "unset";
  GtkWidget *list = gtk_list_box_new ();

  /* a row lives in a list, as on the setup page */
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (row));
  gtk_window_set_child (window, list);
  gtk_window_present (window);
  g_setenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID", "", TRUE);
  office = g_list_model_get_item (relay_provider_get_all (), relay_provider_get_position ("microsoft365"));

  relay_sign_in_row_refresh (row, office, NULL);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_UNAVAILABLE);
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "-D"));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "MAIL_RELAY_"));
  g_assert_null (relay_sign_in_row_get_own_client (row, NULL));
  button = find_button (GTK_WIDGET (row), "Use Your Own Microsoft Client…");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  /* named by its label alone (the page names the row's other buttons so) */
  g_assert_false (gtk_test_accessible_has_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL));

  g_signal_emit_by_name (button, "clicked");
  dialog = (RelayOAuthClientDialog *)find_toplevel (RELAY_TYPE_OAUTH_CLIENT_DIALOG);
  g_assert_nonnull (dialog);
  assert_buttons_named_once (GTK_WIDGET (dialog));
  id_row = find_row (GTK_WIDGET (dialog), "Client ID");
  /* Microsoft public clients have no secret */
  secret_row = find_row (GTK_WIDGET (dialog), "Client Secret (Optional)");
  g_assert_nonnull (id_row);
  g_assert_nonnull (secret_row);
  g_assert_cmpstr (gtk_link_button_get_uri (GTK_LINK_BUTTON (find_button (GTK_WIDGET (dialog), "How to Create a Client"))),
                   ==, "https://learn.microsoft.com/entra/identity-platform/quickstart-register-app");

  gtk_editable_set_text (GTK_EDITABLE (id_row), "123-abc.apps.googleusercontent.com");
  g_assert_nonnull (find_visible_label (GTK_WIDGET (dialog),
                                        "Client ID: a Microsoft application (client) ID looks like"));
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "use"));
  gtk_editable_set_text (GTK_EDITABLE (id_row), OWN_MICROSOFT_ID);
  g_assert_null (find_visible_label (GTK_WIDGET (dialog), "Client ID:"));
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "use"));

  /* Cancel changes nothing */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_UNAVAILABLE);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "use");
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_SIGNED_OUT);
  g_assert_true (shown (GTK_WIDGET (row), "Sign In"));
  g_assert_cmpstr (relay_sign_in_row_get_own_client (row, &client_secret), ==, OWN_MICROSOFT_ID);
  g_assert_null (client_secret);

  g_assert_true (relay_sign_in_row_start (row, office, &error));
  g_assert_no_error (error);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_WAITING);
  g_assert_nonnull (strstr (relay_sign_in_row_get_authorization_uri (row), "client_id=" OWN_MICROSOFT_ID "&"));
  relay_sign_in_row_stop (row);

  g_unsetenv ("MAIL_RELAY_MICROSOFT_CLIENT_ID");
  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  g_test_add_func ("/sign-in-row/states", test_states);
  g_test_add_func ("/sign-in-row/not-configured", test_not_configured);
  g_test_add_func ("/sign-in-row/own-microsoft-client", test_own_microsoft_client);

  return g_test_run ();
}
