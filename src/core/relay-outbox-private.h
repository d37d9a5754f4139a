/* relay-outbox-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the outbox's files share: the item (an ID.json's envelope and
 * state) and the store's calls on it (relay-outbox-store.c), the state of
 * one drain (relay-outbox-drain.c) and what it writes down
 * (relay-outbox-record.c).
 */

#pragma once

#include <glib.h>
#include <sys/types.h>

#include "relay-outbox.h"
#include "relay-smtp-session.h"

G_BEGIN_DECLS

#define POLL_INTERVAL (G_USEC_PER_SEC / 5)

typedef struct
{
  char   *id;
  char   *message_id;
  char   *from;
  GStrv   recipients;
  char   *subject;
  guint   attempt;
  char   *state;         /* queued, deferred, throttled, sending, sent */
  gint64  next_attempt;  /* µs of real time; 0: now */
  /* while “sending”: the recipients a 4xx to their RCPT put off, which
   * the message goes to later (at next_attempt), or NULL */
  GStrv   later;
  /* when “sent”: the server's reply, for the event the log could not take */
  char   *reply;
  /* SHA-256 of ID.json as it is on disk, in hex, which names the item in
   * a journal's mark; NULL when that is not known (a write failed) */
  char   *digest;
  /* the id of the account it goes through; NULL in an older version's
   * envelope: the default account's */
  char   *account;
  /* what it came from: `cli`, `relay`, `sendmail`, `app`; NULL in an
   * older version's envelope */
  char   *source;
} Item;

/* The server may have it, or has it: never sent again */
static inline gboolean
item_handed_over (const Item *item)
{
  return g_str_equal (item->state, "sending") || g_str_equal (item->state, "sent");
}

void        relay_outbox_item_free      (Item                *item);
gboolean    relay_outbox_owns_item      (RelayOutbox         *self,
                                         const Item          *item);
gboolean    relay_outbox_is_account_outbox (RelayOutbox      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Item, relay_outbox_item_free)

/* The item store (relay-outbox-store.c) */
gboolean    relay_outbox_ensure_dir     (RelayOutbox         *self,
                                         GError             **error);
char       *relay_outbox_item_path      (RelayOutbox         *self,
                                         const char          *id,
                                         const char          *suffix);
char       *relay_outbox_get_damaged_dir (RelayOutbox        *self);
gboolean    relay_outbox_write_item     (RelayOutbox         *self,
                                         Item                *item,
                                         GError             **error);
Item       *relay_outbox_read_item      (RelayOutbox         *self,
                                         const char          *id,
                                         GError             **error);
gboolean    relay_outbox_read_message   (RelayOutbox         *self,
                                         Item                *item,
                                         char               **contents,
                                         gsize               *length,
                                         GError             **error);
void        relay_outbox_remove_item    (RelayOutbox         *self,
                                         Item                *item);
GPtrArray  *relay_outbox_list_ids       (RelayOutbox         *self);
GPtrArray  *relay_outbox_list_items     (RelayOutbox         *self);
char       *relay_outbox_lock_path      (RelayOutbox         *self);
RelaySendLogEntry *relay_outbox_make_entry_for (RelayAccount       *account,
                                         Item                *item,
                                         const char * const  *recipients,
                                         RelaySendStatus      status,
                                         const char          *reply,
                                         const char          *detail);
RelaySendLogEntry *relay_outbox_make_entry (RelayAccount         *account,
                                         Item                *item,
                                         RelaySendStatus      status,
                                         const char          *reply,
                                         const char          *detail);

gboolean    relay_outbox_read_envelope_digest (RelayOutbox   *self,
                                         const char          *id,
                                         char               **digest,
                                         GError             **error);
gboolean    relay_outbox_check_addresses (const char * const *addresses,
                                         const char          *field,
                                         GError             **error);
guint       relay_outbox_count_items    (RelayOutbox         *self,
                                         gint64               now,
                                         guint               *due,
                                         gint64              *next);

gboolean    relay_outbox_item_check     (const char          *data,
                                         gsize                length,
                                         char               **normalized,
                                         GError             **error);

#define RELAY_OUTBOX_MAX_ITEM_SIZE (1024 * 1024)  /* an envelope: a few KB, or many recipients */

