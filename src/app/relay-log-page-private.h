/* relay-log-page-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Send Log page's state, shared by the files that make the page up:
 * relay-log-page.c (the list, the filter, watching the file),
 * relay-log-page-outbox.c (the meters and sending what waits) and
 * relay-log-page-export.c (the CSV export), and the helpers the event
 * window uses.
 */

#pragma once

#include "relay-account-store.h"
#include "relay-log-page.h"
#include "relay-log-subset.h"

G_BEGIN_DECLS

struct _RelayLogPage
{
  AdwBin              parent_instance;

  RelaySendLog       *log;
  RelayLogSubset     *filtered;
  GCancellable       *cancellable;
  GCancellable       *filtering;
  char               *status_needle;
  char               *search_needle;
  gboolean            loading;
  /* the filter reads the mapped log: no reload meanwhile */
  guint               readers;
  gboolean            reload_pending;
  /* the first row that changed since the filter last ran */
  guint               dirty_from;
  /* the filter changed while the log was loading */
  gboolean            filter_stale;
  /* the newest row stays in view */
  gboolean            stick_to_end;
  gboolean            pinning;
  double              pinned_upper;
  GdkFrameClock      *pin_clock;
  gulong              pin_handler;
  GFileMonitor       *monitor;
  guint               refresh_source;
  guint               meters_source;

  GtkStack           *stack;
  AdwStatusPage      *empty_page;
  GtkSpinner         *spinner;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *status_dropdown;
  GtkLabel           *count_label;
  GtkLabel           *meters_label;
  GtkRevealer        *throttled_revealer;
  GtkLabel           *throttled_label;
  GtkButton          *send_queued_button;
  /* the outbox is being sent from here */
  gboolean            draining;
  /* sending what was due stopped on this (no password, no server): not
   * tried again on its own until the account changes or a person asks */
  char               *auto_error;
  GtkRevealer        *skipped_revealer;
  GtkLabel           *skipped_label;
  RelayAccount       *account;
  /* the accounts the log may be filtered by, and the one chosen: its
   * rows and its meters are shown */
  RelayAccountStore  *store;
  GtkDropDown        *account_dropdown;
  GStrv               account_ids;
  RelayAccount       *filter_account;
  gboolean            listing_accounts;
  GtkScrolledWindow  *scroller;
  GtkColumnView      *column_view;
};

/* What a callback of the core's needs: the page, held here on the page's
 * thread (see _relay_log_page_update_meters()), and what was asked */
typedef struct
{
  RelayLogPage *self;
  guint         first;    /* refilter_from() */
  gboolean      by_hand;  /* start_drain() of relay-log-page-outbox.c */
} RelayLogPageCall;

RelayLogPageCall *_relay_log_page_call_new         (RelayLogPage     *self);
void              _relay_log_page_call_free        (RelayLogPageCall *call);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayLogPageCall, _relay_log_page_call_free)

const char       *_relay_log_page_status_label     (RelaySendStatus   status);
char             *_relay_log_page_shown_text       (const char       *text);
char             *_relay_log_page_shown_markup     (const char       *text);
void              _relay_log_page_show_toast       (RelayLogPage     *self,
                                                    const char       *title);

/* relay-log-page-outbox.c */
void              _relay_log_page_update_meters    (RelayLogPage     *self);
void              _relay_log_page_send_queued      (RelayLogPage     *self);
gboolean          _relay_log_page_send_now         (RelayLogPage     *self,
                                                    const char       *message_id,
                                                    GError          **error);
gboolean          _relay_log_page_cancel_message   (RelayLogPage     *self,
                                                    const char       *message_id,
                                                    GError          **error);

/* relay-log-page-export.c */
void              _relay_log_page_export_action    (GtkWidget        *widget,
                                                    const char       *action_name,
                                                    GVariant         *parameter);

G_END_DECLS
