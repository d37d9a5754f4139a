/* test-message-dialog.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * relay_message_dialog_new() under Xvfb: the dialog the app asks its
 * questions with is transient for the asking widget's window and goes
 * with it, has the responses in the order given with their appearance,
 * Enter as asked and Escape as the first, and each button named once for
 * a screen reader.
 */

#include "config.h"

#include <adwaita.h>

#include "relay-message-dialog.h"
#include "widget-helpers.h"

static void
response_cb (AdwMessageDialog  *dialog,
             const char        *response,
             char             **out)
{
  g_free (*out);
  *out = g_strdup (response);
}

static void
test_set_up (void)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *button = gtk_button_new_with_label ("Ask");
  AdwMessageDialog *dialog;
  g_autofree char *closed = NULL;

  adw_window_set_content (ADW_WINDOW (window), button);
  gtk_window_present (GTK_WINDOW (window));

  /* asked from a widget inside the window, not the window itself */
  dialog = ADW_MESSAGE_DIALOG (relay_message_dialog_new (button, "Keep It?", "What it means.",
                                                         "type",
                                                         "cancel", "_Cancel", ADW_RESPONSE_DEFAULT,
                                                         "type", "_Type a New One", ADW_RESPONSE_SUGGESTED,
                                                         "keep", "_Keep It", ADW_RESPONSE_DESTRUCTIVE,
                                                         NULL));
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);

  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));
  g_assert_true (gtk_window_get_destroy_with_parent (GTK_WINDOW (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Keep It?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, "What it means.");

  g_assert_true (adw_message_dialog_has_response (dialog, "cancel"));
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "cancel"), ==, "_Cancel");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "type"), ==, "_Type a New One");
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "keep"), ==, "_Keep It");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "keep"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "type"), ==,
                   ADW_RESPONSE_SUGGESTED);
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "cancel"), ==,
                   ADW_RESPONSE_DEFAULT);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "type");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");

  /* “Keep It”, not “_Keep It Keep It” (GTK 4.8) */
  gtk_window_present (GTK_WINDOW (dialog));
  assert_buttons_named_once (GTK_WIDGET (dialog));

  /* Escape gives the close response */
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), &closed);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_cmpstr (closed, ==, "cancel");

  /* and the dialog goes with the window */
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (dialog);
}

/* a widget in no window: a dialog of its own, as the setup page's
 * questions before the page is shown */
static void
test_no_window (void)
{
  g_autoptr(GtkWidget) label = g_object_ref_sink (gtk_label_new ("alone"));
  GtkWidget *dialog;

  dialog = relay_message_dialog_new (label, "Clear?", NULL,
                                     "clear",
                                     "clear", "_Clear", ADW_RESPONSE_SUGGESTED,
                                     "keep", "_Keep", ADW_RESPONSE_DEFAULT,
                                     NULL);
  g_assert_null (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  /* the first response is also the one Escape gives */
  g_assert_cmpstr (adw_message_dialog_get_close_response (ADW_MESSAGE_DIALOG (dialog)), ==, "clear");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (ADW_MESSAGE_DIALOG (dialog), "clear"), ==,
                   ADW_RESPONSE_SUGGESTED);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

int
main (int   argc,
      char *argv[])
{
  widget_test_init (&argc, &argv);

  g_test_add_func ("/message-dialog/set-up", test_set_up);
  g_test_add_func ("/message-dialog/no-window", test_no_window);

  return g_test_run ();
}
