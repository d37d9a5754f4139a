/* relay-throttle.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-throttle"

#include "config.h"

#include "relay-send-log.h"
#include "relay-throttle.h"

typedef struct
{
  gint64 when;
  guint  recipients;
} Attempt;

struct _RelayThrottle
{
  GObject  parent_instance;

  guint    max_messages;
  gint64   message_window;    /* µs, 0: no limit */
  guint    max_recipients;
  gint64   recipient_window;  /* µs, 0: no limit */

  GArray  *attempts;          /* of Attempt, oldest first */
  /* the account whose attempts the log gives (relay_throttle_new_for_account ()), or NULL: all */
  char    *account_id;
};

G_DEFINE_FINAL_TYPE (RelayThrottle, relay_throttle, G_TYPE_OBJECT)

static void
relay_throttle_finalize (GObject *object)
{
  RelayThrottle *self = (RelayThrottle *)object;

  g_clear_pointer (&self->attempts, g_array_unref);
  g_clear_pointer (&self->account_id, g_free);

  G_OBJECT_CLASS (relay_throttle_parent_class)->finalize (object);
}

static void
relay_throttle_class_init (RelayThrottleClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_throttle_finalize;
}

static void
relay_throttle_init (RelayThrottle *self)
{
  self->attempts = g_array_new (FALSE, FALSE, sizeof (Attempt));
}

/**
 * relay_throttle_new:
 *
 * A limit of 0, or a window of 0 seconds, means no limit of that kind.
 */
RelayThrottle *
relay_throttle_new (guint max_messages,
                    guint message_window,
                    guint max_recipients,
                    guint recipient_window)
{
  RelayThrottle *self = g_object_new (RELAY_TYPE_THROTTLE, NULL);

  if (max_messages > 0 && message_window > 0)
    {
      self->max_messages = max_messages;
      self->message_window = (gint64)message_window * G_USEC_PER_SEC;
    }

  if (max_recipients > 0 && recipient_window > 0)
    {
      self->max_recipients = max_recipients;
      self->recipient_window = (gint64)recipient_window * G_USEC_PER_SEC;
    }

  return self;
}

/**
 * relay_throttle_new_for_account:
 *
 * The account's limits; relay_throttle_record_log() then counts the
 * attempts that went through it alone: each account's windows are its
 * own (Office 365's 30 a minute belong to one mailbox). A line that names
 * no account (another tool's) counts for every account, so that no
 * account's limit is passed.
 */
RelayThrottle *
relay_throttle_new_for_account (RelayAccount *account)
{
  RelayThrottle *self;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  self = relay_throttle_new (relay_account_get_max_messages (account),
                             relay_account_get_message_window (account),
                             relay_account_get_max_recipients (account),
                             relay_account_get_recipient_window (account));
  self->account_id = g_strdup (relay_account_get_id (account));

  return self;
}

static gint64
longest_window (RelayThrottle *self)
{
  return MAX (self->message_window, self->recipient_window);
}

/* Attempts older than every window no longer matter */
static void
prune (RelayThrottle *self,
       gint64         now)
{
  gint64 horizon = now - longest_window (self);
  guint n = 0;

  while (n < self->attempts->len && g_array_index (self->attempts, Attempt, n).when <= horizon)
    n++;

  if (n > 0)
    g_array_remove_range (self->attempts, 0, n);
}

/**
 * relay_throttle_record:
 * @when: when the attempt was made
 *
 * Counts an attempt: a message sent, or one whose result is unknown.
 * Attempts may be recorded in any order (from a log, say).
 */
void
relay_throttle_record (RelayThrottle *self,
                       gint64         when,
                       guint          n_recipients)
{
  Attempt attempt = { when, n_recipients };
  guint i;

  g_return_if_fail (RELAY_IS_THROTTLE (self));

  if (longest_window (self) == 0)
    return;

  i = self->attempts->len;
  while (i > 0 && g_array_index (self->attempts, Attempt, i - 1).when > when)
    i--;
  g_array_insert_val (self->attempts, i, attempt);
}

/* The earliest time ≥ @now at which one more attempt of @weight keeps the
 * total of the window at or under @max; each attempt weighs 1 for messages
 * or its recipients. */
static gint64
earliest (RelayThrottle *self,
          gint64         now,
          gint64         window,
          guint          max,
          guint          weight,
          gboolean       recipients)
{
  guint64 total = 0;
  gint64 when = now;
  guint first;

  if (window == 0)
    return now;
  if (weight > max)
    return G_MAXINT64;

  first = self->attempts->len;
  while (first > 0 && g_array_index (self->attempts, Attempt, first - 1).when > now - window)
    first--;

  for (guint i = first; i < self->attempts->len; i++)
    {
      const Attempt *a = &g_array_index (self->attempts, Attempt, i);

      total += recipients ? a->recipients : 1;
    }

  /* drop the oldest in the window until there is room */
  for (guint i = first; total + weight > max && i < self->attempts->len; i++)
    {
      const Attempt *a = &g_array_index (self->attempts, Attempt, i);

      total -= recipients ? a->recipients : 1;
      when = MAX (when, a->when + window);
    }

  return when;
}

