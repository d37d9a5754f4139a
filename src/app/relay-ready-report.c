/* relay-ready-report.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The benchmark's ready-report, for bench/startup-vs-adw.py only: with
 * MAIL_RELAY_REPORT_READY=frame the app prints "ready" on stdout once its
 * first frame is painted; with =rows, once a frame shows rows of a list
 * (the Send Log page opened on a log). Without the variable nothing is
 * connected: the app's normal path reads one environment variable at
 * start and nothing else.
 */

#include "config.h"

#include <stdio.h>

#include "relay-ready-report.h"

typedef enum
{
  REPORT_FRAME,
  REPORT_ROWS,
} ReportWhen;

static ReportWhen report_when;
static gboolean   reported;

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

/* Runs after every paint only until it has reported, then disconnects */
static void
after_paint_cb (GdkFrameClock *frame_clock,
                GtkWidget     *window)
{
  if (!reported)
    {
      if (report_when == REPORT_ROWS && !shows_rows (window))
        return;

      fputs ("ready\n", stdout);
      fflush (stdout);
      reported = TRUE;
    }

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
  if (reported)
    return;

  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    window_realized_cb (GTK_WIDGET (window));
  else
    g_signal_connect (window, "realize", G_CALLBACK (window_realized_cb), NULL);
}

/**
 * relay_ready_report_watch:
 * @app: the application, before it runs
 *
 * Does nothing unless MAIL_RELAY_REPORT_READY is set. When it is `frame`
 * or `rows`, prints "ready" once, as described above; another value is
 * named on stderr and nothing is reported.
 */
void
relay_ready_report_watch (GtkApplication *app)
{
  const char *when = g_getenv ("MAIL_RELAY_REPORT_READY");

  if (when == NULL)
    return;

  if (g_str_equal (when, "frame"))
    report_when = REPORT_FRAME;
  else if (g_str_equal (when, "rows"))
    report_when = REPORT_ROWS;
  else
    {
      g_printerr ("mail-relay: MAIL_RELAY_REPORT_READY: “%s” is not “frame” or “rows”; "
                  "nothing is reported\n", when);
      return;
    }

  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
}
