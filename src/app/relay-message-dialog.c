/* relay-message-dialog.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app's questions: one message dialog set up the same way wherever
 * the app asks before it acts (trusting a certificate, keeping or sending
 * a password).
 */

#define G_LOG_DOMAIN "relay-message-dialog"

#include "config.h"

#include "relay-accessible.h"
#include "relay-message-dialog.h"

/**
 * relay_message_dialog_new:
 * @widget: the widget the question is about; the dialog is transient for
 *   its window, if it is in one, and is destroyed with it
 * @heading: the question
 * @body: (nullable): what the answers mean
 * @default_response: the response Enter gives
 * @first_response: the first response's id, which is also what Escape and
 *   closing the dialog give; then its label (with a mnemonic) and its
 *   #AdwResponseAppearance; then more responses the same way, ending
 *   with %NULL
 *
 * Builds a message dialog with the responses in the order given, each
 * button named by its label alone for a screen reader (“Trust”, not
 * “_Trust Trust” on GTK 4.8: relay_accessible_name_buttons_by_label()).
 * The caller connects #AdwMessageDialog::response and presents it.
 *
 * Returns: (transfer none): the dialog, not yet shown
 */
GtkWidget *
relay_message_dialog_new (GtkWidget  *widget,
                          const char *heading,
                          const char *body,
                          const char *default_response,
                          const char *first_response,
                          ...)
{
  GtkRoot *root;
  AdwMessageDialog *dialog;
  va_list args;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (heading != NULL, NULL);
  g_return_val_if_fail (default_response != NULL, NULL);
  g_return_val_if_fail (first_response != NULL, NULL);

  root = gtk_widget_get_root (widget);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       heading, body));

  va_start (args, first_response);
  for (const char *id = first_response; id != NULL; id = va_arg (args, const char *))
    {
      const char *label = va_arg (args, const char *);
      /* an enum is passed as an int through “...” */
      AdwResponseAppearance appearance = va_arg (args, int);

      adw_message_dialog_add_response (dialog, id, label);
      adw_message_dialog_set_response_appearance (dialog, id, appearance);
    }
  va_end (args);

  relay_accessible_name_buttons_by_label (GTK_WIDGET (dialog));
  adw_message_dialog_set_default_response (dialog, default_response);
  adw_message_dialog_set_close_response (dialog, first_response);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);

  return GTK_WIDGET (dialog);
}
