/* relay-outbox.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-account.h"
#include "relay-send-log.h"
#include "relay-throttle.h"

G_BEGIN_DECLS

#define RELAY_TYPE_OUTBOX (relay_outbox_get_type ())

G_DECLARE_FINAL_TYPE (RelayOutbox, relay_outbox, RELAY, OUTBOX, GObject)

#define RELAY_OUTBOX_ERROR (relay_outbox_error_quark ())

/* The largest message the outbox keeps (ID.eml), in bytes */
#define RELAY_OUTBOX_MAX_MESSAGE_SIZE (64 * 1024 * 1024)

typedef enum
{
  RELAY_OUTBOX_ERROR_BAD_MESSAGE,  /* a recipient, subject or body that cannot be sent */
  RELAY_OUTBOX_ERROR_CREDENTIALS,  /* no password or sign-in to send with */
  RELAY_OUTBOX_ERROR_STOPPED,      /* the drain stopped early: why is its message */
} RelayOutboxError;

/* What a drain did */
typedef enum
{
  RELAY_OUTBOX_WAIT_NONE     = 0,
  RELAY_OUTBOX_WAIT_THROTTLE = 1 << 0,  /* for the account's windows to open */
  RELAY_OUTBOX_WAIT_RETRY    = 1 << 1,  /* for deferred messages' next attempts */
} RelayOutboxWait;

/* A message still in the outbox when the drain ended */
typedef struct
{
  char     *message_id;
  char     *subject;
  GStrv     recipients;    /* those it still goes to */
  gint64    next_attempt;  /* µs of real time; 0: as soon as limits allow */
  gboolean  sending;       /* caught mid-send: reported unknown at the next drain */
  gboolean  sent;          /* accepted, but not yet in the log: logged at the next drain */
} RelayOutboxWaiting;

typedef struct
{
  guint      sent;
  guint      failed;        /* messages, or single recipients, that failed */
  guint      unknown;
  guint      deferred;      /* messages still in the outbox when the drain ended */
  GPtrArray *waiting;       /* (element-type RelayOutboxWaiting): those messages */
  gint64     held_until;    /* quota: nothing goes before this (µs), or 0 */
  char      *stopped_by;    /* why the drain stopped early (translated), or NULL */
} RelayOutboxReport;

/* What a view of the outbox shows (relay_outbox_get_counts_async()) */
typedef struct
{
  RelayThrottle *throttle;    /* the account's windows, with the send log's attempts */
  guint          queued;      /* messages in the outbox */
  guint          due;         /* those that may go now, limits allowing */
  gint64         next_retry;  /* µs of real time when the next other one is due, or G_MAXINT64 */
} RelayOutboxCounts;

/* Progress, from the draining thread (relay_outbox_drain()), or in the
 * caller's main context (relay_outbox_drain_async()) */
typedef void (*RelayOutboxProgressFunc) (const char *text,
                                         gpointer    user_data);

GQuark      relay_outbox_error_quark   (void);
char       *relay_outbox_get_dir       (void);

RelayOutbox *relay_outbox_new          (const char          *path);
const char *relay_outbox_get_path      (RelayOutbox         *self);
double      relay_outbox_get_retry_base (RelayOutbox        *self);
void        relay_outbox_set_retry_base (RelayOutbox        *self,
                                        double               seconds);
double      relay_outbox_get_send_deadline (RelayOutbox     *self);
void        relay_outbox_set_send_deadline (RelayOutbox     *self,
                                        double               seconds);
void        relay_outbox_set_source    (RelayOutbox         *self,
                                        const char          *source);
const char *relay_outbox_get_source    (RelayOutbox         *self);
gboolean    relay_outbox_is_source     (const char          *source);
char       *relay_outbox_add           (RelayOutbox         *self,
                                        RelayAccount        *account,
                                        const char * const  *recipients,
                                        const char          *subject,
                                        GBytes              *body,
                                        RelaySendLog        *log,
                                        GError             **error);
char       *relay_outbox_add_from      (RelayOutbox         *self,
                                        RelayAccount        *account,
                                        const char          *sender,
                                        const char * const  *recipients,
                                        const char          *subject,
                                        GBytes              *body,
                                        RelaySendLog        *log,
                                        GError             **error);
char       *relay_outbox_add_message   (RelayOutbox         *self,
                                        RelayAccount        *account,
                                        const char          *sender,
                                        const char * const  *recipients,
                                        const char          *message_id,
                                        const char          *subject,
                                        GBytes              *message,
                                        RelaySendLog        *log,
                                        GError             **error);
RelayOutbox *relay_outbox_new_for_account (RelayOutbox      *self,
                                        RelayAccount        *account,
                                        RelayAccount        *default_account,
                                        GListModel          *accounts);
guint       relay_outbox_get_n_items   (RelayOutbox         *self);
guint       relay_outbox_get_n_due     (RelayOutbox         *self,
                                        gint64               now,
                                        gint64              *next);
RelayOutboxReport *relay_outbox_drain  (RelayOutbox         *self,
                                        RelayAccount        *account,
                                        RelaySendLog        *log,
                                        RelayOutboxWait      wait,
                                        RelayOutboxProgressFunc progress,
                                        gpointer             user_data,
                                        GCancellable        *cancellable,
                                        GError             **error);
void        relay_outbox_drain_async   (RelayOutbox         *self,
                                        RelayAccount        *account,
                                        RelaySendLog        *log,
                                        RelayOutboxWait      wait,
                                        RelayOutboxProgressFunc progress,
                                        gpointer             progress_data,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
RelayOutboxReport *relay_outbox_drain_finish (RelayOutbox   *self,
                                        GAsyncResult        *result,
                                        GError             **error);
void        relay_outbox_report_free   (RelayOutboxReport   *report);
void        relay_outbox_get_counts_async (RelayOutbox      *self,
                                        RelayAccount        *account,
                                        RelaySendLog        *log,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
RelayOutboxCounts *relay_outbox_get_counts_finish (RelayOutbox *self,
                                        GAsyncResult        *result,
                                        GError             **error);
void        relay_outbox_counts_free   (RelayOutboxCounts   *counts);
gboolean    relay_outbox_has           (RelayOutbox         *self,
                                        const char          *message_id);
gboolean    relay_outbox_retry_message (RelayOutbox         *self,
                                        const char          *message_id,
                                        GError             **error);
int         relay_outbox_retry_waiting (RelayOutbox         *self,
                                        GError             **error);
gboolean    relay_outbox_cancel_message (RelayOutbox        *self,
                                        RelayAccount        *account,
                                        RelaySendLog        *log,
                                        const char          *message_id,
                                        GError             **error);

/* Calls on the default outbox, each on a RelayOutbox of its own */
char       *relay_outbox_enqueue       (RelayAccount        *account,
                                        const char * const  *recipients,
                                        const char          *subject,
                                        GBytes              *body,
                                        RelaySendLog        *log,
                                        GError             **error);
guint       relay_outbox_count         (void);
guint       relay_outbox_count_due     (gint64               now,
                                        gint64              *next);
gboolean    relay_outbox_contains      (const char          *message_id);
gboolean    relay_outbox_retry         (const char          *message_id,
                                        GError             **error);
int         relay_outbox_retry_all     (GError             **error);
gboolean    relay_outbox_cancel        (RelayAccount        *account,
                                        RelaySendLog        *log,
                                        const char          *message_id,
                                        GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayOutboxReport, relay_outbox_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayOutboxCounts, relay_outbox_counts_free)

G_END_DECLS
