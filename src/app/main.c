/* main.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "relay-application.h"

/* For bench/startup-vs-adw.py: with MAIL_RELAY_REPORT_READY=frame the
 * app prints "ready" on stdout once its first frame is painted; with
 * =rows, once a frame shows rows of a list (the Send Log page opened on a
 * log). Nothing else changes. */

static gboolean
shows_rows (GtkWidget *widget)
{
  if (GTK_IS_COLUMN_VIEW (widget))
    {
      GtkSelectionModel *model = gtk_column_view_get_model (GTK_COLUMN_VIEW (widget));

      return gtk_widget_get_mapped (widget) && model != NULL &&
             g_list_model_get_n_items (G_LIST_MODEL (model)) > 0;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    if (shows_rows (child))
      return TRUE;

  return FALSE;
}

static void
after_paint_cb (GdkFrameClock *frame_clock,
                GtkWidget     *window)
{
  if (g_strcmp0 (g_getenv ("MAIL_RELAY_REPORT_READY"), "rows") == 0 && !shows_rows (window))
    return;

  fputs ("ready\n", stdout);
  fflush (stdout);
  g_signal_handlers_disconnect_by_func (frame_clock, after_paint_cb, window);
}

static void
window_realized_cb (GtkWidget *window)
{
  GdkFrameClock *frame_clock = gtk_widget_get_frame_clock (window);

  g_signal_connect_object (frame_clock, "after-paint", G_CALLBACK (after_paint_cb), window, 0);
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window)
{
  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    window_realized_cb (GTK_WIDGET (window));
  else
    g_signal_connect (window, "realize", G_CALLBACK (window_realized_cb), NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RelayApplication) app = NULL;
  const char *localedir = g_getenv ("MAIL_RELAY_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = relay_application_new ();
  if (g_getenv ("MAIL_RELAY_REPORT_READY") != NULL)
    g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