/* The journal of “sending” marks (relay-outbox-journal.c) */
typedef struct
{
  RelayOutbox *outbox;
  GHashTable  *marks;     /* id → its last mark */
  int          fd;        /* open for writing, or -1 */
  gboolean     torn;      /* its marks end without a newline */
  off_t        end;       /* where its marks end, and the room made for them starts */
  off_t        size;      /* its length: the marks and that room, zeros */
  off_t        unsynced_start;  /* the marks appended since the last sync */
  gsize        unsynced;
  GError      *error;     /* why it could not be read, or NULL */
} RelayOutboxJournal;

char       *relay_outbox_journal_path   (RelayOutbox         *self);
gboolean    relay_outbox_is_item_id     (const char          *id);
void        relay_outbox_journal_init   (RelayOutboxJournal  *journal,
                                         RelayOutbox         *self);
void        relay_outbox_journal_apply  (RelayOutboxJournal  *journal,
                                         Item                *item);
gboolean    relay_outbox_journal_append (RelayOutboxJournal  *journal,
                                         Item                *item,
                                         GError             **error);
gboolean    relay_outbox_journal_sync   (RelayOutboxJournal  *journal,
                                         GError             **error);
void        relay_outbox_journal_release (RelayOutboxJournal *journal,
                                          Item               *item);
void        relay_outbox_journal_finish (RelayOutboxJournal  *journal);

/* One drain (relay-outbox-drain.c) */
typedef struct
{
  RelayOutbox             *outbox;
  RelayAccount            *account;
  RelaySendLog            *log;
  RelayThrottle           *throttle;
  RelaySmtpSession        *session;
  const char              *step;    /* of the session being opened */
  guint                    on_connection;
  guint                    per_connection;
  char                    *secret;
  /* the sign-in server did not answer in time: each message due waits
   * for its retry, as when the mail server does not answer */
  GError                  *no_token;
  /* sent (relay_smtp_session_send_data ()), the server's verdict not yet
   * read: it is read with the next message's replies, or before anything
   * else happens (finish_in_flight ()) */
  Item                    *in_flight;
  gsize                    in_flight_size;
  char                    *in_flight_state;  /* what it was before its mark */
  RelayOutboxReport       *report;
  /* the outbox as this drain read it, once: id → Item, each as its
   * envelope and the journal say (relay_outbox_queue ()) */
  GHashTable              *cache;
  /* the “sending” marks */
  RelayOutboxJournal       journal;
  /* “sent” events not yet in the log, and their messages (in the
   * cache), still marked “sending” in the journal: written with one
   * fsync for many messages. A crash before that write leaves them
   * “sending”, reported unknown and never sent again. */
  GPtrArray               *pending_entries;
  GPtrArray               *pending_items;
  /* removes the files of sent messages, beside the sending: created
   * when first needed, finished before the outbox is listed for the
   * report and before the journal ends */
  GThreadPool             *cleanup;
  /* the send log could not be written: nothing more is sent */
  gboolean                 halted;
  RelayOutboxProgressFunc  progress;
  gpointer                 progress_data;
  GCancellable            *cancellable;
  /* from the outbox, read where it was made (relay_outbox_new ()) */
  double                   retry_base;     /* s */
  double                   send_deadline;  /* s */
} Drain;

GPtrArray  *relay_outbox_queue          (Drain               *drain);

/* One message's exchange with the server (relay-outbox-send.c) */
gboolean    relay_outbox_close_session  (Drain               *drain,
                                         gboolean             polite);
void        relay_outbox_fail           (Drain               *drain,
                                         Item                *item,
                                         const char          *reply,
                                         const char          *detail);
gboolean    relay_outbox_finish_in_flight (Drain             *drain);
gboolean    relay_outbox_send_item      (Drain               *drain,
                                         Item                *item);

/* What a drain writes down (relay-outbox-record.c) */
#define MAX_PENDING 32

gboolean    relay_outbox_finish_item    (RelayOutbox         *self,
                                         Item                *item,
                                         GError             **error);
void        relay_outbox_flush_sent     (Drain               *drain);
void        relay_outbox_finish_cleanup (Drain               *drain);
gboolean    relay_outbox_record         (Drain               *drain,
                                         RelaySendLogEntry  **entries,
                                         guint                n_entries);
gboolean    relay_outbox_record_event   (Drain               *drain,
                                         Item                *item,
                                         RelaySendStatus      status,
                                         const char          *reply,
                                         const char          *detail);
void        relay_outbox_recover        (Drain               *drain);
gboolean    relay_outbox_drain_takes    (Drain               *drain,
                                         const Item          *item);

G_END_DECLS
