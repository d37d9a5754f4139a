/* relay-send-log.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One line of $XDG_DATA_HOME/mail-relay/send-log.jsonl, one event:
 * {"time":"2026-11-28T02:50:00.123+00:00","message_id":"…","status":"sent",
 *  "recipients":["a@example.org"],"subject":"…","attempt":1,"reply":"250 2.0.0 Ok",
 *  "account":"<uuid>","detail":"…","next_attempt":"…","source":"app"}   (the last four optional)
 * written by json-glib without spaces, keys in this order. Readers take
 * any JSON object with these members, in any order and spacing; what is
 * not an entry is skipped and counted (docs/send-log.md). */

typedef enum
{
  RELAY_SEND_STATUS_QUEUED,
  RELAY_SEND_STATUS_SENT,
  RELAY_SEND_STATUS_THROTTLED,
  RELAY_SEND_STATUS_DEFERRED,
  RELAY_SEND_STATUS_FAILED,
  RELAY_SEND_STATUS_UNKNOWN,
} RelaySendStatus;

/* What the readers (relay_send_log_scan(), relay_send_log_read_tail())
 * take for @status to mean entries of every status: not a status itself */
#define RELAY_SEND_STATUS_ANY ((RelaySendStatus) -1)

const char *relay_send_status_to_string   (RelaySendStatus  status);
gboolean    relay_send_status_from_string (const char      *text,
                                           RelaySendStatus *status);

#define RELAY_TYPE_SEND_LOG_ENTRY (relay_send_log_entry_get_type ())

G_DECLARE_FINAL_TYPE (RelaySendLogEntry, relay_send_log_entry, RELAY, SEND_LOG_ENTRY, GObject)

RelaySendLogEntry  *relay_send_log_entry_new              (RelaySendStatus     status,
                                                           const char         *message_id,
                                                           const char * const *recipients,
                                                           const char         *subject,
                                                           guint               attempt,
                                                           const char         *reply);
RelaySendLogEntry  *relay_send_log_entry_new_from_line    (const char         *line,
                                                           gssize              length,
                                                           GError            **error);
char               *relay_send_log_entry_to_line          (RelaySendLogEntry  *self);
GDateTime          *relay_send_log_entry_get_time         (RelaySendLogEntry  *self);
void                relay_send_log_entry_set_time         (RelaySendLogEntry  *self,
                                                           GDateTime          *time);
RelaySendStatus     relay_send_log_entry_get_status       (RelaySendLogEntry  *self);
const char         *relay_send_log_entry_get_message_id   (RelaySendLogEntry  *self);
const char * const *relay_send_log_entry_get_recipients   (RelaySendLogEntry  *self);
const char         *relay_send_log_entry_get_subject      (RelaySendLogEntry  *self);
guint               relay_send_log_entry_get_attempt      (RelaySendLogEntry  *self);
const char         *relay_send_log_entry_get_reply        (RelaySendLogEntry  *self);
const char         *relay_send_log_entry_get_account      (RelaySendLogEntry  *self);
void                relay_send_log_entry_set_account      (RelaySendLogEntry  *self,
                                                           const char         *account_id);
const char         *relay_send_log_entry_get_detail       (RelaySendLogEntry  *self);
void                relay_send_log_entry_set_detail       (RelaySendLogEntry  *self,
                                                           const char         *detail);
const char         *relay_send_log_entry_get_source       (RelaySendLogEntry  *self);
void                relay_send_log_entry_set_source       (RelaySendLogEntry  *self,
                                                           const char         *source);
GDateTime          *relay_send_log_entry_get_next_attempt (RelaySendLogEntry  *self);
void                relay_send_log_entry_set_next_attempt (RelaySendLogEntry  *self,
                                                           GDateTime          *time);

#define RELAY_TYPE_SEND_LOG (relay_send_log_get_type ())

G_DECLARE_FINAL_TYPE (RelaySendLog, relay_send_log, RELAY, SEND_LOG, GObject)

/* A GListModel of RelaySendLogEntry, oldest first, parsed lazily */
char               *relay_send_log_get_default_path       (void);
RelaySendLog       *relay_send_log_new                    (const char         *path);
const char         *relay_send_log_get_path               (RelaySendLog       *self);
void                relay_send_log_load_async             (RelaySendLog       *self,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
gboolean            relay_send_log_load_finish            (RelaySendLog       *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);
gboolean            relay_send_log_load                   (RelaySendLog       *self,
                                                           GCancellable       *cancellable,
                                                           GError            **error);
const char         *relay_send_log_get_torn_path          (RelaySendLog       *self);
guint               relay_send_log_get_n_skipped          (RelaySendLog       *self);
const char         *relay_send_log_get_line               (RelaySendLog       *self,
                                                           guint               position,
                                                           gsize              *length);
gboolean            relay_send_log_append                 (RelaySendLog       *self,
                                                           RelaySendLogEntry **entries,
                                                           guint               n_entries,
                                                           GError            **error);

typedef gboolean (*RelaySendLogLineFunc) (const char *line,
                                          gsize       length,
                                          gpointer    user_data);

gboolean            relay_send_log_line_get_status        (const char         *line,
                                                           gsize               length,
                                                           RelaySendStatus    *status);
gboolean            relay_send_log_scan_full              (const char         *path,
                                                           RelaySendStatus     status,
                                                           RelaySendLogLineFunc func,
                                                           gpointer            user_data,
                                                           guint              *n_skipped,
                                                           GError            **error);
gboolean            relay_send_log_scan                   (const char         *path,
                                                           RelaySendStatus     status,
                                                           RelaySendLogLineFunc func,
                                                           gpointer            user_data,
                                                           GError            **error);
gboolean            relay_send_log_scan_since             (const char         *path,
                                                           gint64              since,
                                                           RelaySendLogLineFunc func,
                                                           gpointer            user_data,
                                                           GError            **error);
GPtrArray          *relay_send_log_read_tail_full         (const char         *path,
                                                           guint               n_lines,
                                                           RelaySendStatus     status,
                                                           guint              *n_skipped,
                                                           GError            **error);
GPtrArray          *relay_send_log_read_tail              (const char         *path,
                                                           guint               n_lines,
                                                           RelaySendStatus     status,
                                                           GError            **error);

/* Off the main thread (relay-send-log-tasks.c) */
void                relay_send_log_filter_async           (RelaySendLog       *self,
                                                           guint               first,
                                                           RelaySendStatus     status,
                                                           const char         *search,
                                                           const char         *account,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GArray             *relay_send_log_filter_finish          (RelaySendLog       *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);
void                relay_send_log_last_outcomes_async    (RelaySendLog       *self,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GHashTable         *relay_send_log_last_outcomes_finish   (RelaySendLog       *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);
void                relay_send_log_export_csv_async       (RelaySendLog       *self,
                                                           GFile              *file,
                                                           GArray             *positions,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
gboolean            relay_send_log_export_csv_finish      (RelaySendLog       *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);

G_END_DECLS
