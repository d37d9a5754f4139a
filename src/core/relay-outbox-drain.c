/* relay-outbox-drain.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The drain engine: sends what the outbox holds, one process at a time
 * (the lock), over as few sessions as the provider allows, within the
 * account's limits (the throttle's waits), each message through
 * relay-outbox-send.c.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "relay-diagnosis.h"
#include "relay-oauth-account.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-secrets.h"
#include "relay-secure-private.h"
#include "relay-smtp-session.h"
#include "relay-throttle.h"
#include "relay-validate.h"


static void
say (Drain      *drain,
     const char *format,
     ...) G_GNUC_PRINTF (2, 3);
     
     static void
     say (Drain      *drain,
     const char *format,
     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (drain->progress == NULL)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  drain->progress (text, drain->progress_data);
}

/* Waits until @until (µs of real time), or cancellation */
static gboolean
sleep_until (Drain  *drain,
             gint64  until)
{
  while (g_get_real_time () < until)
    {
      if (g_cancellable_is_cancelled (drain->cancellable))
        return FALSE;
      g_usleep (MIN (POLL_INTERVAL, until - g_get_real_time ()));
    }

  return !g_cancellable_is_cancelled (drain->cancellable);
}

/**
 * relay_outbox_queue:
 *
 * What the outbox holds now, oldest first, as this drain knows it: each
 * envelope read (and parsed) once per drain and kept, and changed as the
 * drain changes it. The folder itself is listed again each time, so
 * that what another process queues meanwhile is sent too, as is what a
 * write that failed left on disk (read again). The “sent” events still
 * pending are written first: the items are the cache's.
 *
 * Returns: (transfer container): the items, owned by the drain's cache
 */
GPtrArray *
relay_outbox_queue (Drain *drain)
{
  g_autoptr(GPtrArray) ids = relay_outbox_list_ids (drain->outbox);
  GHashTable *cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify)relay_outbox_item_free);
  GPtrArray *items = g_ptr_array_new ();

  relay_outbox_flush_sent (drain);

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      gpointer key, value = NULL;
      Item *item;

      if (g_hash_table_steal_extended (drain->cache, id, &key, &value) &&
          ((Item *)value)->digest == NULL)
        g_clear_pointer ((Item **)&value, relay_outbox_item_free);

      item = value;
      if (item == NULL)
        {
          /* a damaged one is moved aside by the next drain (quarantine ()) */
          item = relay_outbox_read_item (drain->outbox, id, NULL);
          if (item == NULL)
            continue;
          relay_outbox_journal_apply (&drain->journal, item);
        }

      /* another account's */
      if (!relay_outbox_drain_takes (drain, item))
        {
          relay_outbox_item_free (item);
          continue;
        }

      g_hash_table_insert (cache, item->id, item);
      g_ptr_array_add (items, item);
    }

  /* what is no longer there goes */
  g_hash_table_unref (drain->cache);
  drain->cache = cache;

  return items;
}

static int
take_lock (Drain   *drain,
           GError **error)
{
  g_autofree char *path = relay_outbox_lock_path (drain->outbox);
  int fd;

  if (!relay_outbox_ensure_dir (drain->outbox, error))
    return -1;
  fd = g_open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path, g_strerror (saved_errno));
      return -1;
    }

  /* one drainer at a time; the others wait their turn */
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          int saved_errno = errno;

          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path, g_strerror (saved_errno));
          return -1;
        }
      if (g_cancellable_set_error_if_cancelled (drain->cancellable, error))
        {
          close (fd);
          return -1;
        }
      say (drain, "%s", _("Waiting for another Mail Relay to finish sending…"));
      g_usleep (POLL_INTERVAL);
    }

  return fd;
}

static char *
get_secret (RelayAccount  *account,
            GCancellable  *cancellable,
            GError       **error)
{
  char *secret;

  if (relay_account_get_username (account)[0] == '\0')
    return NULL;

  if (relay_account_uses_token (account))
    return relay_oauth_account_get_access_token (account, FALSE, cancellable, error);

  secret = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, cancellable, error);
  if (secret == NULL && (error == NULL || *error == NULL))
    g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_CREDENTIALS,
                         _("No password is stored for this account."));
  if (secret != NULL)
    {
      char *copy = g_strdup (secret);

      secret_password_free (secret);
      return copy;
    }

  return NULL;
}

/* The credentials for the drain. A sign-in server that does not answer in
 * time (its token request has a deadline of its own) stops nothing: the
 * messages due are deferred. FALSE when nothing can be sent. */
