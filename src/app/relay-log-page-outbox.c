/* relay-log-page-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Send Log page and the outbox: the meters of the account's limits,
 * the banner that says why messages wait, and sending what is due while
 * the app runs, on Send Queued Messages, and on an event's Send Now and
 * Cancel Message.
 */

#define G_LOG_DOMAIN "relay-log-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-format.h"
#include "relay-log-page-private.h"
#include "relay-outbox.h"
#include "relay-send-log.h"
#include "relay-throttle.h"

static char *
window_phrase (guint seconds)
{
  switch (seconds)
    {
    case 60:    return g_strdup (_("this minute"));
    case 3600:  return g_strdup (_("this hour"));
    case 86400: return g_strdup (_("in 24 hours"));
    default:
      return g_strdup_printf (ngettext ("in %u second", "in %u seconds", seconds), seconds);
    }
}

static void start_drain (RelayLogPage *self,
                         gboolean      by_hand);

static void
meters_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(RelayLogPage) self = user_data;
  g_autoptr(RelayOutboxCounts) meters = relay_outbox_get_counts_finish (RELAY_OUTBOX (object), result, NULL);
  RelayThrottle *throttle;
  /* the account chosen in the filter, else the default one */
  RelayAccount *account = self->filter_account ? self->filter_account : self->account;
  g_autoptr(GString) text = g_string_new (NULL);
  gint64 now = g_get_real_time ();

  if (meters == NULL || account == NULL)
    return;

  throttle = meters->throttle;

  if (relay_throttle_get_max_messages (throttle) > 0)
    {
      g_autofree char *window = window_phrase (relay_account_get_message_window (account));
      g_autofree char *count = relay_format_count (relay_throttle_count_messages (throttle, now));
      g_autofree char *max = relay_format_count (relay_throttle_get_max_messages (throttle));

      /* Translators: “12 / 30 messages this minute” */
      g_string_append_printf (text, _("%s / %s messages %s"), count, max, window);
    }

  if (relay_throttle_get_max_recipients (throttle) > 0)
    {
      g_autofree char *window = window_phrase (relay_account_get_recipient_window (account));
      g_autofree char *count = relay_format_count (relay_throttle_count_recipients (throttle, now));
      g_autofree char *max = relay_format_count (relay_throttle_get_max_recipients (throttle));

      if (text->len > 0)
        g_string_append (text, "  ·  ");
      /* Translators: “120 / 10,000 recipients in 24 hours” */
      g_string_append_printf (text, _("%s / %s recipients %s"), count, max, window);
    }

  gtk_label_set_text (self->meters_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->meters_label), text->len > 0);

  /* messages wait: why, and until when */
  {
    guint queued = meters->queued;
    gint64 allowed = relay_throttle_next_allowed (throttle, now, 1);
    g_autofree char *message = NULL;

    if (queued > 0 && allowed > now && allowed != G_MAXINT64)
      {
        g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (allowed / G_USEC_PER_SEC + 1);
        g_autofree char *clock = relay_format_time (at);

        message = g_strdup_printf (ngettext ("Sending is throttled to stay within the provider’s limits: %u message waits, and sending resumes at %s.",
                                             "Sending is throttled to stay within the provider’s limits: %u messages wait, and sending resumes at %s.",
                                             queued),
                                   queued, clock);
      }
    else if (queued > 0 && self->draining)
      message = g_strdup_printf (ngettext ("Sending %u queued message…",
                                           "Sending %u queued messages…", queued),
                                 queued);
    else if (queued > 0 && self->auto_error != NULL)
      message = g_strdup_printf (ngettext ("%u message waits in the outbox: %s",
                                           "%u messages wait in the outbox: %s", queued),
                                 queued, self->auto_error);
    else if (queued > 0 && meters->due == 0 && meters->next_retry != G_MAXINT64)
      {
        g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (meters->next_retry / G_USEC_PER_SEC + 1);
        g_autofree char *clock = relay_format_time (at);

        message = g_strdup_printf (ngettext ("%u message waits to be retried; the next attempt is at %s.",
                                             "%u messages wait to be retried; the next attempt is at %s.",
                                             queued),
                                   queued, clock);
      }
    else if (queued > 0)
      message = g_strdup_printf (ngettext ("%u message waits in the outbox.",
                                           "%u messages wait in the outbox.", queued),
                                 queued);

    if (message != NULL)
      gtk_label_set_text (self->throttled_label, message);
    gtk_revealer_set_reveal_child (self->throttled_revealer, message != NULL);
    gtk_widget_set_sensitive (GTK_WIDGET (self->send_queued_button), !self->draining);

    /* while the app runs, what is due goes out as the limits allow: when a
     * window opens, when a retry's time comes */
    if (account == self->account && meters->due > 0 && allowed <= now && !self->draining &&
        self->auto_error == NULL)
      start_drain (self, FALSE);
  }
}

