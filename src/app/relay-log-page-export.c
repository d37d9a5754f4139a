/* relay-log-page-export.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Send Log page's CSV export: the events shown (after filtering)
 * written off the main thread, asked for through the file chooser (the
 * portal inside Flatpak), and a toast that says how it went.
 */

#define G_LOG_DOMAIN "relay-log-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-log-page-private.h"
#include "relay-send-log.h"

/* Back on the page's thread: the core's worker held only the log and the file */
static void
exported_csv_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RelayLogPage *self = g_task_get_source_object (task);
  GError *error = NULL;

  /* the export read the mapped log: a waiting reload may go now */
  self->readers--;
  if (self->reload_pending)
    relay_log_page_reload (self);

  if (relay_send_log_export_csv_finish (RELAY_SEND_LOG (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * relay_log_page_export_async:
 *
 * Writes the events shown (after filtering) to @file as CSV, off the
 * main thread (relay_send_log_export_csv_async()).
 */
void
relay_log_page_export_async (RelayLogPage        *self,
                             GFile               *file,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RELAY_IS_LOG_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  /* no reload while the core's thread reads the mapped file */
  self->readers++;

  /* the page is held by the task that completes here, not by the worker:
   * see _relay_log_page_update_meters() */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_log_page_export_async);
  relay_send_log_export_csv_async (self->log, file, relay_log_subset_get_positions (self->filtered), cancellable,
                                   exported_csv_cb, g_steal_pointer (&task));
}

gboolean
relay_log_page_export_finish (RelayLogPage  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  RelayLogPage *self = RELAY_LOG_PAGE (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (!relay_log_page_export_finish (self, result, &error))
    title = g_strdup_printf (_("The events could not be exported: %s"), error->message);
  else
    title = g_strdup (_("Events exported"));

  _relay_log_page_show_toast (self, title);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     RelayLogPage    *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    relay_log_page_export_async (self, file, self->cancellable, export_done_cb, NULL);

  g_object_unref (chooser);
}

/* Through the file chooser portal inside Flatpak */
void
_relay_log_page_export_action (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  RelayLogPage *self = RELAY_LOG_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export the Send Log"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "send-log.csv");
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