static gboolean
fetch_secret (Drain   *drain,
              GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_error (&drain->no_token);
  g_clear_pointer (&drain->secret, relay_secure_wipe_string);

  drain->secret = get_secret (drain->account, drain->cancellable, &local_error);
  if (drain->secret != NULL || relay_account_get_username (drain->account)[0] == '\0')
    return TRUE;

  if (g_error_matches (local_error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT))
    {
      drain->no_token = g_steal_pointer (&local_error);
      return TRUE;
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* Under the lock still: the journal ends (and goes, when no mark holds) */
static void
drain_clear (Drain *drain)
{
  relay_outbox_finish_cleanup (drain);
  relay_outbox_journal_finish (&drain->journal);
  g_clear_pointer (&drain->pending_entries, g_ptr_array_unref);
  g_clear_pointer (&drain->pending_items, g_ptr_array_unref);
  g_clear_pointer (&drain->cache, g_hash_table_unref);
  g_clear_pointer (&drain->in_flight_state, g_free);
}

static void
waiting_free (RelayOutboxWaiting *waiting)
{
  g_free (waiting->message_id);
  g_free (waiting->subject);
  g_strfreev (waiting->recipients);
  g_free (waiting);
}

/**
 * relay_outbox_drain:
 * @self: the outbox
 * @wait: what to wait for: %RELAY_OUTBOX_WAIT_THROTTLE for the account's
 *   windows to open, %RELAY_OUTBOX_WAIT_RETRY for deferred messages'
 *   next attempts too; without either, stop at the first message that
 *   cannot go now
 *
 * Sends what the outbox holds, one process at a time, over as few
 * connections as the provider allows, never faster than the account's
 * limits (counted from the send log, so across restarts too). Blocks:
 * the app and the CLI call relay_outbox_drain_async(), which runs it in a
 * worker thread of its own.
 *
 * Returns: (transfer full): what happened, or %NULL when the outbox
 *   could not be read or the credentials not found
 */
RelayOutboxReport *
relay_outbox_drain (RelayOutbox             *self,
                    RelayAccount            *account,
                    RelaySendLog            *log,
                    RelayOutboxWait          wait,
                    RelayOutboxProgressFunc  progress,
                    gpointer                 user_data,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new_for_account (account);
  g_autoptr(RelayOutboxReport) report = g_new0 (RelayOutboxReport, 1);
  g_autoptr(GPtrArray) left = NULL;
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  Drain drain = { 0 };
  int lock;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (RELAY_IS_SEND_LOG (log), NULL);

  report->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify)waiting_free);
  drain.outbox = self;
  drain.retry_base = relay_outbox_get_retry_base (self);
  drain.send_deadline = relay_outbox_get_send_deadline (self);
  drain.account = account;
  drain.log = log;
  drain.throttle = throttle;
  drain.report = report;
  drain.progress = progress;
  drain.progress_data = user_data;
  drain.cancellable = cancellable;
  drain.per_connection = provider && relay_provider_get_messages_per_connection (provider)
                         ? relay_provider_get_messages_per_connection (provider) : G_MAXUINT;

  if ((lock = take_lock (&drain, error)) < 0)
    return NULL;

  relay_outbox_journal_init (&drain.journal, self);
  if (drain.journal.error != NULL)
    {
      /* what may already have been sent is not known: nothing goes */
      g_propagate_error (error, g_error_copy (drain.journal.error));
      relay_outbox_journal_finish (&drain.journal);
      close (lock);
      return NULL;
    }
  drain.cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)relay_outbox_item_free);
  drain.pending_entries = g_ptr_array_new_with_free_func (g_object_unref);
  drain.pending_items = g_ptr_array_new ();

  relay_outbox_recover (&drain);

  left = relay_outbox_queue (&drain);
  if (left->len == 0 || !fetch_secret (&drain, error))
    {
      gboolean empty = left->len == 0;

      g_clear_pointer (&left, g_ptr_array_unref);
      drain_clear (&drain);
      close (lock);
      return empty ? g_steal_pointer (&report) : NULL;
    }
  g_clear_pointer (&left, g_ptr_array_unref);

  /* the log holds every attempt: the windows survive restarts */
  relay_throttle_record_log (throttle, relay_send_log_get_path (log));

  for (gboolean stop = FALSE; !stop;)
    {
      /* the folder listed once per pass, each item read once per drain;
       * what was sent is logged (and leaves the outbox) before it */
      g_autoptr(GPtrArray) items = NULL;
      gint64 earliest = G_MAXINT64;
      gboolean progressed = FALSE;

      /* the last pass's message in flight: what it became counts now */
      if (!relay_outbox_finish_in_flight (&drain))
        break;
      items = relay_outbox_queue (&drain);

      if (items->len == 0 || g_cancellable_is_cancelled (cancellable) || drain.halted)
        break;

      for (guint i = 0; i < items->len && !stop && !drain.halted; i++)
        {
          Item *next = g_ptr_array_index (items, i);
          gint64 now = g_get_real_time ();
          gint64 allowed;

          if (g_cancellable_is_cancelled (cancellable))
            {
              stop = TRUE;
              break;
            }

          /* the server may have it: never again (unknown at the next run) */
          if (item_handed_over (next))
            continue;

          if (next->next_attempt > now)
            {
              earliest = MIN (earliest, next->next_attempt);
              continue;
            }

          allowed = relay_throttle_next_allowed (throttle, now, g_strv_length (next->recipients));
          if (allowed == G_MAXINT64)
            {
              relay_outbox_fail (&drain, next, NULL, _("The message has more recipients than the account may send to in one window."));
              progressed = TRUE;
              continue;
            }

          if (allowed > now)
            {
              g_autoptr(GDateTime) resume = g_date_time_new_from_unix_local (allowed / G_USEC_PER_SEC);
              g_autofree char *at = g_date_time_format (resume, "%X");

              if (!g_str_equal (next->state, "throttled"))
                {
                  next->next_attempt = 0;
                  if (!relay_outbox_record_event (&drain, next, RELAY_SEND_STATUS_THROTTLED, NULL,
                                     _("Held back to stay within the provider’s sending limits")))
                    {
                      stop = TRUE;
                      break;
                    }
                  g_free (next->state);
                  next->state = g_strdup ("throttled");
                  relay_outbox_write_item (self, next, NULL);
                }

              if (!(wait & RELAY_OUTBOX_WAIT_THROTTLE))
                {
                  stop = TRUE;
                  break;
                }

              /* the message in flight is not left waiting with its verdict */
              if (!relay_outbox_finish_in_flight (&drain) || drain.halted)
                {
                  stop = TRUE;
                  break;
                }
              relay_outbox_flush_sent (&drain);

              /* a server would drop an idle connection during a long wait */
              if (allowed - now > 10 * G_USEC_PER_SEC)
                relay_outbox_close_session (&drain, TRUE);

              say (&drain, _("Throttled: sending resumes at %s (in %.1f s)"), at,
                   (allowed - now) / (double)G_USEC_PER_SEC);
              if (!sleep_until (&drain, allowed))
                {
                  stop = TRUE;
                  break;
                }
            }

          say (&drain, _("Sending “%s”…"), next->subject);
          progressed = TRUE;
          if (!relay_outbox_send_item (&drain, next) || drain.halted)
            stop = TRUE;
        }

      if (stop || progressed)
        continue;

      /* nothing was due: wait for the earliest retry, when asked to */
      if (!(wait & RELAY_OUTBOX_WAIT_RETRY) || report->held_until > g_get_real_time () ||
          earliest == G_MAXINT64)
        break;
      relay_outbox_close_session (&drain, TRUE);
      say (&drain, _("Waiting to retry…"));
      if (!sleep_until (&drain, earliest))
        break;

      /* the sign-in server may answer now */
      if (drain.no_token != NULL)
        {
          g_autoptr(GError) token_error = NULL;

          if (!fetch_secret (&drain, &token_error))
            {
              report->stopped_by = g_strdup (token_error ? token_error->message : "");
              break;
            }
        }
    }

  relay_outbox_close_session (&drain, TRUE);
  relay_outbox_flush_sent (&drain);
  relay_secure_wipe_string (drain.secret);
  g_clear_error (&drain.no_token);

  /* a drain that stopped on an error may have changed items it could
   * not write back: what still waits is read from disk again */
  if (drain.halted || report->stopped_by != NULL)
    g_hash_table_remove_all (drain.cache);

  /* what still waits, and until when: sent messages gone first */
  relay_outbox_finish_cleanup (&drain);
  left = relay_outbox_queue (&drain);
  report->deferred = left->len;
  for (guint i = 0; i < left->len; i++)
    {
      Item *item = g_ptr_array_index (left, i);
      RelayOutboxWaiting *waiting = g_new0 (RelayOutboxWaiting, 1);

      waiting->message_id = g_strdup (item->message_id);
      waiting->subject = g_strdup (item->subject);
      waiting->recipients = g_strdupv (item->recipients);
      waiting->next_attempt = item->next_attempt;
      waiting->sending = g_str_equal (item->state, "sending");
      waiting->sent = g_str_equal (item->state, "sent");
      g_ptr_array_add (report->waiting, waiting);
    }
  g_clear_pointer (&left, g_ptr_array_unref);
  drain_clear (&drain);
  close (lock);

  return g_steal_pointer (&report);
}