void
_relay_log_page_update_meters (RelayLogPage *self)
{
  g_autoptr(RelayOutbox) outbox = NULL;

  if (self->account == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->meters_label), FALSE);
      return;
    }

  /* A GTask run in a thread drops its last reference in the worker,
   * possibly after its callback has run: were the page its source object,
   * the page could be disposed there, off the main thread. The core's
   * calls get only what they read, and the callback's data holds the page. */
  outbox = relay_outbox_new (NULL);
  relay_outbox_get_counts_async (outbox, self->filter_account ? self->filter_account : self->account,
                                 self->log, self->cancellable, meters_cb,
                                 g_object_ref (self));
}

/**
 * relay_log_page_set_account:
 * @account: (nullable): the account whose limits the meters show
 */
void
relay_log_page_set_account (RelayLogPage *self,
                            RelayAccount *account)
{
  g_return_if_fail (RELAY_IS_LOG_PAGE (self));

  g_set_object (&self->account, account);
  /* new settings may well send what could not be sent */
  g_clear_pointer (&self->auto_error, g_free);
  _relay_log_page_update_meters (self);
}

static void
drained_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(RelayLogPageCall) call = user_data;
  RelayLogPage *self = call->self;
  g_autoptr(RelayOutboxReport) report = NULL;
  g_autoptr(GError) error = NULL;

  report = relay_outbox_drain_finish (RELAY_OUTBOX (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (report != NULL && report->stopped_by != NULL)
    /* a refused sign-in, say: what stopped it is what the page says */
    g_set_error (&error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_STOPPED, "%s", report->stopped_by);

  self->draining = FALSE;
  g_clear_pointer (&self->auto_error, g_free);
  if (error != NULL)
    {
      /* said once; not tried again on its own until something changes */
      self->auto_error = _relay_log_page_shown_text (error->message);
      if (call->by_hand)
        _relay_log_page_show_toast (self, error->message);
    }

  relay_log_page_reload (self);
  _relay_log_page_update_meters (self);
}

/* Sends what is due, within the limits, without waiting for anything */
static void
start_drain (RelayLogPage *self,
             gboolean      by_hand)
{
  g_autoptr(RelayOutbox) outbox = NULL;
  g_autoptr(RelaySendLog) log = NULL;
  RelayLogPageCall *call;

  if (self->draining || self->account == NULL)
    return;

  self->draining = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->send_queued_button), FALSE);
  /* the drain appends to the log file; the page's model reloads after */
  log = relay_send_log_new (NULL);
  call = _relay_log_page_call_new (self);
  call->by_hand = by_hand;
  /* what is due now and within the limits; nothing waits here */
  outbox = relay_outbox_new (NULL);
  relay_outbox_drain_async (outbox, self->account, log, RELAY_OUTBOX_WAIT_NONE, NULL, NULL,
                            self->cancellable, drained_cb, call);
}

/* Send Queued Messages */
void
_relay_log_page_send_queued (RelayLogPage *self)
{
  g_autoptr(GError) error = NULL;

  /* asked by a person: retries are due now, limits still hold */
  if (relay_outbox_retry_all (&error) < 0)
    {
      _relay_log_page_show_toast (self, error->message);
      return;
    }

  g_clear_pointer (&self->auto_error, g_free);
  start_drain (self, TRUE);
}

/* Send Now in an event's window: what @message_id waits for is due now */
gboolean
_relay_log_page_send_now (RelayLogPage  *self,
                          const char    *message_id,
                          GError       **error)
{
  if (!relay_outbox_retry (message_id, error))
    return FALSE;

  g_clear_pointer (&self->auto_error, g_free);
  start_drain (self, TRUE);
  return TRUE;
}

/* Cancel Message in an event's window: @message_id leaves the outbox */
gboolean
_relay_log_page_cancel_message (RelayLogPage  *self,
                                const char    *message_id,
                                GError       **error)
{
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);

  if (!relay_outbox_cancel (self->account, log, message_id, error))
    return FALSE;

  relay_log_page_reload (self);
  return TRUE;
}
