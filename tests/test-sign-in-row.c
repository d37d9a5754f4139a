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
                                   "Microsoft sign-in is not set up in this copy of Mail Relay"));

  /* nothing starts: the row says why instead */
  g_assert_true (relay_sign_in_row_start (row, office, &error));
  g_assert_no_error (error);
  g_assert_cmpint (relay_sign_in_row_get_state (row), ==, RELAY_SIGN_IN_UNAVAILABLE);
  g_assert_null (relay_sign_in_row_get_authorization_uri (row));

  g_assert_finalize_object (row);
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  g_test_add_func ("/sign-in-row/states", test_states);
  g_test_add_func ("/sign-in-row/not-configured", test_not_configured);

  return g_test_run ();
}