/* How far before the windows the log is read: lines are appended in the
 * order things happen, give or take the moments between taking the time
 * and writing the line */
#define LOG_SLACK (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

/* Newest first: collected, then recorded oldest first */
typedef struct
{
  GArray     *attempts;
  const char *account_id;
} Collect;

static gboolean
collect_line_cb (const char *line,
                 gsize       length,
                 gpointer    user_data)
{
  Collect *collect = user_data;
  GArray *attempts = collect->attempts;
  g_autoptr(RelaySendLogEntry) entry = NULL;
  const char *account;
  RelaySendStatus status;
  GDateTime *time;
  Attempt attempt;

  /* any form of an entry, the writer's own without parsing it */
  if (!relay_send_log_line_get_status (line, length, &status) ||
      (status != RELAY_SEND_STATUS_SENT && status != RELAY_SEND_STATUS_UNKNOWN))
    return TRUE;

  entry = relay_send_log_entry_new_from_line (line, length, NULL);
  if (entry == NULL)
    return TRUE;

  /* another account's attempt */
  account = relay_send_log_entry_get_account (entry);
  if (collect->account_id != NULL && account != NULL && g_ascii_strcasecmp (account, collect->account_id) != 0)
    return TRUE;

  time = relay_send_log_entry_get_time (entry);
  attempt.when = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  attempt.recipients = g_strv_length ((char **)relay_send_log_entry_get_recipients (entry));
  g_array_append_val (attempts, attempt);

  return TRUE;
}

/**
 * relay_throttle_record_log:
 *
 * Counts the attempts of a send log: messages sent, and those whose
 * result is unknown; only the account's own on an account's throttle
 * (relay_throttle_new_for_account()). Reads the file from its end back to the start of
 * the longest window (and an hour more), so a long log costs nothing.
 * Blocks on the file: call it in a worker thread.
 */
void
relay_throttle_record_log (RelayThrottle *self,
                           const char    *log_path)
{
  g_autoptr(GArray) attempts = NULL;
  gint64 since;

  g_return_if_fail (RELAY_IS_THROTTLE (self));
  g_return_if_fail (log_path != NULL);

  if (longest_window (self) == 0)
    return;

  attempts = g_array_new (FALSE, FALSE, sizeof (Attempt));
  since = g_get_real_time () - longest_window (self) - LOG_SLACK;
  relay_send_log_scan_since (log_path, since, collect_line_cb,
                             &(Collect) { attempts, self->account_id }, NULL);

  for (guint i = attempts->len; i > 0; i--)
    {
      const Attempt *attempt = &g_array_index (attempts, Attempt, i - 1);

      relay_throttle_record (self, attempt->when, attempt->recipients);
    }
}

/**
 * relay_throttle_next_allowed:
 *
 * Returns: when a message to @n_recipients may go: @now, a later time, or
 *   %G_MAXINT64 when it can never fit the recipient limit
 */
gint64
relay_throttle_next_allowed (RelayThrottle *self,
                             gint64         now,
                             guint          n_recipients)
{
  gint64 when;

  g_return_val_if_fail (RELAY_IS_THROTTLE (self), now);

  prune (self, now);

  /* each limit can push the other later: settle on a time both allow */
  when = now;
  for (;;)
    {
      gint64 by_messages = earliest (self, when, self->message_window, self->max_messages, 1, FALSE);
      gint64 by_recipients = earliest (self, when, self->recipient_window, self->max_recipients,
                                       n_recipients, TRUE);
      gint64 next = MAX (by_messages, by_recipients);

      if (next == G_MAXINT64 || next == when)
        return next;
      when = next;
    }
}

static guint
count (RelayThrottle *self,
       gint64         now,
       gint64         window,
       gboolean       recipients)
{
  guint total = 0;

  for (guint i = 0; i < self->attempts->len; i++)
    {
      const Attempt *a = &g_array_index (self->attempts, Attempt, i);

      if (a->when > now - window && a->when <= now)
        total += recipients ? a->recipients : 1;
    }

  return total;
}

/**
 * relay_throttle_count_messages:
 *
 * Returns: the messages of the current window, for a meter such as
 *   “12 / 30 this minute”
 */
guint
relay_throttle_count_messages (RelayThrottle *self,
                               gint64         now)
{
  g_return_val_if_fail (RELAY_IS_THROTTLE (self), 0);

  return self->message_window ? count (self, now, self->message_window, FALSE) : 0;
}

guint
relay_throttle_count_recipients (RelayThrottle *self,
                                 gint64         now)
{
  g_return_val_if_fail (RELAY_IS_THROTTLE (self), 0);

  return self->recipient_window ? count (self, now, self->recipient_window, TRUE) : 0;
}

guint
relay_throttle_get_max_messages (RelayThrottle *self)
{
  g_return_val_if_fail (RELAY_IS_THROTTLE (self), 0);

  return self->max_messages;
}

guint
relay_throttle_get_max_recipients (RelayThrottle *self)
{
  g_return_val_if_fail (RELAY_IS_THROTTLE (self), 0);

  return self->max_recipients;
}
